// Whether a process is one a vrrp_track_process counts, as keepalived 2.2.7 decides it
// (core/track_process.c: check_process, check_params). Pure: the caller reads /proc.
//
// Without full_command the name is compared with comm (/proc/PID/comm, at most 15 bytes), exactly
// (no pattern: `process ssh` does not match sshd). With full_command (implied by parameters or
// param_match) it is compared with argv[0] of /proc/PID/cmdline, and the parameters are the bytes
// after argv[0]'s NUL, each configured one compared with its NUL:
//   exact:   the same parameters, no more (no parameters configured: the command has none);
//   partial: the configured parameters come first, more may follow;
//   initial: as partial, but the last configured parameter may be the start of a longer one.

export type ParamMatch = 'none' | 'exact' | 'partial' | 'initial';

export interface ProcessPattern {
  process: string;
  params?: readonly string[];
  paramMatch: ParamMatch;
  fullCommand: boolean;
}

export interface ProcessInfo {
  /** /proc/PID/comm without its newline. */
  comm: string;
  /** /proc/PID/cmdline as read (NUL-separated); only needed for full_command patterns. */
  cmdline?: Buffer;
}

/** The configured parameters as keepalived stores them: each followed by a NUL. */
export function paramBytes(params: readonly string[] | undefined): Buffer | null {
  if (!params || params.length === 0) return null;
  return Buffer.concat(params.map((p) => Buffer.from(p + '\0', 'utf8')));
}

/** check_params: `actual` is null when argv[0] has no terminating NUL (a rewritten cmdline). */
export function paramsMatch(match: ParamMatch, want: Buffer | null, actual: Buffer | null): boolean {
  if (match === 'none') return true;
  if (actual === null) return match !== 'exact' && want === null;
  if (match === 'exact') return want === null ? actual.length === 0 : actual.equals(want);
  if (want === null) return true;
  if (actual.length < want.length) return false;
  if (match === 'partial') return actual.subarray(0, want.length).equals(want);
  // initial: the last parameter's NUL is not compared.
  return want.length === 1 || actual.subarray(0, want.length - 1).equals(want.subarray(0, want.length - 1));
}

/** A compiled pattern: the byte strings are built once, not per process. */
export class ProcessMatcher {
  private readonly name: Buffer;
  private readonly params: Buffer | null;

  constructor(readonly pattern: ProcessPattern) {
    this.name = Buffer.from(pattern.process, 'utf8');
    this.params = paramBytes(pattern.params);
  }

  get fullCommand(): boolean {
    return this.pattern.fullCommand;
  }

  matches(info: ProcessInfo): boolean {
    if (!this.pattern.fullCommand) return info.comm === this.pattern.process;
    const cmd = info.cmdline;
    if (!cmd || cmd.length === 0) return false; // kernel threads and zombies have none
    const nul = cmd.indexOf(0);
    const argv0 = nul < 0 ? cmd : cmd.subarray(0, nul);
    if (!argv0.equals(this.name)) return false;
    return paramsMatch(this.pattern.paramMatch, this.params, nul < 0 ? null : cmd.subarray(nul + 1));
  }
}
