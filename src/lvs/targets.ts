// How the API names a virtual server and a real server, and finding them in the configuration.
// Virtual server: `IP:PORT` or `[IPv6]:PORT`, with `tcp:` / `udp:` / `sctp:` in front when two
// services share the address and port; `fwm:N` for a fwmark service; `group:NAME` for a
// virtual_server group. Real server: `IP:PORT` or `[IPv6]:PORT`. Pure.
import { parseHostPort } from '../config/listen.js';
import type { Config, RealServer, VirtualServer } from '../config/model.js';

export type VsTarget =
  | { kind: 'addr'; protocol?: 'TCP' | 'UDP' | 'SCTP'; address: string; port: number }
  | { kind: 'fwmark'; fwmark: number }
  | { kind: 'group'; group: string };

export interface RsTarget {
  address: string;
  port: number;
}

export type Found = { vs: VirtualServer; rs: RealServer } | { status: 400 | 404; error: string };

function hostPort(text: string): RsTarget | null {
  const hp = parseHostPort(text);
  return hp ? { address: hp.host, port: hp.port } : null;
}

export function parseVsTarget(text: string): VsTarget | null {
  const fw = /^fwm:(\d{1,10})$/.exec(text);
  if (fw) {
    const n = Number(fw[1]);
    return n >= 1 && n <= 0xffffffff ? { kind: 'fwmark', fwmark: n } : null;
  }
  if (text.startsWith('group:') && text.length > 6) return { kind: 'group', group: text.slice(6) };
  const p = /^(tcp|udp|sctp):(.*)$/i.exec(text);
  const hp = hostPort(p ? p[2]! : text);
  if (!hp) return null;
  return { kind: 'addr', ...hp, ...(p ? { protocol: p[1]!.toUpperCase() as 'TCP' | 'UDP' | 'SCTP' } : {}) };
}

export function parseRsTarget(text: string): RsTarget | null {
  return hostPort(text);
}

/** IPv6 in any spelling (2001:db8::1 = 2001:0db8:0:0::1). */
const sameIp = (a: string, b: string): boolean =>
  a === b ||
  (a.includes(':') && b.includes(':') && new URL(`http://[${a}]`).host === new URL(`http://[${b}]`).host);

const VS_FORMS = 'IP:PORT, [IPv6]:PORT, tcp:IP:PORT (or udp:, sctp:), fwm:N or group:NAME';

/** The virtual server the API's name points at, or why there is none (400: malformed). */
export function findVirtualServer(
  config: Config,
  vsText: string,
): { vs: VirtualServer } | { status: 400 | 404; error: string } {
  const vt = parseVsTarget(vsText);
  if (!vt) return { status: 400, error: `virtual server '${vsText}': write it as ${VS_FORMS}` };
  const matches = config.virtualServers.filter((vs) => {
    const k = vs.key;
    if (vt.kind === 'fwmark') return k.kind === 'fwmark' && k.fwmark === vt.fwmark;
    if (vt.kind === 'group') return k.kind === 'group' && k.group === vt.group;
    return (
      k.kind === 'addr' &&
      k.port === vt.port &&
      sameIp(k.address, vt.address) &&
      (vt.protocol === undefined || vs.protocol === vt.protocol)
    );
  });
  if (matches.length === 0) return { status: 404, error: `no virtual server ${vsText} in the configuration` };
  if (matches.length > 1)
    return {
      status: 400,
      error: `virtual server ${vsText} is ambiguous (${matches.map((m) => m.protocol).join(', ')}): put the protocol in front, e.g. ${matches[0]!.protocol.toLowerCase()}:${vsText}`,
    };
  return { vs: matches[0]! };
}

/** The real server of `vs` at that address and port. */
export function realServerOf(vs: VirtualServer, rt: RsTarget): RealServer | undefined {
  return vs.realServers.find((r) => (r.port ?? 0) === rt.port && sameIp(r.address, rt.address));
}

/** The answer to a real server name that is not `IP:PORT` / `[IPv6]:PORT`. */
export function badRsTarget(rsText: string): { status: 400; error: string } {
  return { status: 400, error: `real server '${rsText}': write it as IP:PORT or [IPv6]:PORT` };
}

/** The configured real server the two names point at, or why there is none (400: malformed). */
export function findRealServer(config: Config, vsText: string, rsText: string): Found {
  const found = findVirtualServer(config, vsText);
  if ('error' in found) return found;
  const rt = parseRsTarget(rsText);
  if (!rt) return badRsTarget(rsText);
  const rs = realServerOf(found.vs, rt);
  if (!rs) return { status: 404, error: `virtual server ${vsText} has no real server ${rsText}` };
  return { vs: found.vs, rs };
}
