// `ADDRESS:PORT` as the api { listen } keyword and `vigil run --api-listen` take it: IPv4 as is,
// IPv6 in brackets ([::1]:9273), port 1..65535. Pure.
import { isIP } from 'node:net';

export interface Listen {
  host: string;
  port: number;
}

/** `IP:PORT` / `[IPv6]:PORT` with a port minPort..65535 (the API names real servers so too). */
export function parseHostPort(text: string, minPort = 0): Listen | null {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([0-9.]+)):(\d{1,5})$/.exec(text);
  if (!m) return null;
  const host = m[1] ?? m[2]!;
  if (isIP(host) !== (m[1] !== undefined ? 6 : 4)) return null;
  const port = Number(m[3]);
  return port >= minPort && port <= 65535 ? { host, port } : null;
}

export function parseListen(text: string): Listen | null {
  return parseHostPort(text, 1);
}

/** 127.0.0.0/8 and ::1 (and ::ffff:127.x): the addresses only this machine can reach. */
export function isLoopback(host: string): boolean {
  const v4 = host.startsWith('::ffff:') ? host.slice(7) : host;
  if (isIP(v4) === 4) return v4.split('.')[0] === '127';
  return isIP(host) === 6 && /^(0{0,4}:){2,7}0{0,3}1$|^::1$/.test(host);
}

/** `ADDRESS:PORT`, IPv6 in brackets: how vigil names an endpoint everywhere (parseHostPort reads it). */
export function hostPortText(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

export function listenText(l: Listen): string {
  return hostPortText(l.host, l.port);
}

/** A real server's name in status, events, logs and the API: `10.0.0.2:80`, `[2001:db8::2]:80`. */
export function rsLabel(rs: { address: string; port?: number }): string {
  return hostPortText(rs.address, rs.port ?? 0);
}

/** A real server's identity across the checker, the planner and runtime changes. */
export function rsKey(
  vs: { label: string; protocol: string },
  rs: { address: string; port?: number },
): string {
  return `${vs.label}/${vs.protocol} -> ${rsLabel(rs)}`;
}
