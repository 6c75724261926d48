// `vigil lab up|status|down NAME` for every preset, as a user plays with it from other shells:
// up leaves two real directors running (detached), clients reach every service through its VIP
// and both real servers answer, status reads each director's VRRP state over its control socket
// (also after director1's cable is pulled), a second up is refused, down removes namespaces,
// processes and state. Bad names and a non-root user get a clear message.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { commandUnavailable, netnsUnavailable, requireSystem } from '../../support/system.js';
import { namespaceInodes, namespacesOf, processesIn, vigil } from './run.js';

const exec = promisify(execFile);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Who answered each of n requests from the client to VIP:PORT. */
async function ask(
  id: string,
  kind: string,
  vip: string,
  port: number,
  n: number,
): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const argv =
      kind === 'http'
        ? ['curl', '-s', '-m', '2', `http://${vip}:${port}/`]
        : ['bash', '-c', `exec 3<>/dev/tcp/${vip}/${port} && timeout 2 cat <&3`];
    const r = await exec('ip', ['netns', 'exec', `${id}-client`, ...argv]).catch(
      (e: { stdout?: string }) => e,
    );
    const who = String(r.stdout ?? '').trim() || '-';
    out[who] = (out[who] ?? 0) + 1;
  }
  return out;
}

/** `vigil lab status NAME`'s VRRP states: "director1 VI_WEB" -> MASTER. */
async function states(name: string): Promise<Record<string, string>> {
  const { code, stdout, stderr } = await vigil(['lab', 'status', name]).done;
  assert.equal(code, 0, stdout + stderr);
  const out: Record<string, string> = {};
  for (const m of stdout.matchAll(/^ {2}(director[12]) +pid \d+ running; (.*)$/gm)) {
    for (const s of m[2]!.matchAll(/(VI_\w+) (\w+) \(priority \d+\)/g)) out[`${m[1]} ${s[1]}`] = s[2]!;
  }
  return out;
}

async function waitStates(name: string, want: Record<string, string>, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  let got: Record<string, string> = {};
  while (Date.now() < end) {
    got = await states(name);
    if (Object.entries(want).every(([k, v]) => got[k] === v)) return;
    await sleep(300);
  }
  assert.deepEqual(got, want, `${name}: VRRP states`);
}

interface Service {
  name: string;
  vip: string;
  port: number;
  kind: string;
  instance: string;
}

