// `vigil realserver`, the pure part: its command line, what a DR or TUN real server needs (the
// VIPs on lo / a dummy device / tunl0, ARP and rp_filter sysctls, as the seed guides script by
// hand), what is missing from what was observed, and the files --persist writes.
import { parseCidr } from '../base/inet.js';
import { sysctlName, type SysctlKey } from '../os/sysctl.js';

export type Mode = 'dr' | 'tun';

export interface RealserverOptions {
  vips: { address: string; prefix: number; family: 4 | 6 }[];
  mode: Mode;
  /** Where the VIPs go: lo (DR default), a named (dummy) device, or tunl0 (TUN). */
  dev: string;
  undo: boolean;
  persist: boolean;
  check: boolean;
  /** Files (persistence, state) live under this root; tests point it at a temporary folder. */
  root: string;
}

export const USAGE = `usage: vigil realserver --vip ADDR [--vip ADDR ...] [--mode dr|tun] [--dev NAME] [--persist] [--root DIR]
       vigil realserver --check --vip ADDR ... [--mode dr|tun] [--dev NAME] [--persist] [--root DIR]
       vigil realserver --undo [--vip ADDR ...] [--root DIR]
  Sets up an LVS real server: each VIP as /32 (/128) on lo (DR; --dev NAME: a dummy device) or on
  tunl0 (TUN, IPv4 only), arp_ignore=1 and arp_announce=2 on all and the device, and for TUN
  rp_filter=0 on all and tunl0. Idempotent. --persist also writes
  ROOT/etc/sysctl.d/90-vigil-realserver.conf and ROOT/etc/systemd/system/vigil-realserver.service.
  --check prints what is missing, one line each (exit 0: all in place, 1: something missing).
  --undo puts back what an earlier run changed (kept in ROOT/var/lib/vigil/realserver.json);
  with --vip, only those VIPs (the sysctls stay while other VIPs remain).`;

export type ParsedRealserverArgs = { ok: true; options: RealserverOptions } | { ok: false; error: string };

const IFNAME = /^[A-Za-z0-9_.:-]{1,15}$/;

export function parseRealserverArgs(argv: readonly string[]): ParsedRealserverArgs {
  const o: RealserverOptions = {
    vips: [],
    mode: 'dr',
    dev: 'lo',
    undo: false,
    persist: false,
    check: false,
    root: '/',
  };
  let dev: string | undefined;
  let mode: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i]!;
    const eq = raw.startsWith('--') ? raw.indexOf('=') : -1;
    const flag = eq > 0 ? raw.slice(0, eq) : raw;
    const value = (): string | undefined => (eq > 0 ? raw.slice(eq + 1) : argv[++i]);
    switch (flag) {
      case '--vip': {
        const v = value();
        if (!v) return { ok: false, error: '--vip needs an address (e.g. --vip 192.168.1.100)' };
        let c: ReturnType<typeof parseCidr>;
        try {
          c = parseCidr(v);
        } catch {
          return { ok: false, error: `--vip '${v}': not an IPv4 or IPv6 address` };
        }
        const full = c.family === 4 ? 32 : 128;
        // A shorter prefix on lo would make the server answer for the whole subnet.
        if (c.prefix !== full) return { ok: false, error: `--vip '${v}': a VIP is a /${full}` };
        if (!o.vips.some((x) => x.address === c.address)) o.vips.push({ ...c, prefix: full });
        break;
      }
      case '--mode':
        mode = value();
        if (mode !== 'dr' && mode !== 'tun')
          return { ok: false, error: `--mode needs 'dr' or 'tun'${mode ? `, not '${mode}'` : ''}` };
        o.mode = mode;
        break;
      case '--dev':
        dev = value();
        if (!dev || !IFNAME.test(dev))
          return { ok: false, error: `--dev needs an interface name (1..15 letters, digits, _ . : -)` };
        break;
      case '--root': {
        const r = value();
        if (!r) return { ok: false, error: '--root needs a directory' };
        o.root = r;
        break;
      }
      case '--undo':
      case '--persist':
      case '--check':
        if (eq > 0) return { ok: false, error: `${flag} takes no value` };
        o[flag.slice(2) as 'undo' | 'persist' | 'check'] = true;
        break;
      default:
        return { ok: false, error: `unknown option '${raw}'` };
    }
  }
  if (o.undo && (o.check || o.persist))
    return { ok: false, error: '--undo cannot be combined with --check or --persist' };
  if (!o.undo && o.vips.length === 0) return { ok: false, error: 'at least one --vip ADDR is needed' };
  if (o.mode === 'tun') {
    if (dev !== undefined && dev !== 'tunl0')
      return { ok: false, error: `--mode tun puts the VIPs on tunl0 (the ipip device), not '${dev}'` };
    const v6 = o.vips.find((v) => v.family === 6);
    if (v6)
      return { ok: false, error: `--mode tun: ${v6.address} is IPv6; LVS-TUN over ipip carries IPv4 VIPs` };
    o.dev = 'tunl0';
  } else if (dev !== undefined) {
    if (dev === 'tunl0') return { ok: false, error: 'tunl0 is for --mode tun' };
    o.dev = dev;
  }
  return { ok: true, options: o };
}

export interface SysctlSetting {
  key: SysctlKey;
  value: string;
}

const conf = (dev: string, name: string): SysctlKey => ['net', 'ipv4', 'conf', dev, name];

/**
 * The kernel takes the larger of `all` and the device for arp_ignore / arp_announce, and for
 * rp_filter: so both are set, as the guides do. IPv6 has no ARP: IPv6-only VIPs need none.
 */
