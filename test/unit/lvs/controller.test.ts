// The controller's planning: a change to one virtual server plans only its services against the
// table as last applied (no read-back of the whole table), and a failed apply is retried.
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfigText } from '../../../src/config/load.js';
import { LvsController } from '../../../src/lvs/controller.js';
import { MemoryEngine } from './memory-engine.js';

const CONF = `
virtual_server 10.0.0.1 80 {
    lb_algo wrr
    lb_kind NAT
    protocol TCP
    real_server 10.1.0.1 80 {
        weight 1
    }
    real_server 10.1.0.2 80 {
        weight 1
    }
}
virtual_server 10.0.0.2 80 {
    lb_algo rr
    lb_kind NAT
    protocol TCP
    real_server 10.2.0.1 80 {
        weight 3
    }
}
`;

let controller: LvsController | undefined;
afterEach(async () => {
  await controller?.stop();
  controller = undefined;
});

function start(conf = CONF): { engine: MemoryEngine; logs: string[]; ready: Promise<void> } {
  const { config, diagnostics } = loadConfigText(conf, 'controller.conf');
  assert.deepEqual(
    diagnostics.filter((d) => d.severity === 'error'),
    [],
  );
  const engine = new MemoryEngine();
  const logs: string[] = [];
  controller = new LvsController(config, engine, { log: (l, m) => logs.push(`${l}: ${m}`) });
  return { engine, logs, ready: controller.start() };
}

const weights = (e: MemoryEngine) =>
  e.state.map(
    (s) => `${s.key.kind === 'addr' ? s.key.address : ''} ${s.dests.map((d) => d.weight).join(',')}`,
  );

test('one real-server change plans only its virtual server, without reading the engine back', async () => {
  const { engine, ready } = start();
  await ready;
  assert.equal(engine.reads, 1, 'read once at start (adoption)');
  assert.deepEqual(weights(engine), ['10.0.0.1 1,1', '10.0.0.2 3']);
  const r = await controller!.runtimeChange({
    vs: '10.0.0.2:80',
    rs: '10.2.0.1:80',
    action: 'weight',
    weight: 7,
  });
  assert.equal(r.ok, true, JSON.stringify(r));
  assert.equal(engine.reads, 1, 'no read-back for the change');
  assert.deepEqual(engine.applies.at(-1), [
    {
      op: 'edit-dest',
      key: { kind: 'addr', family: 4, address: '10.0.0.2', port: 80, protocol: 'tcp' },
      dest: {
        address: '10.2.0.1',
        port: 80,
        forwarding: 'nat',
        weight: 7,
        upperThreshold: 0,
        lowerThreshold: 0,
      },
    },
  ]);
  assert.deepEqual(weights(engine), ['10.0.0.1 1,1', '10.0.0.2 7']);
  const d = await controller!.runtimeChange({ vs: '10.0.0.1:80', rs: '10.1.0.2:80', action: 'drain' });
  assert.equal(d.ok && d.weight, 0);
  assert.deepEqual(weights(engine), ['10.0.0.1 1,0', '10.0.0.2 7']);
});

test('runtime-added real servers: programmed, replaced, 409 for configured ones, carried over a reload, removed', async () => {
  const { engine, logs, ready } = start();
  await ready;
  const add = (rs: string, body: unknown) =>
    controller!.runtimeChange({ vs: '10.0.0.2:80', rs, action: 'add', body });
  const r = await add('10.2.0.9:8080', { weight: 4 });
  assert.deepEqual(r, {
    ok: true,
    vs: '10.0.0.2:80/TCP',
    rs: '10.2.0.9:8080',
    action: 'add',
    weight: 4,
    runtime: {},
  });
  assert.deepEqual(weights(engine), ['10.0.0.1 1,1', '10.0.0.2 3,4']);
  const st = controller!.status().realServers.map((x) => [x.realServer, x.weight, x.added]);
  assert.deepEqual(st.at(-1), ['10.2.0.9:8080', 4, 'runtime']);
  assert.deepEqual(st[2], ['10.2.0.1:80', 3, undefined]);
  // PUT again replaces it; the configuration's own server is not the API's to replace or remove
  assert.equal((await add('10.2.0.9:8080', { weight: 5 })).ok, true);
  assert.deepEqual(weights(engine), ['10.0.0.1 1,1', '10.0.0.2 3,5']);
  const conflict = await add('10.2.0.1:80', { weight: 9 });
  assert.deepEqual([conflict.ok, !conflict.ok && conflict.status], [false, 409]);
  const del = await controller!.runtimeChange({ vs: '10.0.0.2:80', rs: '10.2.0.1:80', action: 'remove' });
  assert.deepEqual([del.ok, !del.ok && del.status], [false, 409]);
  const bad = await add('10.2.0.8:80', { weight: 'x' });
  assert.deepEqual(!bad.ok && [bad.status, bad.field], [400, 'weight']);
  assert.equal((await add('10.2.0.8:80', {})).ok, true);
  await controller!.runtimeChange({ vs: '10.0.0.2:80', rs: '10.2.0.9:8080', action: 'weight', weight: 6 });

  // A reload hands the added server and its runtime weight to the next controller; one the new
  // configuration has itself is dropped (with a line saying so).
  const prev = controller!;
  await prev.stop({ keep: true, closeEngine: false });
  const next = loadConfigText(
    CONF.replace('weight 3\n    }', 'weight 2\n    }\n    real_server 10.2.0.8 80 {\n    }'),
    'controller.conf',
  ).config;
  assert.equal(next.virtualServers[1]!.realServers.length, 2);
  controller = new LvsController(
    next,
    engine,
    { log: (l, m) => logs.push(`${l}: ${m}`) },
    prev.owns(),
    prev.overrides,
    prev.added.values(),
  );
  await controller.start();
  assert.deepEqual(weights(engine), ['10.0.0.1 1,1', '10.0.0.2 2,6,1']);
  assert.ok(
    logs.includes(
      'warning: runtime-added real server 10.0.0.2:80 -> 10.2.0.8:80 dropped: the configuration has it now',
    ),
    logs.join('\n'),
  );
  assert.equal(controller.status().realServers.at(-1)!.added, 'runtime');
  assert.deepEqual([...controller.added.keys()], ['10.0.0.2:80/TCP -> 10.2.0.9:8080']);

  const gone = await controller.runtimeChange({ vs: '10.0.0.2:80', rs: '10.2.0.9:8080', action: 'remove' });
  assert.equal(gone.ok, true);
  assert.deepEqual(weights(engine), ['10.0.0.1 1,1', '10.0.0.2 2,1']);
  assert.equal(controller.status().realServers.length, 4);
  assert.equal(controller.overrides.size, 0, 'its runtime weight went with it');
  const again = await controller.runtimeChange({ vs: '10.0.0.2:80', rs: '10.2.0.9:8080', action: 'remove' });
  assert.deepEqual([again.ok, !again.ok && again.status], [false, 404]);
});

