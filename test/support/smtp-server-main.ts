// `node --import tsx smtp-server-main.ts HOST PORT`: the test SMTP server as a process, for labs
// (it runs inside a node's namespace). Prints `listening` then one JSON line per mail received.
import { TestSmtpServer } from './smtp-server.js';

const [host, port] = process.argv.slice(2);
const srv = new TestSmtpServer();
let seen = 0;
await srv.listen(host ?? '127.0.0.1', Number(port ?? 2525));
process.stdout.write('listening\n');
for (;;) {
  const mails = await srv.waitFor(seen + 1, 3_600_000);
  for (const m of mails.slice(seen)) process.stdout.write(JSON.stringify(m) + '\n');
  seen = mails.length;
}
