// The sockets of checks with bind_if / fwmark (sockopts.ts), made by the native addon: TCP
// connections from the connect prober handed to a net.Socket (HTTP_GET, SSL_GET, SMTP_CHECK), UDP
// sockets handed to dgram (UDP_CHECK, DNS_CHECK).
import dgram from 'node:dgram';
import net from 'node:net';
import { native } from '../os/native.js';
import { describeError } from './result.js';
import { NO_ADDON, needsSockopts, stepFailure, type CheckSockopts } from './sockopts.js';
import { nativeConnect, type NativeTcpOptions } from './tcp-native.js';

const STEPS: Record<string, number> = { SO_MARK: 1, SO_BINDTODEVICE: 2, bind: 3 };

/**
 * A TCP connection with the options set, connected (within o.timeoutMs) and wrapped in a
 * net.Socket; a string saying why when it cannot be made.
 */
export async function connectWithSockopts(
  o: NativeTcpOptions,
  signal?: AbortSignal,
): Promise<net.Socket | string> {
  const pending = nativeConnect(o, signal);
  if (!pending) return NO_ADDON;
  const r = await pending;
  if (r.fd === undefined) return r.reason === 'timeout' ? 'timeout connecting' : r.reason;
  return new net.Socket({ fd: r.fd, readable: true, writable: true });
}

export interface UdpSocketOptions extends CheckSockopts {
  host: string;
  bindto?: string;
  bindPort?: number;
}

/**
 * The UDP socket of a check (not yet connected): Node's own, or with bind_if / fwmark / bindto /
 * bind_port applied natively (as keepalived's socket_bind_connect and udp_bind_connect); a string
 * saying why when it cannot be made.
 */
export function checkUdpSocket(o: UdpSocketOptions): dgram.Socket | string {
  if (!needsSockopts(o) && o.bindto === undefined && o.bindPort === undefined)
    return dgram.createSocket(net.isIPv6(o.host) ? 'udp6' : 'udp4');
  return udpWithSockopts(o);
}

function udpWithSockopts(o: UdpSocketOptions): dgram.Socket | string {
  let fd: number;
  try {
    fd = native().checkSocket(o.host, o.bindIf ?? null, o.fwmark ?? 0, o.bindto ?? null, o.bindPort ?? 0);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (!err.code) return err.message.includes('addon') ? NO_ADDON : err.message;
    return stepFailure(STEPS[err.syscall ?? ''] ?? 0, describeError(err), o);
  }
  const sock = dgram.createSocket(net.isIPv6(o.host) ? 'udp6' : 'udp4');
  sock.bind({ fd });
  return sock;
}
