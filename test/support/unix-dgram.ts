// A unix datagram listener for tests (syslog's /dev/log, systemd's NOTIFY_SOCKET stand-ins),
// through vigil's native addon: Node's core has no unix datagram sockets.
import { rmSync } from 'node:fs';
import { AF_UNIX, SOCK_DGRAM, native, sockaddrUn } from '../../src/os/native.js';

export class DgramListener {
  readonly messages: string[] = [];
  private readonly fd: number;
  private readonly timer: NodeJS.Timeout;

  constructor(readonly path: string) {
    rmSync(path, { force: true });
    this.fd = native().socket(AF_UNIX, SOCK_DGRAM, 0);
    native().bind(this.fd, sockaddrUn(path));
    this.timer = setInterval(() => this.drain(), 20);
  }

  private drain(): void {
    for (let m = native().recvmsg(this.fd, 65536); m; m = native().recvmsg(this.fd, 65536))
      this.messages.push(m.data.toString('utf8'));
  }

  /** The first message (after `from`) matching `re`, waiting up to `ms`. */
  async waitFor(re: RegExp, ms: number, from = 0): Promise<{ text: string; index: number }> {
    const t0 = Date.now();
    for (;;) {
      this.drain();
      const index = this.messages.findIndex((m, i) => i >= from && re.test(m));
      if (index >= 0) return { text: this.messages[index]!, index };
      if (Date.now() - t0 > ms)
        throw new Error(
          `${this.path}: no datagram matching ${re} in ${ms} ms; got ${JSON.stringify(this.messages)}`,
        );
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  close(): void {
    clearInterval(this.timer);
    native().close(this.fd);
    rmSync(this.path, { force: true });
  }
}
