// sd_notify(3) without libsystemd: one datagram to $NOTIFY_SOCKET, so vigil.service can be
// Type=notify (systemd knows when vigil is up, reloading, stopping). Outside systemd: nothing.
import { UnixDgramSender } from '../os/unix-dgram.js';

let sender: UnixDgramSender | null | undefined;

/** Sends `READY=1`, `RELOADING=1`, `STOPPING=1` …; returns whether systemd was told. */
export function sdNotify(state: string): boolean {
  if (sender === undefined) {
    const path = process.env.NOTIFY_SOCKET;
    sender = path ? new UnixDgramSender(path) : null;
  }
  return sender !== null && sender.send(Buffer.from(state)) === null;
}