test('a failed apply is logged, retried after 1 s, and the table repaired from a fresh read', async () => {
  const { engine, logs, ready } = start();
  await ready;
  engine.failNext = true;
  const r = await controller!.runtimeChange({
    vs: '10.0.0.1:80',
    rs: '10.1.0.1:80',
    action: 'weight',
    weight: 5,
  });
  assert.deepEqual(r, { ok: false, status: 500, error: 'engine busy' });
  assert.match(logs.at(-1)!, /^error: data plane: engine busy \(retrying in 1 s\)$/);
  assert.equal(controller!.status().lastError, 'engine busy');
  const t0 = Date.now();
  assert.deepEqual(weights(engine), ['10.0.0.1 1,1', '10.0.0.2 3'], 'nothing applied');
  while (weights(engine)[0] !== '10.0.0.1 5,1' && Date.now() - t0 < 3000)
    await new Promise((res) => setTimeout(res, 50));
  const took = Date.now() - t0;
  assert.ok(took >= 900 && took < 2500, `retried after ${took} ms`);
  assert.equal(engine.reads, 2, 'read back once after the failure');
  assert.deepEqual(weights(engine), ['10.0.0.1 5,1', '10.0.0.2 3']);
  assert.equal(controller!.status().lastError, undefined);
});

test('IPv6: the runtime reply and event name a real server as the API takes it back ([ADDR]:PORT)', async () => {
  const conf = `
virtual_server 2001:db8::100 80 {
    lb_algo rr
    lb_kind NAT
    protocol TCP
    real_server 2001:db8::2 80 {
        weight 1
    }
}
`;
  const { config } = loadConfigText(conf, 'v6.conf');
  const events: { vs: string; rs: string }[] = [];
  controller = new LvsController(config, new MemoryEngine(), {
    log: () => undefined,
    onRuntime: (e) => events.push(e),
  });
  await controller.start();
  const r = await controller.runtimeChange({
    vs: '[2001:db8::100]:80',
    rs: '[2001:db8::2]:80',
    action: 'drain',
  });
  assert.ok(r.ok, JSON.stringify(r));
  assert.equal(r.rs, '[2001:db8::2]:80');
  assert.equal(r.vs, '[2001:db8::100]:80/TCP');
  assert.equal(events[0]?.rs, '[2001:db8::2]:80');
  // What status and events print, the API reads back: the same server again.
  const again = await controller.runtimeChange({ vs: '[2001:db8::100]:80', rs: r.rs, action: 'enable' });
  assert.ok(again.ok, JSON.stringify(again));
  assert.equal(again.weight, 1);
});

test('omega: at stop, notify_down of each real server up and quorum_down run (and only with omega)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vg-omega-'));
  const log = join(dir, 'ran');
  const script = join(dir, 'note.sh');
  writeFileSync(script, `#!/bin/sh\necho "$*" >> ${log}\n`);
  chmodSync(script, 0o755);
  const conf = (omega: boolean): string => `
virtual_server 10.0.0.1 80 {
    lb_kind NAT
    protocol TCP
${omega ? '    omega\n' : ''}    quorum_down "${script} quorum_down 10.0.0.1"
    real_server 10.1.0.1 80 {
        notify_down "${script} down 10.1.0.1"
    }
    real_server 10.1.0.2 80 {
        notify_down "${script} down 10.1.0.2"
    }
}
`;
  const ran = (): string[] => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').sort() : []);
  try {
    await start(conf(false)).ready;
    await controller!.stop();
    controller = undefined;
    assert.deepEqual(ran(), []);
    await start(conf(true)).ready;
    await controller!.stop();
    controller = undefined;
    assert.deepEqual(ran(), ['down 10.1.0.1', 'down 10.1.0.2', 'quorum_down 10.0.0.1']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
