// conntrack_sync's pure parts: the keyword, the conntrackd.conf vigil writes, the commands each
// VRRP state runs (conntrackd's primary-backup.sh) and their order; the engine mismatch warnings.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfigText } from '../../../src/config/load.js';
import {
  ConntrackSyncDriver,
  conntrackdConf,
  conntrackdPathProblem,
  transitionCommands,
  type Conntrackd,
} from '../../../src/lvs/conntrack-sync.js';
import { syncMismatches } from '../../../src/lvs/sync-engine.js';
import { parseConntrackdLine } from '../../../src/lvs/conntrackd.js';

const loc = { file: 'k.conf', line: 2, col: 5 };
const files = { socket: '/run/vigil/conntrackd.ctl', lockFile: '/run/vigil/conntrackd.lock' };
const block = (text: string, head: string): string[] => {
  const start = text.indexOf(`${head} {`);
  assert.ok(start >= 0, `no ${head} block`);
  return text
    .slice(start, text.indexOf('}', start))
    .split('\n')
    .slice(1)
    .map((l) => l.trim())
    .filter(Boolean);
};

test('conntrackd.conf: FTFW over multicast by default, from the interface address', () => {
  const text = conntrackdConf({ interface: 'eth1', instance: 'VI_1', loc }, '10.0.2.10', files);
  assert.deepEqual(block(text, 'Mode FTFW'), ['DisableExternalCache Off']);
  assert.deepEqual(block(text, 'Multicast'), [
    'IPv4_address 225.0.0.50',
    'Group 3780',
    'IPv4_interface 10.0.2.10',
    'Interface eth1',
    'SndSocketBuffer 1249280',
    'RcvSocketBuffer 1249280',
    'Checksum on',
  ]);
  assert.deepEqual(block(text, 'UNIX'), ['Path /run/vigil/conntrackd.ctl']);
  assert.match(text, /\n\tLockFile \/run\/vigil\/conntrackd\.lock\n/);
  assert.match(text, /\n\tLogFile off\n/);
  assert.deepEqual(block(text, 'Protocol Accept'), ['TCP', 'SCTP', 'UDP']);
  // Only this director's own and loopback connections stay out of the replication.
  assert.deepEqual(block(text, 'Address Ignore'), [
    'IPv4_address 127.0.0.1',
    'IPv6_address ::1',
    'IPv4_address 10.0.2.10',
  ]);
  assert.doesNotMatch(text, /UDP \{/);
});

test('conntrackd.conf: unicast UDP to the peer, a chosen group and port', () => {
  const uni = conntrackdConf(
    { interface: 'eth2', instance: 'VI_1', peer: '10.9.0.2', port: 3790, loc },
    '10.9.0.1',
    files,
  );
  assert.deepEqual(block(uni, 'UDP'), [
    'IPv4_address 10.9.0.1',
    'IPv4_Destination_Address 10.9.0.2',
    'Port 3790',
    'Interface eth2',
    'SndSocketBuffer 1249280',
    'RcvSocketBuffer 1249280',
    'Checksum on',
  ]);
  assert.doesNotMatch(uni, /Multicast/);
  const group = conntrackdConf(
    { interface: 'eth2', instance: 'VI_1', group: '239.1.2.3', port: 4000, loc },
    '10.9.0.1',
    files,
  );
  assert.deepEqual(block(group, 'Multicast').slice(0, 2), ['IPv4_address 239.1.2.3', 'Group 4000']);
});

test("paths conntrackd's lexer cannot read, or too long for a socket, are named", () => {
  assert.equal(conntrackdPathProblem('/run/vigil/conntrackd.ctl'), null);
  assert.match(conntrackdPathProblem('/tmp/my dir/ct.ctl')!, /cannot read the path '\/tmp\/my dir\/ct\.ctl'/);
  assert.match(conntrackdPathProblem(`/${'a'.repeat(120)}`)!, /too long for a UNIX socket/);
});

test("each VRRP state runs primary-backup.sh's commands in its order", () => {
  assert.deepEqual(transitionCommands('MASTER'), [['-c'], ['-f'], ['-R'], ['-B']]);
  assert.deepEqual(transitionCommands('BACKUP'), [['-t'], ['-n']]);
  assert.deepEqual(transitionCommands('FAULT'), [['-t']]);
  assert.deepEqual(transitionCommands('INIT'), []);
  assert.deepEqual(transitionCommands('STOP'), []);
});

class FakeConntrackd implements Conntrackd {
  calls: string[] = [];
  failing = new Set<string>();
  private release!: () => void;
  started = new Promise<void>((r) => (this.release = r));
  start(): Promise<void> {
    this.calls.push('start');
    return this.started;
  }
  finishStart(): void {
    this.release();
  }
  async stop(): Promise<void> {
    this.calls.push('stop');
  }
  up = true;
  running(): boolean {
    return this.up;
  }
  async command(args: string[]): Promise<void> {
    this.calls.push(args.join(' '));
    if (this.failing.has(args.join(' '))) throw new Error('ignoring flush command, commit still in progress');
  }
}

test('the driver waits for conntrackd, runs transitions one after another, and logs a failing step', async () => {
  const d = new FakeConntrackd();
  const logs: string[] = [];
  const driver = new ConntrackSyncDriver('VI_1', d, {
    info: (m) => logs.push(`info ${m}`),
    error: (m) => logs.push(`error ${m}`),
  });
  d.failing.add('-f');
  const a = driver.follow('BACKUP');
  const b = driver.follow('MASTER');
  await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(d.calls, ['start'], 'nothing runs before conntrackd answers');
  d.finishStart();
  await Promise.all([a, b]);
  assert.deepEqual(d.calls, ['start', '-t', '-n', '-c', '-f', '-R', '-B']);
  assert.deepEqual(logs, [
    'info conntrack_sync: VI_1 BACKUP: conntrackd -t, -n',
    'error conntrack_sync: conntrackd -f: ignoring flush command, commit still in progress',
    'info conntrack_sync: VI_1 MASTER: conntrackd -c, -f, -R, -B (1 failed)',
  ]);
  await driver.follow('INIT');
  await driver.stop();
  assert.deepEqual(d.calls.slice(-1), ['stop']);
});

test('while conntrackd is down a transition says so once; its restart redoes the current state', async () => {
  const d = new FakeConntrackd();
  d.finishStart();
  const logs: string[] = [];
  const driver = new ConntrackSyncDriver('VI_1', d, {
    info: (m) => logs.push(m),
    error: (m) => logs.push(m),
  });
  await driver.follow('BACKUP');
  d.up = false;
  await driver.follow('MASTER');
  assert.deepEqual(d.calls, ['start', '-t', '-n']);
  assert.equal(
    logs.at(-1),
    'conntrack_sync: VI_1 MASTER: conntrackd is not running; its steps wait for its restart',
  );
  d.up = true;
  await driver.resume();
  assert.deepEqual(d.calls, ['start', '-t', '-n', '-c', '-f', '-R', '-B']);
});

test('a conntrackd that does not start is logged', async () => {
  const logs: string[] = [];
  const d: Conntrackd = {
    start: () => Promise.reject(new Error("can't open config file")),
    stop: async () => undefined,
    command: () => Promise.reject(new Error('not called')),
    running: () => false,
  };
  const driver = new ConntrackSyncDriver('VI_1', d, {
    info: (m) => logs.push(m),
    error: (m) => logs.push(m),
  });
  await driver.follow('FAULT');
  assert.deepEqual(logs, [
    "conntrack_sync: conntrackd did not start: can't open config file",
    'conntrack_sync: VI_1 FAULT: conntrackd is not running; its steps wait for its restart',
  ]);
});

test("conntrackd's log lines become vigil log levels", () => {
  assert.deepEqual(
    parseConntrackdLine('[Fri Dec  4 21:10:24 2026] (pid=16452) [ERROR] ignoring flush command'),
    {
      level: 'error',
      text: 'ignoring flush command',
    },
  );
  assert.deepEqual(
    parseConntrackdLine('[Fri Dec  4 21:10:24 2026] (pid=1) [notice] Committed 1 new entries'),
    {
      level: 'info',
      text: 'Committed 1 new entries',
    },
  );
  assert.equal(parseConntrackdLine('[Fri Dec  4 21:10:24 2026] (pid=1) [warning] x').level, 'warn');
  assert.deepEqual(parseConntrackdLine('Error: something'), { level: 'info', text: 'Error: something' });
});

const instance = `vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    priority 100
    virtual_ipaddress {
        10.0.0.100
    }
}
`;
const load = (globals: string, rest = instance): ReturnType<typeof loadConfigText> =>
  loadConfigText(`global_defs {\n${globals}\n}\n${rest}`, 'k.conf');
const said = (r: ReturnType<typeof loadConfigText>): string[] =>
  r.diagnostics.map((d) => `${d.loc.line}:${d.loc.col}: ${d.severity}: ${d.message}`);

test('conntrack_sync: the keyword and its options', () => {
  const r = load('    conntrack_sync eth1 VI_1 port 3790 group 239.0.0.7 address 10.0.2.10');
  assert.deepEqual(said(r), []);
  const { loc: _loc, ...cfg } = r.config.globalDefs.conntrackSync!;
  assert.deepEqual(cfg, {
    interface: 'eth1',
    instance: 'VI_1',
    port: 3790,
    group: '239.0.0.7',
    address: '10.0.2.10',
  });
  assert.equal(
    load('    conntrack_sync eth1 VI_1 peer 10.0.2.11').config.globalDefs.conntrackSync?.peer,
    '10.0.2.11',
  );
});

test('conntrack_sync: each mistake named at its place', () => {
  assert.deepEqual(said(load('    conntrack_sync eth1')), [
    "2:5: error: 'conntrack_sync' needs a VRRP instance name after the interface",
  ]);
  assert.deepEqual(said(load('    conntrack_sync eth1 VI_2')), [
    "2:5: error: conntrack_sync: vrrp_instance 'VI_2' is not defined; did you mean 'VI_1'?",
  ]);
  assert.deepEqual(said(load('    conntrack_sync eth1 VI_1 group 10.0.0.1 port 0 peer fe80::1 speed 9')), [
    "2:36: error: conntrack_sync group: '10.0.0.1' is not a multicast address (224.0.0.0/4)",
    '2:50: error: conntrack_sync port 0 is out of range: it must be from 1 to 65535',
    "2:57: error: conntrack_sync peer: 'fe80::1' is not an IPv4 address",
    "2:65: error: conntrack_sync: unknown option 'speed' (port, group, peer, address)",
  ]);
  assert.deepEqual(said(load('    conntrack_sync eth1 VI_1 group 239.0.0.1 peer 10.0.0.2')), [
    '2:5: error: conntrack_sync: group (multicast) and peer (unicast) exclude each other',
  ]);
  assert.deepEqual(said(load('    conntrack_sync eth1 VI_1 port')), [
    "2:30: error: conntrack_sync: 'port' needs a value",
  ]);
});

test("lvs_sync_daemon_interface (keepalived's old form) means lvs_sync_daemon IF <that instance>", () => {
  const old = instance.replace(
    '    priority 100\n',
    '    priority 100\n    lvs_sync_daemon_interface eth1\n',
  );
  const r = load('', old);
  assert.deepEqual(said(r), [
    "8:5: warning: vrrp_instance VI_1: lvs_sync_daemon_interface is deprecated (as in keepalived); write 'lvs_sync_daemon eth1 VI_1' in global_defs",
  ]);
  assert.equal(r.config.globalDefs.lvsSyncDaemon?.interface, 'eth1');
  assert.equal(r.config.globalDefs.lvsSyncDaemon?.instance, 'VI_1');
  // The global form wins, as in keepalived.
  const both = load('    lvs_sync_daemon eth2 VI_1', old);
  assert.equal(both.config.globalDefs.lvsSyncDaemon?.interface, 'eth2');
  assert.deepEqual(said(both), [
    '8:5: warning: vrrp_instance VI_1: lvs_sync_daemon_interface ignored, lvs_sync_daemon is already eth2 VI_1 (line 2)',
  ]);
  // And the bare sync id after the instance.
  const id = load('    lvs_sync_daemon eth2 VI_1 7 port 8849');
  assert.equal(id.config.globalDefs.lvsSyncDaemon?.id, 7);
  assert.equal(id.config.globalDefs.lvsSyncDaemon?.port, 8849);
  assert.deepEqual(said(id), [
    "2:31: warning: lvs_sync_daemon: write 'id 7' for the sync id (the bare number is the old form)",
  ]);
});

test('each synchronisation is named when the engine in force cannot use it', () => {
  const g = load('    lvs_sync_daemon eth1 VI_1\n    conntrack_sync eth1 VI_1').config.globalDefs;
  const onNft = syncMismatches(g, 'nft');
  assert.equal(onNft.length, 1);
  assert.match(
    onNft[0]!.message,
    /^lvs_sync_daemon synchronises the kernel's IPVS connections, but the data plane is nft/,
  );
  assert.match(onNft[0]!.message, /use 'conntrack_sync eth1 VI_1'/);
  assert.equal(onNft[0]!.loc.line, 2);
  const onIpvs = syncMismatches(g, 'ipvs');
  assert.equal(onIpvs.length, 1);
  assert.match(
    onIpvs[0]!.message,
    /^conntrack_sync replicates conntrack for the nft engine, but the data plane is ipvs/,
  );
  assert.match(onIpvs[0]!.message, /use 'lvs_sync_daemon eth1 VI_1'/);
  assert.equal(onIpvs[0]!.loc.line, 3);
  assert.equal(syncMismatches(g, 'userspace').length, 2);
});
