// Unix datagram sockets through the native addon: Node's core has none, and both syslog's
// /dev/log and systemd's NOTIFY_SOCKET are datagram sockets.
import { AF_UNIX, SOCK_DGRAM, native, isSyscallError, sockaddrUn } from './native.js';

/** An unbound datagram socket that sends to one address; errors are answered, never thrown. */
export class UnixDgramSender {
  private fd: number | null = null;
  private readonly addr: Buffer;

  constructor(readonly path: string) {
    this.addr = sockaddrUn(path);
  }

  /** Sends one datagram; returns the errno name when it could not (ENOENT, ECONNREFUSED …). */
  send(data: Buffer): string | null {
    try {
      if (this.fd === null) this.fd = native().socket(AF_UNIX, SOCK_DGRAM, 0);
      native().sendmsg(this.fd, data, this.addr, null);
      return null;
    } catch (e) {
      return isSyscallError(e) ? e.code : (e as Error).message;
    }
  }

  close(): void {
    if (this.fd !== null) native().close(this.fd);
    this.fd = null;
  }
}
