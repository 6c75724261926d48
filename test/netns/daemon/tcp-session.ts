// Long-lived TCP sessions for the failover tests, run as `node -e` programs in lab namespaces: a
// server that numbers connections and lines (so "the same connection" is visible in its answers)
// and a client holding one connection, driven line by line from the test.
import type { ChildProcess } from 'node:child_process';
import { waitFor } from '../vrrpd/harness.js';

/** A TCP service that answers each line with its name, the connection's number and the line's. */
export const SERVER = `
const [name, port] = process.argv.slice(1);
let conns = 0;
require('node:net').createServer((s) => {
  const id = ++conns; let n = 0; let buf = '';
  s.setEncoding('utf8');
  s.on('error', () => {});
  s.on('data', (d) => {
    buf += d;
    for (let i; (i = buf.indexOf('\\n')) >= 0; buf = buf.slice(i + 1))
      s.write(name + ' conn=' + id + ' n=' + ++n + ' len=' + i + '\\n');
  });
}).listen(Number(port), '0.0.0.0', () => console.log('ready'));
`;

/** One TCP connection: each stdin line is sent (LEN:k sends k bytes), each answer printed. */
export const HOLDER = `
const [host, port] = process.argv.slice(1);
const s = require('node:net').connect({ host, port: Number(port) });
s.setEncoding('utf8');
s.on('connect', () => console.log('connected ' + s.localPort));
s.on('data', (d) => process.stdout.write(d));
s.on('error', (e) => console.log('error ' + e.message));
s.on('close', () => console.log('closed'));
require('node:readline').createInterface({ input: process.stdin }).on('line', (l) => {
  const m = /^LEN:(\\d+)$/.exec(l);
  s.write((m ? 'x'.repeat(Number(m[1])) : l) + '\\n');
});
`;

export function lines(child: ChildProcess): {
  next: (what: string, ms?: number) => Promise<string>;
  all: string[];
} {
  const all: string[] = [];
  let buf = '';
  let taken = 0;
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    const parts = buf.split('\n');
    buf = parts.pop() ?? '';
    all.push(...parts);
  });
  return {
    all,
    next: (what, ms = 10_000) =>
      waitFor(what, async () => (all.length > taken ? all[taken++] : null), ms, 20),
  };
}
