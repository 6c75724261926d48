// What the HTTP API listens on and which token it wants: `vigil run` flags over the config's
// api { }, the token read from its file. A non-loopback address without a token is refused, so
// nobody exposes runtime changes to the network by accident.
import { readFileSync } from 'node:fs';
import { isLoopback, listenText, parseListen, type Listen } from '../config/listen.js';
import type { ApiConfig } from '../config/model.js';
import type { DaemonOptions } from './options.js';

export const DEFAULT_API_LISTEN: Listen = { host: '127.0.0.1', port: 9273 };

export interface ApiSettings {
  listen: Listen;
  token?: string;
  tokenFile?: string;
}

export type ApiResolution = { off: true } | { off: false; settings: ApiSettings } | { error: string };

type Options = Pick<DaemonOptions, 'apiListen' | 'apiTokenFile' | 'noApi'>;

export function resolveApi(
  options: Options,
  config: Pick<ApiConfig, 'listen' | 'tokenFile'> | undefined,
  readFile: (path: string) => string = (p) => readFileSync(p, 'utf8'),
): ApiResolution {
  if (options.noApi) return { off: true };
  const listen =
    (options.apiListen !== undefined ? parseListen(options.apiListen) : null) ??
    config?.listen ??
    DEFAULT_API_LISTEN;
  const tokenFile = options.apiTokenFile ?? config?.tokenFile;
  let token: string | undefined;
  if (tokenFile !== undefined) {
    try {
      token = readFile(tokenFile).trim();
    } catch (e) {
      return {
        error: `API token_file ${tokenFile}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      };
    }
    if (token === '') return { error: `API token_file ${tokenFile} is empty` };
    if (/\s/.test(token)) return { error: `API token_file ${tokenFile}: the token must be one word` };
  }
  if (!token && !isLoopback(listen.host))
    return {
      error: `the API on ${listenText(listen)} is reachable from the network: give it a token (api { token_file PATH } or --api-token-file), or listen on 127.0.0.1`,
    };
  return { off: false, settings: { listen, ...(token ? { token, tokenFile } : {}) } };
}

/** Whether a running listener can stay as it is (same address, same token). */
export function sameApi(a: ApiSettings | null, b: ApiSettings | null): boolean {
  if (!a || !b) return a === b;
  return a.listen.host === b.listen.host && a.listen.port === b.listen.port && a.token === b.token;
}
