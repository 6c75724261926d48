// `vigil adm [--runtime-dir DIR] IPVSADM-ARGS…`: ipvsadm's command line against the running
// daemon. Parsing (and its errors, worded and exited as ipvsadm's) happens here; the daemon applies
// the command through its planner and answers with what ipvsadm would print.
import { readFileSync } from 'node:fs';
import { controlRequest, controlSocketPath } from '../daemon/control.js';
import { DEFAULT_RUNTIME_DIR } from '../daemon/options.js';
import { parseAdmArgs, parseRestore, type AdmCommand } from '../adm/args.js';
import type { AdmReply } from '../adm/handle.js';

export { handleAdm, type AdmBackend, type AdmReply } from '../adm/handle.js';
export { checkAdmRequest } from '../adm/request.js';
export type { AdmCommand } from '../adm/args.js';

const PROGRAM = 'vigil adm';

export interface RunAdmIo {
  stdout?: (s: string) => void;
  stderr?: (s: string) => void;
  /** -R input (default: all of stdin). */
  stdin?: () => string;
}

function usage(): string {
  const p = PROGRAM;
  return [
    `${p}: ipvsadm (v1.31) against the running vigil daemon`,
    'Usage:',
    `  ${p} [--runtime-dir DIR] -A|E virtual-service [-s scheduler] [-p [timeout]] [-M netmask] [--pe engine] [-b sched-flags]`,
    `  ${p} -D virtual-service`,
    `  ${p} -C | -R | -S [-n]`,
    `  ${p} -a|e virtual-service -r server-address [-g|-i|-m] [-w weight] [-x upper] [-y lower] [--tun-type t ...]`,
    `  ${p} -d virtual-service -r server-address`,
    `  ${p} -L|l [virtual-service] [-n] [-c] [--stats|--rate|--thresholds|--persistent-conn|--tun-info] [--exact] [--nosort]`,
    `  ${p} -L --timeout | -L --daemon`,
    `  ${p} -Z [virtual-service]`,
    `  ${p} --set tcp tcpfin udp`,
    `  ${p} --start-daemon {master|backup} [--mcast-interface if] [--syncid id] | --stop-daemon {master|backup}`,
    `  ${p} -h | -v`,
    'virtual-service: -t|-u|--sctp-service host[:port], or -f fwmark [-6]',
    'Addresses are numeric (or /etc/hosts names); ports numeric or /etc/services names.',
    `Default runtime directory: ${DEFAULT_RUNTIME_DIR}.`,
    '',
  ].join('\n');
}

/** Takes `--runtime-dir DIR` / `--runtime-dir=DIR` out of argv wherever it is. */
function takeRuntimeDir(argv: string[]): { runtimeDir: string; rest: string[] } | { error: string } {
  let runtimeDir = DEFAULT_RUNTIME_DIR;
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--runtime-dir') {
      const v = argv[++i];
      if (v === undefined) return { error: '--runtime-dir: missing argument' };
      runtimeDir = v;
    } else if (a.startsWith('--runtime-dir=')) runtimeDir = a.slice('--runtime-dir='.length);
    else rest.push(a);
  }
  return { runtimeDir, rest };
}

function isReply(x: unknown): x is AdmReply {
  return (
    typeof x === 'object' &&
    x !== null &&
    typeof (x as AdmReply).output === 'string' &&
    typeof (x as AdmReply).exitCode === 'number'
  );
}

export async function runAdm(argv: string[], io: RunAdmIo = {}): Promise<number> {
  const out = io.stdout ?? ((s: string) => process.stdout.write(s));
  const err = io.stderr ?? ((s: string) => process.stderr.write(s));
  const taken = takeRuntimeDir(argv);
  if ('error' in taken) {
    err(`${taken.error}\n`);
    return 2;
  }
  const parsed = parseAdmArgs(taken.rest, { program: PROGRAM });
  if (!parsed.ok) {
    err(parsed.message + '\n');
    return parsed.exitCode;
  }
  let command: AdmCommand = parsed.command;
  if (command.cmd === 'help') {
    out(usage());
    return 0;
  }
  if (command.cmd === 'version') {
    out('vigil adm (ipvsadm v1.31 compatible, IPVS v1.2.1)\n');
    return 0;
  }
  if (command.cmd === 'restore') {
    const text = io.stdin ? io.stdin() : readFileSync(0, 'utf8');
    const r = parseRestore(text, { program: PROGRAM });
    if (!r.ok) {
      err(r.message + '\n');
      return r.exitCode;
    }
    command = r.command;
  }
  const path = controlSocketPath(taken.runtimeDir);
  let reply: unknown;
  try {
    reply = await controlRequest(path, { cmd: 'adm', args: command });
  } catch (e) {
    const msg = (e as Error).message;
    err(
      msg.startsWith('no vigil daemon')
        ? `vigil adm: vigil is not running (no control socket at ${path}; see --runtime-dir)\n`
        : `vigil adm: ${msg}\n`,
    );
    return 1;
  }
  if (!isReply(reply)) {
    err(`vigil adm: malformed answer from the daemon on ${path}\n`);
    return 1;
  }
  (reply.exitCode === 0 ? out : err)(reply.output);
  return reply.exitCode;
}
