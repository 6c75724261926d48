// bind_if and fwmark: the socket options keepalived 2.2.7 sets on a check's socket
// (SO_MARK, then SO_BINDTODEVICE, then bind, then connect: layer4.c socket_bind_connect) and
// Node's sockets cannot. Checks that carry them get their sockets from the native addon; the
// others keep Node's own path untouched. The sockets themselves: native-socket.ts.
export interface CheckSockopts {
  /** bind_if: SO_BINDTODEVICE. */
  bindIf?: string;
  /** fwmark: SO_MARK (0: none, as keepalived). */
  fwmark?: number;
}

/** Whether the check needs a socket made natively. */
export function needsSockopts(o: CheckSockopts): boolean {
  return o.bindIf !== undefined || !!o.fwmark;
}

export const NO_ADDON = "bind_if and fwmark need vigil's native addon, which is not loaded here";

/** A failed setup step (1 SO_MARK, 2 SO_BINDTODEVICE, 3 bind, 0 connect) in keepalived's words. */
export function stepFailure(step: number, why: string, o: CheckSockopts): string {
  if (step === 1) return `error setting fwmark ${o.fwmark ?? 0} to socket: ${why}`;
  if (step === 2) return `can't bind to device ${o.bindIf ?? ''}: ${why}`;
  return why;
}

/**
 * Whether a failed check's reason is one of the above (possibly after the url or host it names):
 * the configuration or the machine is wrong, not the server, so it is worth a log line.
 */
export function isSockoptFailure(reason: string): boolean {
  return (
    /(?:^|: )(?:error setting fwmark \d+ to socket|can't bind to device [^:]*): /.test(reason) ||
    reason.endsWith(NO_ADDON)
  );
}
