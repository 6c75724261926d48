// handleAdm over the real user-space engine (loopback only): what vigil adm adds is programmed,
// listed back from the engine, and its connection table and timeouts are the engine's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAdmArgs } from '../../../src/adm/args.js';
import { CounterBaseline } from '../../../src/adm/baseline.js';
import { handleAdm, type AdmBackend } from '../../../src/adm/handle.js';
import { ProxyEngine } from '../../../src/dataplane/proxy/engine.js';
import { names } from '../../unit/adm/replay.js';
import { freePort } from '../../support/ports.js';

test('vigil adm against the user-space engine', async () => {
  const engine = new ProxyEngine();
  const counters = new CounterBaseline(() => engine.stats());
  const backend: AdmBackend = {
    read: () => engine.read(),
    apply: (c) => engine.apply(c),
    stats: () => counters.stats(),
    zero: (k) => counters.zero(k),
    connections: async () => engine.connections(),
    getTimeouts: () => engine.getTimeouts(),
    setTimeouts: (t) => engine.setTimeouts(t),
  };
  const adm = async (line: string) => {
    const p = parseAdmArgs(line.split(' '), { names });
    assert.ok(p.ok, line);
    return handleAdm(p.command, backend, names);
  };
  const vport = await freePort();
  try {
    assert.equal((await adm(`-A -t 127.0.0.1:${vport} -s wrr`)).exitCode, 0);
    assert.equal((await adm(`-a -t 127.0.0.1:${vport} -r 127.0.0.2:8080 -m -w 3`)).exitCode, 0);
    assert.equal((await adm(`-a -t 127.0.0.1:${vport} -r 127.0.0.3:8080 -m`)).exitCode, 0);
    assert.deepEqual(await adm(`-a -t 127.0.0.1:${vport} -r 127.0.0.3:8080 -m`), {
      output: 'Destination already exists\n',
      exitCode: 255,
    });
    assert.equal(
      (await adm(`-S -n`)).output,
      `-A -t 127.0.0.1:${vport} -s wrr\n` +
        `-a -t 127.0.0.1:${vport} -r 127.0.0.2:8080 -m -w 3\n` +
        `-a -t 127.0.0.1:${vport} -r 127.0.0.3:8080 -m -w 1\n`,
    );
    assert.match(
      (await adm('-Ln --stats')).output,
      new RegExp(`^TCP  127\\.0\\.0\\.1:${vport} +0 +0 +0 +0 +0$`, 'm'),
    );
    assert.equal((await adm('-Z')).exitCode, 0);
    assert.equal((await adm('--set 60 0 30')).exitCode, 0);
    assert.equal((await adm('-L --timeout')).output, 'Timeout (tcp tcpfin udp): 60 120 30\n');
    assert.equal(
      (await adm('-Lnc')).output,
      'IPVS connection entries\npro expire state       source             virtual            destination\n',
    );
    assert.equal((await adm(`-d -t 127.0.0.1:${vport} -r 127.0.0.2:8080`)).exitCode, 0);
    assert.equal((await adm('-C')).exitCode, 0);
    assert.deepEqual(await engine.read(), []);
  } finally {
    await engine.close();
  }
});
