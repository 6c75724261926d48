import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAdmArgs, parseRestore, restoreLines, type AdmCommand } from '../../../src/adm/args.js';
import { names } from './replay.js';

const parse = (line: string) => parseAdmArgs(line.split(' ').filter(Boolean), { names });
function ok(line: string): AdmCommand {
  const r = parse(line);
  assert.ok(r.ok, `${line}: ${r.ok ? '' : r.message}`);
  return r.command;
}
function bad(line: string, message: string, exitCode = 2): void {
  const r = parse(line);
  assert.deepEqual(r, { ok: false, message, exitCode }, line);
}

const tcp = (address: string, port: number) =>
  ({ kind: 'addr', family: 4, address, port, protocol: 'tcp' }) as const;

test('every command, short and long', () => {
  const cases: [string, string][] = [
    ['-A -t 1.2.3.4:80', 'add-service'],
    ['--add-service --tcp-service 1.2.3.4:80', 'add-service'],
    ['-E -t 1.2.3.4:80', 'edit-service'],
    ['--edit-service -t 1.2.3.4:80', 'edit-service'],
    ['-D -t 1.2.3.4:80', 'delete-service'],
    ['--delete-service -t 1.2.3.4:80', 'delete-service'],
    ['-C', 'flush'],
    ['--clear', 'flush'],
    ['-R', 'restore'],
    ['--restore', 'restore'],
    ['-S', 'save'],
    ['--save -n', 'save'],
    ['-a -t 1.2.3.4:80 -r 5.6.7.8', 'add-server'],
    ['--add-server -t 1.2.3.4:80 --real-server 5.6.7.8', 'add-server'],
    ['-e -t 1.2.3.4:80 -r 5.6.7.8', 'edit-server'],
    ['--edit-server -t 1.2.3.4:80 -r 5.6.7.8', 'edit-server'],
    ['-d -t 1.2.3.4:80 -r 5.6.7.8', 'delete-server'],
    ['--delete-server -t 1.2.3.4:80 -r 5.6.7.8', 'delete-server'],
    ['-L', 'list'],
    ['-l', 'list'],
    ['--list', 'list'],
    ['-Z', 'zero'],
    ['--zero -t 1.2.3.4:80', 'zero'],
    ['--set 1 2 3', 'set-timeout'],
    ['--start-daemon master', 'start-daemon'],
    ['--stop-daemon backup', 'stop-daemon'],
    ['-h', 'help'],
    ['--help', 'help'],
    ['-v', 'version'],
    ['--version', 'version'],
  ];
  for (const [line, cmd] of cases) assert.equal(ok(line).cmd, cmd, line);
  assert.deepEqual(parseAdmArgs([], { names }), {
    ok: true,
    command: {
      cmd: 'list',
      view: 'services',
      format: ok('-L').cmd === 'list' ? (ok('-L') as { format: unknown }).format : {},
    },
  });
});

test('ipvsadm defaults: wlc, weight 1, direct routing with the service port, persistence 360 s', () => {
  assert.deepEqual(ok('-A -t 10.0.0.1:80'), {
    cmd: 'add-service',
    service: { key: tcp('10.0.0.1', 80), scheduler: 'wlc', flags: {} },
  });
  assert.deepEqual(ok('-a -t 10.0.0.1:80 -r 10.0.0.2:8080'), {
    cmd: 'add-server',
    key: tcp('10.0.0.1', 80),
    dest: {
      address: '10.0.0.2',
      port: 80,
      forwarding: 'dr',
      weight: 1,
      upperThreshold: 0,
      lowerThreshold: 0,
    },
  });
  const nat = ok('-a -t 10.0.0.1:80 -r 10.0.0.2 -m');
  assert.equal(nat.cmd === 'add-server' && nat.dest.port, 80, 'the real server port is the service port');
  const p = ok('-E -t 10.0.0.1:80 -p');
  assert.equal(p.cmd === 'edit-service' && p.service.persistenceTimeout, 360);
});

test('combined short flags, attached arguments, long forms with =', () => {
  const l = ok('-lnc');
  assert.ok(l.cmd === 'list' && l.view === 'connections' && l.format.numeric);
  const ln = ok('-Ln --stats --exact');
  assert.ok(ln.cmd === 'list' && ln.format.stats && ln.format.exact && ln.format.numeric);
  assert.deepEqual(
    ok('-At10.0.0.1:80 -srr -p300'),
    ok('-A --tcp-service=10.0.0.1:80 --scheduler=rr --persistent=300'),
  );
  const w = ok('-a -t 10.0.0.1:80 -r 10.0.0.3 -mw 9');
  assert.ok(w.cmd === 'add-server' && w.dest.weight === 9 && w.dest.forwarding === 'nat');
  // -p takes a following word that is not an option.
  const p = ok('-A -t 10.0.0.1:80 -p 120 -s rr');
  assert.ok(p.cmd === 'add-service' && p.service.persistenceTimeout === 120 && p.service.scheduler === 'rr');
  const q = ok('-A -t 10.0.0.1:80 -p -s rr');
  assert.ok(q.cmd === 'add-service' && q.service.persistenceTimeout === 360);
});

