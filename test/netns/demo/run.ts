// Running the vigil CLI as a user does, for the demo and lab tests: output captured, exit code
// kept, a bound on time; and what a lab may leave behind (namespaces, processes).
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { namespacesOf } from '../../../src/lab/index.js';

const CLI = join(import.meta.dirname, '../../../src/cli/main.ts');

export interface Run {
  child: ChildProcess;
  /** stdout + stderr so far. */
  output: () => string;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

/** Starts `vigil ARGS` (optionally behind a prefix such as setpriv, in env); kills it after timeoutMs. */
export function vigil(
  args: string[],
  o: { timeoutMs?: number; prefix?: string[]; env?: NodeJS.ProcessEnv } = {},
): Run {
  const argv = [...(o.prefix ?? []), process.execPath, '--import', 'tsx', CLI, ...args];
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env: o.env });
  let stdout = '';
  let stderr = '';
  let all = '';
  child.stdout!.on('data', (b: Buffer) => ((stdout += b), (all += b)));
  child.stderr!.on('data', (b: Buffer) => ((stderr += b), (all += b)));
  const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 60_000);
  const done = new Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
    stdout: string;
    stderr: string;
  }>((resolve) =>
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    }),
  );
  return { child, output: () => all, done };
}

/** The network-namespace inodes of lab `id` now (as /proc/PID/ns/net names them: net:[INODE]). */
export function namespaceInodes(id: string): string[] {
  return namespacesOf(id).map((ns) => `net:[${statSync(`/run/netns/${ns}`).ino}]`);
}

/** Processes still inside any of those namespaces (deleting a namespace's name does not end them). */
export function processesIn(inodes: string[]): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (inodes.includes(readlinkSync(`/proc/${d}/ns/net`))) out.push(Number(d));
    } catch {
      // Gone meanwhile.
    }
  }
  return out;
}

export { namespacesOf };

export async function waitOutput(r: Run, re: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const m = re.exec(r.output());
    if (m) return m;
    if (Date.now() > end) throw new Error(`no ${re} within ${timeoutMs} ms in:\n${r.output()}`);
    await new Promise((res) => setTimeout(res, 100));
  }
}
