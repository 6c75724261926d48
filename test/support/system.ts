// Preconditions for system tests: they run for real or skip with the reason printed.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { TestContext } from 'node:test';

function has(cmd: string, args: string[]): boolean {
  try {
    execFileSync(cmd, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Why network-namespace tests cannot run here, or null when they can. */
export function netnsUnavailable(): string | null {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces)';
  if (!has('ip', ['netns', 'list'])) return 'needs iproute2 with `ip netns`';
  return null;
}

/** Why a command is missing, or null when it is on PATH. */
export function commandUnavailable(cmd: string): string | null {
  return has('sh', ['-c', `command -v ${cmd}`]) ? null : `needs ${cmd}`;
}

/** Skips the test (printing why) unless every precondition holds; returns true when it may run. */
export function requireSystem(t: TestContext, ...reasons: (string | null)[]): boolean {
  const missing = reasons.filter((r): r is string => r !== null);
  if (missing.length === 0) return true;
  const why = missing.join('; ');
  console.log(`# skip ${t.name}: ${why}`);
  t.skip(why);
  return false;
}

/**
 * A PATH on which the commands `cmds` do not exist and everything else does: a fresh directory
 * of links to each executable of the current PATH (the first of a name wins), as on a machine
 * without them.
 */
export function pathWithout(...cmds: string[]): { path: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `vigil-path-without-`));
  for (const d of (process.env.PATH ?? '').split(delimiter)) {
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      continue;
    }
    for (const n of names) {
      if (cmds.includes(n) || existsSync(join(dir, n))) continue;
      try {
        symlinkSync(join(d, n), join(dir, n));
      } catch {
        // A name another PATH entry already gave (a dangling link): the first one stays.
      }
    }
  }
  return { path: dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