test('services: udp, sctp, fwmark, IPv6, names, inet_aton forms', () => {
  const u = ok('-A -u 10.0.0.1:domain -o');
  assert.ok(
    u.cmd === 'add-service' &&
      u.service.key.kind === 'addr' &&
      u.service.key.port === 53 &&
      u.service.flags.ops,
  );
  const s = ok('-A --sctp-service 10.0.0.1:3868 -s nq');
  assert.ok(s.cmd === 'add-service' && s.service.key.kind === 'addr' && s.service.key.protocol === 'sctp');
  assert.deepEqual((ok('-D -f 7 -6') as { key: unknown }).key, { kind: 'fwmark', family: 6, fwmark: 7 });
  assert.deepEqual((ok('-D -t [2001:DB8:0::1]:443') as { key: unknown }).key, {
    kind: 'addr',
    family: 6,
    address: '2001:db8::1',
    port: 443,
    protocol: 'tcp',
  });
  assert.deepEqual((ok('-D -t 10.1:80') as { key: unknown }).key, tcp('10.0.0.1', 80));
  assert.deepEqual((ok('-D -t 0x0a000001:0080') as { key: unknown }).key, tcp('10.0.0.1', 80));
  assert.deepEqual((ok('-D -t localhost:http') as { key: unknown }).key, tcp('127.0.0.1', 80));
  const m = ok('-A -t 10.0.0.1:80 -p -M 255.255.0.0');
  assert.ok(m.cmd === 'add-service' && m.service.persistenceNetmask === '255.255.0.0');
  const m6 = ok('-A -t [2001:db8::1]:80 -p -M 64');
  assert.ok(m6.cmd === 'add-service' && m6.service.persistenceNetmask === '64');
  const b = ok('-A -t 10.0.0.1:80 -s sh -b sh-fallback,sh-port');
  assert.ok(b.cmd === 'add-service' && b.service.flags.fallback && b.service.flags.port);
});

test('real servers: forwarding methods, thresholds, tunnels', () => {
  const t = ok('-a -t 10.0.0.1:80 -r 10.0.0.2 -i --tun-type gue --tun-port 6080 --tun-csum -x 10 -y 5');
  assert.deepEqual(t.cmd === 'add-server' && t.dest, {
    address: '10.0.0.2',
    port: 80,
    forwarding: 'tun',
    weight: 1,
    upperThreshold: 10,
    lowerThreshold: 5,
    tunnelType: 'gue',
    tunnelPort: 6080,
    tunnelFlags: 'csum',
  });
  const g = ok('-e -t 10.0.0.1:80 -r 10.0.0.2 --gatewaying --weight=0');
  assert.ok(g.cmd === 'edit-server' && g.dest.forwarding === 'dr' && g.dest.weight === 0);
  const f = ok('-a -f 3 -r 10.0.0.2:8080 -g');
  assert.ok(f.cmd === 'add-server' && f.dest.port === 8080, 'fwmark services keep the server port');
});