export function desiredSysctls(mode: Mode, dev: string, hasIpv4: boolean): SysctlSetting[] {
  if (!hasIpv4) return [];
  const out: SysctlSetting[] = [];
  for (const d of ['all', dev]) {
    out.push({ key: conf(d, 'arp_ignore'), value: '1' });
    out.push({ key: conf(d, 'arp_announce'), value: '2' });
  }
  // TUN: replies leave by the default route for packets that arrived on tunl0; strict reverse-path
  // filtering would drop the decapsulated packets.
  if (mode === 'tun') for (const d of ['all', dev]) out.push({ key: conf(d, 'rp_filter'), value: '0' });
  return out;
}

/** What --check compares with what it wants. */
export interface Observed {
  link: { exists: boolean; up: boolean };
  /** Addresses on the device: address text -> prefix. */
  addresses: Map<string, number>;
  sysctls: Map<string, string | null>;
  /** Persistence files: path -> content (absent: undefined). */
  files: Map<string, string | undefined>;
}

export interface PersistFile {
  path: string;
  content: string;
}

/** One line for each thing that is not as wanted; empty when everything is in place. */
export function missingItems(o: RealserverOptions, observed: Observed, wantFiles: PersistFile[]): string[] {
  const out: string[] = [];
  if (!observed.link.exists) out.push(`missing: interface ${o.dev}`);
  else if (!observed.link.up) out.push(`missing: interface ${o.dev} is down`);
  for (const v of o.vips) {
    const have = observed.addresses.get(v.address);
    if (have === undefined) out.push(`missing: ${v.address}/${v.prefix} on ${o.dev}`);
    else if (have !== v.prefix) out.push(`wrong: ${v.address} on ${o.dev} is /${have}, want /${v.prefix}`);
  }
  for (const s of desiredSysctls(
    o.mode,
    o.dev,
    o.vips.some((v) => v.family === 4),
  )) {
    const name = sysctlName(s.key);
    const have = observed.sysctls.get(name);
    if (have === null || have === undefined) out.push(`missing: ${name} (no such parameter)`);
    else if (have !== s.value) out.push(`wrong: ${name} = ${have}, want ${s.value}`);
  }
  for (const f of wantFiles) {
    const have = observed.files.get(f.path);
    if (have === undefined) out.push(`missing: ${f.path}`);
    else if (have !== f.content) out.push(`wrong: ${f.path} differs from what --persist writes`);
  }
  return out;
}

export const SYSCTL_FILE = 'etc/sysctl.d/90-vigil-realserver.conf';
export const UNIT_FILE = 'etc/systemd/system/vigil-realserver.service';
export const STATE_FILE = 'var/lib/vigil/realserver.json';
export const UNIT_NAME = 'vigil-realserver.service';

/** `root` joined with a path relative to it. */
export function underRoot(root: string, rel: string): string {
  return `${root.replace(/\/+$/, '')}/${rel}`;
}

/**
 * The files --persist writes: sysctl.d (applied early at boot by systemd-sysctl) and a oneshot unit
 * that puts the VIPs back (and the sysctls, for devices that appear late) through vigil itself.
 */
export function persistFiles(
  root: string,
  mode: Mode,
  dev: string,
  vips: readonly { address: string; prefix: number; family: 4 | 6 }[],
  vigilBin: string,
): PersistFile[] {
  const sysctls = desiredSysctls(
    mode,
    dev,
    vips.some((v) => v.family === 4),
  );
  const vipArgs = vips.map((v) => `--vip ${v.address}`).join(' ');
  const devArg = mode === 'dr' && dev !== 'lo' ? ` --dev ${dev}` : '';
  const files: PersistFile[] = [];
  if (sysctls.length)
    files.push({
      path: underRoot(root, SYSCTL_FILE),
      content:
        '# LVS real server ARP settings, written by `vigil realserver --persist`;\n' +
        '# `vigil realserver --undo` removes this file.\n' +
        sysctls.map((s) => `${sysctlName(s.key)} = ${s.value}\n`).join(''),
    });
  files.push({
    path: underRoot(root, UNIT_FILE),
    content: `# Written by \`vigil realserver --persist\`; \`vigil realserver --undo\` removes it.
[Unit]
Description=LVS ${mode.toUpperCase()} real server VIPs (vigil realserver)
Wants=network-pre.target
After=network-pre.target
Before=network.target

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=${vigilBin} realserver --mode ${mode}${devArg} ${vipArgs}

[Install]
WantedBy=multi-user.target
`,
  });
  return files;
}

/** What an earlier run changed, so that --undo can put it back. */
export interface RealserverState {
  version: 1;
  mode: Mode;
  dev: string;
  /** Every VIP asked for (persisted files list these). */
  vips: { address: string; prefix: number; family: 4 | 6 }[];
  /** VIPs this tool added (ones already present are left alone by --undo). */
  added: string[];
  /** Values before the first change, by sysctl name and path components. */
  sysctls: { key: string[]; previous: string }[];
  /** Devices this tool created (a dummy) or brought up. */
  createdLink: boolean;
  upLink: boolean;
  persisted: boolean;
}

/** Validates a state file's JSON; null when it is not one. */
export function parseState(text: string): RealserverState | null {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  const s = v as Partial<RealserverState>;
  if (
    !s ||
    s.version !== 1 ||
    (s.mode !== 'dr' && s.mode !== 'tun') ||
    typeof s.dev !== 'string' ||
    !Array.isArray(s.vips) ||
    !Array.isArray(s.added) ||
    !Array.isArray(s.sysctls)
  )
    return null;
  return s as RealserverState;
}
