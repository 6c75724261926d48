// The checker driving a real data plane: real HTTP servers on loopback addresses, the user-space
// engine as the load balancer, keepalived.conf as the input. A server that dies leaves the service
// within its retry bound; it comes back on one success; when all are gone the sorry server serves.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import { loadConfigText } from '../../../src/config/load.js';
import { ProxyEngine } from '../../../src/dataplane/proxy/engine.js';
import { LvsController } from '../../../src/lvs/controller.js';
import { freePort } from '../../support/ports.js';
import { until } from '../../../src/lab/until.js';

const open = new Map<string, http.Server>();
const sockets = new Set<net.Socket>();

async function serve(name: string, host: string, port: number): Promise<void> {
  const s = http.createServer((_req, res) => {
    res.setHeader('connection', 'close');
    res.end(name);
  });
  s.on('connection', (c: net.Socket) => {
    sockets.add(c);
    c.on('close', () => sockets.delete(c));
  });
  await new Promise<void>((r) => s.listen(port, host, r));
  open.set(name, s);
}

async function kill(name: string): Promise<void> {
  const s = open.get(name)!;
  open.delete(name);
  s.closeAllConnections();
  await new Promise((r) => s.close(r));
}

function get(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get({ host, port, path: '/', agent: false }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve(body));
      })
      .on('error', reject);
  });
}

let controller: LvsController | undefined;
after(async () => {
  await controller?.stop();
  for (const c of sockets) c.destroy();
  for (const s of open.values()) s.close();
});

test('health checks add, remove and restore real servers in the running load balancer', async () => {
  const [vport, p1, p2, psorry] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const marks = join(mkdtempSync(join(tmpdir(), 'vigil-quorum-')), 'marks');
  await serve('rs1', '127.0.0.2', p1);
  await serve('rs2', '127.0.0.3', p2);
  await serve('sorry', '127.0.0.4', psorry);
  const conf = `
virtual_server 127.0.0.10 ${vport} {
    delay_loop 0.2
    lb_algo rr
    lb_kind NAT
    protocol TCP
    sorry_server 127.0.0.4 ${psorry}
    quorum_up "/bin/sh -c 'echo up >> ${marks}'"
    quorum_down "/bin/sh -c 'echo down >> ${marks}'"
    real_server 127.0.0.2 ${p1} {
        weight 1
        HTTP_GET {
            url {
                path /
                status_code 200
            }
            connect_timeout 0.5
            retry 1
            delay_before_retry 0.1
        }
    }
    real_server 127.0.0.3 ${p2} {
        weight 1
        TCP_CHECK {
            connect_timeout 0.5
            retry 1
            delay_before_retry 0.1
        }
    }
}
`;
  const { config, diagnostics } = loadConfigText(conf, 'controller.conf');
  assert.deepEqual(
    diagnostics.filter((d) => d.severity === 'error'),
    [],
  );
  const engine = new ProxyEngine();
  const changes: string[] = [];
  controller = new LvsController(config, engine, {
    log: () => undefined,
    onChange: (c) => changes.push(`${c.rs.address} ${c.up ? 'UP' : 'DOWN'}`),
  });
  await controller.start();
  const dests = async () => (await engine.read())[0]?.dests.map((d) => d.address).sort() ?? [];
  assert.deepEqual(await dests(), ['127.0.0.2', '127.0.0.3']);
  const seen = new Set<string>();
  for (let i = 0; i < 6; i++) seen.add(await get('127.0.0.10', vport));
  assert.deepEqual([...seen].sort(), ['rs1', 'rs2']);

  // rs2 dies: the bound is delay_loop + retry × delay_before_retry (+ one check's time).
  await kill('rs2');
  const killedAt = Date.now();
  await until('rs2 removed', async () => (await dests()).join() === '127.0.0.2', 3000, { stepMs: 25 });
  const removedIn = Date.now() - killedAt;
  assert.ok(removedIn < 2000, `removed after ${removedIn} ms`);
  for (let i = 0; i < 4; i++) assert.equal(await get('127.0.0.10', vport), 'rs1');
  const st = controller.status().realServers.find((r) => r.realServer.startsWith('127.0.0.3'))!;
  assert.equal(st.state, 'down');
  assert.equal(st.checkers[0]!.lastResult?.reason, 'connection refused');

  // It comes back on one success.
  await serve('rs2', '127.0.0.3', p2);
  await until('rs2 back', async () => (await dests()).length === 2, 3000);

  // All gone: quorum lost, the sorry server takes the service alone.
  await kill('rs1');
  await kill('rs2');
  await until('sorry server', async () => (await dests()).join() === '127.0.0.4', 3000);
  assert.equal(await get('127.0.0.10', vport), 'sorry');
  await until('quorum_down ran', () => existsSync(marks) && readFileSync(marks, 'utf8') === 'down\n', 2000);
  // Recovery takes the sorry server out again and runs quorum_up.
  await serve('rs1', '127.0.0.2', p1);
  await until('rs1 back, sorry out', async () => (await dests()).join() === '127.0.0.2', 3000);
  await until('quorum_up ran', () => readFileSync(marks, 'utf8') === 'down\nup\n', 2000);
  assert.deepEqual(changes, ['127.0.0.3 DOWN', '127.0.0.3 UP', ...changes.slice(2)]);
  assert.ok(changes.includes('127.0.0.2 DOWN'));

  // Stop removes what vigil programmed.
  await controller.stop();
  controller = undefined;
});
