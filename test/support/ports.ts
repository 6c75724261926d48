// A TCP port nothing listens on right now, for servers and daemons a test starts next.
import net from 'node:net';

export async function freePort(address = '127.0.0.1'): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, address, r));
  const { port } = s.address() as net.AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}
