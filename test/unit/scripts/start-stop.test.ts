// startup_script / shutdown_script with real processes: a script past its timeout gets SIGTERM to
// its process group, one that ignores it SIGKILL 2 s later; a failing script is logged with its
// status; a script that ends normally may leave a background process running.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runStartStopScript } from '../../../src/scripts/start-stop.js';

const LOC = { file: 'k.conf', line: 1, col: 1 };

function script(dir: string, name: string, body: string): string {
  const p = join(dir, name);
  writeFileSync(p, `#!/bin/sh\n${body}\n`);
  chmodSync(p, 0o755);
  return p;
}

/** Running (a zombie waiting for a reaper counts as gone). */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

test('start/stop scripts: bounded by the timeout (SIGTERM, then SIGKILL after 2 s); failures logged', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-startstop-'));
  const logs: string[] = [];
  const log = (level: string, m: string): number => logs.push(`${level}: ${m}`);
  const pidFile = join(dir, 'bg.pid');
  try {
    // Sleeps past its 1 s timeout: SIGTERM ends it (and the sleep in its group) at about 1 s.
    let t0 = performance.now();
    await runStartStopScript(
      'startup',
      { script: { argv: [script(dir, 'slow.sh', 'sleep 30')], loc: LOC }, timeoutS: 1 },
      log,
    );
    let took = performance.now() - t0;
    assert.ok(took >= 950 && took < 1900, `slow script ended after ${took} ms`);
    assert.ok(logs.includes('warning: startup script timed out'), logs.join('\n'));

    // Ignores SIGTERM: SIGKILL 2 s after the timeout.
    t0 = performance.now();
    const stubborn = script(
      dir,
      'stubborn.sh',
      `trap '' TERM\nsleep 30 & echo $! > ${pidFile}\nwait; wait; wait`,
    );
    await runStartStopScript('shutdown', { script: { argv: [stubborn], loc: LOC }, timeoutS: 1 }, log);
    took = performance.now() - t0;
    assert.ok(took >= 2900 && took < 4500, `stubborn script ended after ${took} ms`);
    const sleeper = Number(readFileSync(pidFile, 'utf8'));
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(alive(sleeper), false, 'its process group is gone');

    logs.length = 0;
    await runStartStopScript(
      'startup',
      { script: { argv: [script(dir, 'fail.sh', 'exit 3')], loc: LOC }, timeoutS: 5 },
      log,
    );
    assert.deepEqual(
      logs.filter((l) => l.startsWith('warning')),
      ['warning: startup script failed, status 3'],
    );

    // Ends at once, leaving a daemon behind: that one is not killed.
    await runStartStopScript(
      'startup',
      {
        script: {
          argv: [script(dir, 'bg.sh', `sleep 30 >/dev/null 2>&1 &\necho $! > ${pidFile}`)],
          loc: LOC,
        },
        timeoutS: 5,
      },
      log,
    );
    const bg = Number(readFileSync(pidFile, 'utf8'));
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(alive(bg), true, 'a background process the script started keeps running');
    process.kill(bg, 'SIGKILL');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
