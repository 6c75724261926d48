// The dashboard's pages and assets under / and /dashboard/*, served by the API. This placeholder
// serves nothing (the API answers 404); the dashboard replaces it.
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Answers the request and returns true, or returns false (not a dashboard path: 404). */
export function serveDashboard(_req: IncomingMessage, _res: ServerResponse): boolean {
  return false;
}
