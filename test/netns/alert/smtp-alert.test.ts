// smtp_alert end to end: two vigil directors and a real server in their own namespaces, and an SMTP
// server (a real TCP exchange) in another. VRRP transitions, a real server going down and up
// under its TCP_CHECK, and its virtual server losing and regaining quorum each arrive as a mail
// formatted as keepalived formats it; a graceful stop mails "Stopping" before the daemon exits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLab } from '../../../src/lab/index.js';
import { netnsUnavailable, requireSystem } from '../../support/system.js';
import {
  type Daemon,
  instanceConf,
  instanceOf,
  startVigil,
  stopDaemon,
  vigilStatus,
  waitFor,
  waitState,
} from '../vrrpd/harness.js';
import { startMailServer, startTcpServer } from '../../support/lab-servers.js';

const NET = '192.168.74';
const VIP = `${NET}.100`;
const START_MS = 20_000;

function conf(node: string, priority: number): string {
  return `global_defs {
  router_id lb_${node}
  notification_email {
    ops@example.com
    oncall@example.com
  }
  notification_email_from vigil@lb-${node}.example
  smtp_server ${NET}.25 2525
  smtp_helo_name lb-${node}.example
  smtp_connect_timeout 5
}
${instanceConf({ vrid: 74, priority, vip: `${VIP}/24` }).replace('  priority', '  smtp_alert\n  priority')}
virtual_server ${VIP} 80 {
  smtp_alert
  delay_loop 1
  lb_algo rr
  lb_kind NAT
  protocol TCP
  real_server ${NET}.30 8080 {
    TCP_CHECK {
      connect_timeout 1
      retry 1
      delay_before_retry 1
    }
  }
}
`;
}

test('smtp_alert: VRRP transitions and a real server going down and up send keepalived mails', async (t) => {
  if (!requireSystem(t, netnsUnavailable())) return;
  const lab = await createLab({
    nodes: [
      { name: 'a', addresses: [`${NET}.11/24`] },
      { name: 'b', addresses: [`${NET}.12/24`] },
      { name: 'r', addresses: [`${NET}.30/24`] },
      { name: 'm', addresses: [`${NET}.25/24`] },
    ],
  });
  const dir = mkdtempSync(join(tmpdir(), 'vigil-alert-'));
  const daemons: Daemon[] = [];
  try {
    const mail = await startMailServer(lab, 'm', `${NET}.25`, 2525);
    let rs = await startTcpServer(lab, 'r', `${NET}.30`, 8080);
    const a = await startVigil(lab, 'a', join(dir, 'a'), conf('a', 150));
    const b = await startVigil(lab, 'b', join(dir, 'b'), conf('b', 100));
    daemons.push(a, b);
    await waitState(a, 'VI_1', 'MASTER', START_MS);
    await waitState(b, 'VI_1', 'BACKUP', START_MS);

    // The master's mail: the exchange, the recipients and keepalived's headers and body.
    const m = await mail.subject(/^\[lb_a\] VRRP Instance VI_1 - Entering MASTER state$/, 10_000);
    assert.equal(m.helo, 'lb-a.example');
    assert.equal(m.from, 'vigil@lb-a.example');
    assert.deepEqual(m.to, ['ops@example.com', 'oncall@example.com']);
    assert.deepEqual(m.commands.slice(0, 5), [
      'HELO lb-a.example',
      'MAIL FROM:<vigil@lb-a.example>',
      'RCPT TO:<ops@example.com>',
      'RCPT TO:<oncall@example.com>',
      'DATA',
    ]);
    assert.equal(m.headers['From'], 'vigil@lb-a.example');
    assert.equal(m.headers['To'], 'ops@example.com, oncall@example.com');
    // On the wire, keepalived's folding: one recipient a line.
    assert.match(m.data, /\r\nTo: ops@example\.com,\r\n oncall@example\.com\r\n\r\n/);
    assert.equal(m.headers['X-Mailer'], 'Keepalived');
    assert.match(m.headers['Date'] ?? '', /^\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}$/);
    assert.equal(m.body, '=> VRRP Instance is now owning VRRP VIPs <=\r\n');
    const bk = await mail.subject(/^\[lb_b\] VRRP Instance VI_1 - Entering BACKUP state$/, 10_000);
    assert.equal(bk.body, '=> VRRP Instance is no longer owning VRRP VIPs <=\r\n');

    // The real server dies: each director's checker mails DOWN; it comes back: UP.
    const esc = (x: string): string => x.replace(/[.[\]]/g, '\\$&');
    const rsSubject = (node: string, st: string): RegExp =>
      new RegExp(
        `^${esc(`[lb_${node}] Realserver [${NET}.30]:tcp:8080 of virtual server [${VIP}]:tcp:80 - ${st}`)}$`,
      );
    // Both directors check it (no ha_suspend), so both must have seen it down before it returns.
    lab.kill(rs.child, 'SIGKILL');
    const down = await mail.subject(rsSubject('a', 'DOWN'), 15_000);
    assert.equal(down.body, '=> TCP CHECK failed on service <=\r\n');
    await mail.subject(rsSubject('b', 'DOWN'), 15_000);
    // Its only real server gone, the virtual server (smtp_alert) loses quorum, and says so.
    const vsSubject = (st: string): RegExp =>
      new RegExp(`^${esc(`[lb_a] Virtualserver [${VIP}]:tcp:80 - ${st}`)}$`);
    const lost = await mail.subject(vsSubject('DOWN'), 5_000);
    assert.equal(lost.body, '=> Lost quorum 1+0=1 <= 0 <=\r\n');
    rs = await startTcpServer(lab, 'r', `${NET}.30`, 8080);
    const up = await mail.subject(rsSubject('a', 'UP'), 15_000);
    assert.equal(up.body, '=> TCP CHECK succeed on service <=\r\n');
    const gained = await mail.subject(vsSubject('UP'), 5_000);
    assert.equal(gained.body, '=> Gained quorum 1+0=1 <= 1 <=\r\n');
    await mail.subject(rsSubject('b', 'UP'), 15_000);

    // The master is killed: the backup takes over and says so.
    await stopDaemon(lab, a, 'SIGKILL');
    await waitState(b, 'VI_1', 'MASTER', 10_000);
    await mail.subject(/^\[lb_b\] VRRP Instance VI_1 - Entering MASTER state$/, 10_000);
    assert.match(
      b.output(),
      /SMTP alert "\[lb_b\] VRRP Instance VI_1 - Entering MASTER state" sent to ops@example.com, oncall@example.com/,
    );

    // A graceful stop: the "Stopping" mail leaves before the daemon exits (the daemon is gone, so
    // whatever the mail server still reports was sent in full before the exit).
    await stopDaemon(lab, b, 'SIGTERM');
    const stop = await mail.subject(/^\[lb_b\] VRRP Instance VI_1 - Stopping$/, 3_000);
    assert.equal(stop.body, '=> VRRP Instance stopping <=\r\n');
  } finally {
    for (const d of daemons) await stopDaemon(lab, d).catch(() => undefined);
    await lab.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
});