for (const name of ['dr', 'dual-master', 'nat', 'proxy']) {
  test(`vigil lab up/status/down ${name}: traffic through the VIP, failover, nothing left`, async (t) => {
    if (!requireSystem(t, netnsUnavailable(), commandUnavailable('nft'), commandUnavailable('curl'))) return;
    if (existsSync(`/run/vigil/lab/${name}`)) {
      t.skip(`a lab ${name} is up on this machine; not touching it`);
      return;
    }
    const upRun = await vigil(['lab', 'up', name], { timeoutMs: 60_000 }).done;
    let id: string | undefined;
    try {
      assert.equal(upRun.code, 0, upRun.stdout + upRun.stderr);
      assert.match(upRun.stdout, new RegExp(`^lab ${name} is up: `));
      id = /namespaces +(vg[a-z0-9]+)-client/.exec(upRun.stdout)?.[1];
      assert.ok(id, upRun.stdout);
      assert.match(upRun.stdout, new RegExp(`enter +ip netns exec ${id}-client bash`));
      assert.match(upRun.stdout, /vigil status --runtime-dir \/run\/vigil\/lab\/\S+\/director1\/run/);
      // The data plane the directors chose and why, in vigil run's words (proxy: userspace by name).
      assert.match(
        upRun.stdout,
        name === 'proxy'
          ? /^ {2}data plane {2}userspace \(lvs_engine userspace\)$/m
          : /^ {2}data plane {2}(ipvs|nft|userspace) \((auto|lvs_engine \w+)[:,].*\)$/m,
      );
      const inodes = namespaceInodes(id);
      assert.equal(inodes.length, 6);
      const state = JSON.parse(readFileSync(`/run/vigil/lab/${name}/state.json`, 'utf8')) as {
        id: string;
        services: Service[];
        masters: Record<string, string>;
        directors: Record<string, { pid: number }>;
        dashboards: Record<string, string>;
        relayPids: number[];
      };
      assert.equal(state.id, id);

      // Each director's dashboard and API answer on the host's loopback, relayed from its namespace.
      for (const d of ['director1', 'director2']) {
        const url = state.dashboards[d]!;
        assert.match(upRun.stdout, new RegExp(`dashboard ${url.replace(/[./]/g, '\\$&')}`));
        const page = await fetch(url);
        assert.equal(page.status, 200);
        assert.match(await page.text(), /<html/i);
        const st = (await (await fetch(`${url}api/v1/status`)).json()) as {
          children?: { vrrp?: { status?: { instances?: { name: string }[] } } };
        };
        const names = st.children?.vrrp?.status?.instances?.map((i) => i.name) ?? [];
        assert.deepEqual(names.sort(), Object.keys(state.masters).sort(), `${d} API status`);
      }

      // Each instance is mastered by its director, the other is BACKUP.
      const want: Record<string, string> = {};
      for (const [inst, m] of Object.entries(state.masters)) {
        want[`director1 ${inst}`] = m === 'director1' ? 'MASTER' : 'BACKUP';
        want[`director2 ${inst}`] = m === 'director2' ? 'MASTER' : 'BACKUP';
      }
      assert.deepEqual(await states(name), want);
      for (const s of state.services) {
        const c = await ask(id, s.kind, s.vip, s.port, 16);
        assert.ok(
          (c.rs1 ?? 0) > 0 && (c.rs2 ?? 0) > 0 && (c.rs1 ?? 0) + (c.rs2 ?? 0) === 16,
          `${s.name}: ${JSON.stringify(c)}`,
        );
      }

      // Pull director1's cable(s): director2 masters everything and the services still answer.
      const ifs = name === 'nat' ? ['eth0', 'eth1'] : ['eth0'];
      for (const i of ifs) await exec('ip', ['-n', `${id}-director1`, 'link', 'set', i, 'down']);
      const after: Record<string, string> = {};
      for (const inst of Object.keys(state.masters)) after[`director2 ${inst}`] = 'MASTER';
      await waitStates(name, after, 15_000);
      for (const s of state.services) {
        // The user-space engine (proxy preset) listens once it sees the VIP local (polled each second).
        const end = Date.now() + 5000;
        const answered = (c: Record<string, number>): boolean => (c.rs1 ?? 0) + (c.rs2 ?? 0) > 0;
        while (!answered(await ask(id, s.kind, s.vip, s.port, 1)) && Date.now() < end) await sleep(200);
        const c = await ask(id, s.kind, s.vip, s.port, 8);
        assert.equal((c.rs1 ?? 0) + (c.rs2 ?? 0), 8, `${s.name} after failover: ${JSON.stringify(c)}`);
      }

      const again = await vigil(['lab', 'up', name]).done;
      assert.equal(again.code, 1);
      assert.match(
        again.stderr,
        new RegExp(`lab ${name} is already up \\(namespaces ${id}-\\*.*'vigil lab down ${name}' first`),
      );

      const downRun = await vigil(['lab', 'down', name]).done;
      assert.equal(downRun.code, 0, downRun.stderr);
      assert.match(
        downRun.stdout,
        new RegExp(`^lab ${name} is down: namespaces ${id}-\\* and their processes removed`),
      );
      id = undefined;
      assert.deepEqual(namespacesOf(state.id), []);
      assert.deepEqual(processesIn(inodes), []);
      for (const d of Object.values(state.directors)) assert.throws(() => process.kill(d.pid, 0), /ESRCH/);
      assert.equal(state.relayPids.length, 2);
      for (const pid of state.relayPids) assert.throws(() => process.kill(pid, 0), /ESRCH/);
      assert.equal(existsSync(`/run/vigil/lab/${name}`), false);
      const st = await vigil(['lab', 'status', name]).done;
      assert.equal(st.code, 1);
      assert.match(st.stderr, new RegExp(`lab ${name} is not up`));
    } finally {
      if (id) await vigil(['lab', 'down', name]).done;
    }
  });
}

test('vigil lab: usage, bad names and a non-root user get clear messages', async (t) => {
  const none = await vigil(['lab']).done;
  assert.equal(none.code, 2);
  assert.match(none.stderr, /^usage: vigil lab up NAME/);
  for (const n of ['dr', 'dual-master', 'nat', 'proxy'])
    assert.match(none.stderr, new RegExp(`^  ${n} +\\S`, 'm'));
  const bad = await vigil(['lab', 'up', 'lvs-dr']).done;
  assert.equal(bad.code, 2);
  assert.match(
    bad.stderr,
    /^vigil lab: no lab preset named 'lvs-dr'; presets: dr, dual-master, nat, proxy$/m,
  );
  const verb = await vigil(['lab', 'start', 'dr']).done;
  assert.equal(verb.code, 2);
  assert.match(verb.stderr, /unknown lab command 'start' \(want up, down or status\)/);
  const noName = await vigil(['lab', 'down']).done;
  assert.equal(noName.code, 2);
  assert.match(noName.stderr, /lab down needs a NAME/);
  for (const r of [none, bad, verb, noName]) assert.doesNotMatch(r.stderr, /\n\s+at /);

  if (!requireSystem(t, netnsUnavailable(), commandUnavailable('setpriv'))) return;
  const user = await vigil(['lab', 'up', 'dr'], {
    prefix: ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'],
  }).done;
  assert.equal(user.code, 2, user.stderr);
  assert.match(
    user.stderr,
    /^vigil lab up needs:\n {2}- root \(it creates network namespaces\): run it with sudo$/m,
  );
  assert.doesNotMatch(user.stderr, /\n\s+at /);
});