test('errors as ipvsadm words them, with its exit codes', () => {
  const tryHelp = "Try `ipvsadm -h' or 'ipvsadm --help' for more information.";
  bad('-n -L', tryHelp, 255);
  bad('foo', tryHelp, 255);
  bad('--li', tryHelp, 255);
  bad('-s rr', tryHelp, 255);
  bad('-L foo', 'unexpected argument foo');
  bad('-Lx', '-Lx: missing argument', 255);
  bad('--list --foo', '--foo: unknown option', 255);
  bad('-A', "You need to supply the 'service-address' option for the 'add-service' command");
  bad('-A -t', '-t: missing argument', 255);
  bad('-A -t 10.0.0.1', 'Zero port specified for non-persistent service');
  bad('-A -t 10.0.0.1:80 -s rr -A', "invalid option `-A'");
  bad('-L -h', "invalid option `-h'");
  bad('-A -t 10.0.0.1:80 -t 10.0.0.2:80', "multiple 'service-address' options specified");
  bad('-A -t 10.0.0.1:80 -r 10.0.0.2', "Illegal 'real-server' option with the 'add-service' command");
  bad('-A -t 10.0.0.1:80 -o', 'One-Packet Scheduling is only for UDP virtual services');
  bad('-A -t 10.0.0.1:99999', 'illegal virtual server address[:port] specified');
  bad('-A -t 10.0.0.1:nosuch', 'illegal virtual server address[:port] specified');
  bad('-A -t 10.0.0.1.5:80', 'illegal virtual server address[:port] specified');
  bad('-A -t 10.0.0.1:84 -p 0', "invalid timeout value `0' specified");
  bad('-A -t 10.0.0.1:84 -p 2678401', "invalid timeout value `2678401' specified");
  bad('-A -t 10.0.0.1:90 -p -M bogus', 'illegal virtual server persistent mask specified');
  bad('-A -t [2001:db8::9]:91 -p -M 129', 'illegal ipv6 netmask specified');
  bad('-A -f 0', "invalid fwmark value `0' specified");
  bad('-A -6 -f 6', '-6 used before -f\n');
  bad('-A -t 10.0.0.1:94 -b sh-port', "incompatible scheduler flag `sh-port'");
  bad('-A -t 10.0.0.1:94 -s sh -b bogus', "invalid scheduler flag `bogus'");
  bad('-a -t 10.0.0.1:92 -r 10.0.0.2 -w 2147483648', 'illegal weight specified');
  bad('-a -t 10.0.0.1:92 -r 10.0.0.2 -w -1', 'illegal weight specified');
  bad('-a -t 10.0.0.1:92 -r 10.0.0.2 -x x', 'illegal u_threshold specified');
  bad('-a -t 10.0.0.1:92 -r 10.0.0.2 -y x', 'illegal l_threshold specified');
  bad('-a -t 10.0.0.1:92 -r 10.0.0.2 -m -g', "multiple 'forwarding-method' options specified");
  bad('-a -t 10.0.0.1:92', "You need to supply the 'real-server' option for the 'add-server' command");
  bad(
    '-a -t 10.0.0.1:92 -r [2001:db8::3]:80 -m',
    'Different address family is allowed only for tunneling servers',
  );
  bad('-a -t 10.0.0.1:92 -r 10.0.0.4 --tun-type gue', 'Tunnel options conflict with forward method');
  bad(
    '-a -t 10.0.0.1:92 -r 10.0.0.4 -i --tun-type gue',
    "You need to supply the 'tun-port' option for the 'gue' tunnel type",
  );
  bad('-a -t 10.0.0.1:92 -r 10.0.0.4 -i --tun-type foo', 'illegal tunnel type specified');
  bad('-d -t 10.0.0.1:92 -r 10.0.0.2 -w 5', "Illegal 'weight' option with the 'delete-server' command");
  bad('-L -c --stats', 'options conflicts in the list command');
  bad('-L -c --timeout', "The option 'timeout' conflicts with the 'connection' option in the 'list' command");
  bad('-C -n', "Illegal 'numeric' option with the 'flush' command");
  bad('--set 1 2', '--set option requires 3 timeout values');
  bad('--set 1 2 3 4', 'unexpected argument 4');
  bad('--start-daemon foo', 'illegal start-daemon parameter specified');
  bad('--stop-daemon foo', 'illegal start_daemon specified');
  bad('--start-daemon master --syncid 256', 'illegal syncid specified');
  bad('--start-daemon master --mcast-group 1.2.3.4', "invalid IPv4 mcast-group `1.2.3.4'");
  bad('-R -n', "Illegal 'numeric' option with the 'restore' command");
  bad('-L --nosort=1', '--nosort=1: option does not take an argument', 255);
  assert.match(
    (parseAdmArgs(['-Q'], { program: 'vigil adm' }) as { message: string }).message,
    /^Try `vigil adm -h'/,
  );
});

test('restore input: ipvsadm words dropped, blanks and comments skipped, all lines or none', () => {
  assert.deepEqual(
    restoreLines('ipvsadm -A -t 1.2.3.4:80\n\n  \t\n# note\n\t-a\t-t 1.2.3.4:80  -r 5.6.7.8\n'),
    [
      { line: 1, argv: ['-A', '-t', '1.2.3.4:80'] },
      { line: 5, argv: ['-a', '-t', '1.2.3.4:80', '-r', '5.6.7.8'] },
    ],
  );
  const r = parseRestore('-A -t 1.2.3.4:80\n-a -t 1.2.3.4:80 -r 5.6.7.8\n', { names });
  assert.ok(r.ok && r.command.cmd === 'restore' && r.command.commands.length === 2);
  const e = parseRestore('-A -t 1.2.3.4:80\n-a -t 1.2.3.4:80 -r 5.6.7.8 -w x\n', { names });
  assert.deepEqual(e, {
    ok: false,
    message: 'illegal weight specified\n(line 2 of the restore input: -a -t 1.2.3.4:80 -r 5.6.7.8 -w x)',
    exitCode: 2,
  });
  const nested = parseRestore('-R\n', { names });
  assert.ok(!nested.ok && nested.exitCode === 255);
});