interface CheckerView {
  children: { checker?: { status: { realServers?: { realServer: string; state: string }[] } } };
}

test('smtp_alert: a smtp_server that refuses is logged and changes nothing in VRRP or the checks', async (t) => {
  if (!requireSystem(t, netnsUnavailable())) return;
  // The mail host is up but nothing listens on 2525: every connection is refused.
  const lab = await createLab({
    nodes: [
      { name: 'a', addresses: [`${NET}.11/24`] },
      { name: 'r', addresses: [`${NET}.30/24`] },
      { name: 'm', addresses: [`${NET}.25/24`] },
    ],
  });
  const dir = mkdtempSync(join(tmpdir(), 'vigil-alert-'));
  let a: Daemon | undefined;
  try {
    const rs = await startTcpServer(lab, 'r', `${NET}.30`, 8080);
    a = await startVigil(lab, 'a', join(dir, 'a'), conf('a', 150));
    await waitState(a, 'VI_1', 'MASTER', START_MS);
    const d = a;
    await waitFor(
      'the refused MASTER mail logged',
      async () =>
        /SMTP alert "\[lb_a\] VRRP Instance VI_1 - Entering MASTER state" not sent: SMTP server 192\.168\.74\.25:2525: cannot connect: .*ECONNREFUSED/.test(
          d.output(),
        ),
      10_000,
    );
    // The checker still works: the real server dies, is taken out, and its mail fails the same way.
    lab.kill(rs.child, 'SIGKILL');
    const rsState = async (): Promise<string | undefined> => {
      const s = (await vigilStatus(d)) as unknown as CheckerView;
      return s.children.checker?.status.realServers?.find((x) => x.realServer === `${NET}.30:8080`)?.state;
    };
    await waitFor('the real server down', async () => (await rsState()) === 'down', 15_000);
    await waitFor(
      'the refused DOWN mail logged',
      async () =>
        /SMTP alert "\[lb_a\] Realserver \[192\.168\.74\.30\]:tcp:8080 of virtual server \[192\.168\.74\.100\]:tcp:80 - DOWN" not sent: .*ECONNREFUSED/.test(
          d.output(),
        ),
      10_000,
    );
    // VRRP never moved: still MASTER, one transition (INIT -> BACKUP -> MASTER), the daemon alive.
    const i = await instanceOf(d, 'VI_1');
    assert.equal(i?.state, 'MASTER');
    assert.deepEqual(
      i?.transitions.map((x) => x.to),
      ['BACKUP', 'MASTER'],
    );
    assert.equal(d.child.exitCode, null);
    assert.doesNotMatch(d.output(), /at .*\.ts:\d+:\d+|Uncaught|unhandled/i, 'no stack trace');
  } finally {
    if (a) await stopDaemon(lab, a).catch(() => undefined);
    await lab.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
});
