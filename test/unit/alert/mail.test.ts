// smtp_alert mail: keepalived's message format and subjects (pure), and the SMTP exchange of the
// client against a real SMTP server on loopback: order of commands, recipients, errors, timeout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  checkerBody,
  envelopeAddress,
  headerAddress,
  messageData,
  parseReply,
  quorumBody,
  realServerSubject,
  rfc822Date,
  smtpDialogue,
  virtualServerSubject,
  vrrpSubject,
} from '../../../src/alert/message.js';
import { sendMail } from '../../../src/alert/smtp-client.js';
import {
  checkerAlertDefault,
  virtualServerAlertDefault,
  vrrpAlertDefault,
} from '../../../src/alert/mailer.js';
import { defaultGlobalDefs } from '../../../src/config/schema/global.js';
import type { RealServer, VirtualServer } from '../../../src/config/model.js';
import { TestSmtpServer } from '../../support/smtp-server.js';

const msg = {
  from: 'vigil@lb1',
  to: ['ops@example.com', 'oncall@example.com'],
  subject: '[lb1] VRRP Instance VI_1 - Entering MASTER state',
  body: '=> VRRP Instance is now owning VRRP VIPs <=',
  date: new Date(2026, 11, 4, 17, 5, 9),
};

test('message: keepalived headers, blank line, body, extra CRLF and the dot', () => {
  const d = messageData(msg);
  assert.equal(
    d,
    `Date: ${rfc822Date(msg.date)}\r\nFrom: vigil@lb1\r\nSubject: [lb1] VRRP Instance VI_1 - Entering MASTER state\r\n` +
      'X-Mailer: Keepalived\r\nTo: ops@example.com,\r\n oncall@example.com\r\n\r\n' +
      '=> VRRP Instance is now owning VRRP VIPs <=\r\n\r\n.\r\n',
  );
  assert.match(rfc822Date(msg.date), /^Fri, 04 Dec 2026 17:05:09 [+-]\d{4}$/);
  // A body line starting with a dot is doubled; a newline in a header cannot start a new one.
  assert.match(messageData({ ...msg, body: 'a\n.b' }), /\r\na\r\n\.\.b\r\n\r\n\.\r\n$/);
  assert.match(messageData({ ...msg, subject: 'x\r\nBcc: evil' }), /Subject: x Bcc: evil\r\n/);
});

test('addresses: display names as keepalived writes them, envelopes with the address alone', () => {
  assert.equal(envelopeAddress('ops@example.com'), '<ops@example.com>');
  assert.equal(envelopeAddress('Ops Team <ops@example.com>'), '<ops@example.com>');
  assert.equal(headerAddress('Ops Team <ops@example.com>'), 'Ops Team <ops@example.com>');
  assert.equal(headerAddress('lb1.example <vigil@lb1>'), '"lb1.example" <vigil@lb1>');
  assert.equal(headerAddress('a "b", c\\d <x@y>'), '"a \\"b\\", c\\\\d" <x@y>');
  assert.equal(headerAddress('plain@host'), 'plain@host');
  const d = messageData({ ...msg, from: 'LB one. <vigil@lb1>', to: ['Ops <ops@example.com>'] });
  assert.match(d, /\r\nFrom: "LB one\." <vigil@lb1>\r\n/);
  assert.match(d, /\r\nTo: Ops <ops@example.com>\r\n\r\n/);
  assert.deepEqual(
    smtpDialogue('h', { ...msg, from: 'LB <vigil@lb1>', to: ['Ops <ops@example.com>'] })
      .slice(2, 4)
      .map((s) => s.send),
    ['MAIL FROM:<vigil@lb1>\r\n', 'RCPT TO:<ops@example.com>\r\n'],
  );
});

test('subjects and bodies as keepalived writes them', () => {
  assert.equal(
    vrrpSubject('lb1', 'INSTANCE', 'VI_1', 'Entering BACKUP state'),
    '[lb1] VRRP Instance VI_1 - Entering BACKUP state',
  );
  assert.equal(
    vrrpSubject('lb1', 'GROUP', 'G1', 'Entering FAULT state'),
    '[lb1] VRRP Group G1 - Entering FAULT state',
  );
  const vs = {
    key: { kind: 'addr', address: '10.0.0.100', family: 4, port: 80 },
    protocol: 'TCP',
  } as VirtualServer;
  const rs = { address: '10.0.1.5', port: 8080 } as RealServer;
  assert.equal(
    realServerSubject('lb1', vs, rs, false),
    '[lb1] Realserver [10.0.1.5]:tcp:8080 of virtual server [10.0.0.100]:tcp:80 - DOWN',
  );
  const fw = { key: { kind: 'fwmark', fwmark: 7 }, protocol: 'UDP' } as VirtualServer;
  assert.equal(
    realServerSubject('r', fw, { address: 'fd00::5', port: 53 } as RealServer, true),
    '[r] Realserver [fd00::5]:udp:53 of virtual server FWM 7 - UP',
  );
  assert.equal(virtualServerSubject('lb1', vs, false), '[lb1] Virtualserver [10.0.0.100]:tcp:80 - DOWN');
  const q = { quorum: 3, hysteresis: 1 };
  assert.equal(quorumBody(q, { up: false, threshold: 2, aliveWeight: 1 }), '=> Lost quorum 3+1=2 <= 1 <=');
  assert.equal(quorumBody(q, { up: true, threshold: 4, aliveWeight: 5 }), '=> Gained quorum 3+1=4 <= 5 <=');
  assert.equal(
    quorumBody(q, { up: false, threshold: 2, aliveWeight: 0 }, true),
    '=> Starting with quorum down 3+1=2 <= 0 <=',
  );
  assert.equal(checkerBody('TCP_CHECK', false), '=> TCP CHECK failed on service <=');
  assert.equal(checkerBody('HTTP_GET', false), '=> CHECK failed on service : HTTP/SSL request failed <=');
  assert.equal(checkerBody('HTTP_GET', true), '=> CHECK succeed on service <=');
  assert.equal(
    checkerBody('MISC_CHECK', false, 'timed out after 5000 ms'),
    '=> MISC CHECK timed out on service <=',
  );
});

test('smtp_alert defaults: vrrp off unless global says so, real servers on unless global says not', () => {
  const g = defaultGlobalDefs();
  assert.equal(vrrpAlertDefault(g), false);
  assert.equal(checkerAlertDefault(g), true);
  assert.equal(vrrpAlertDefault({ ...g, smtpAlert: true }), true);
  assert.equal(vrrpAlertDefault({ ...g, smtpAlert: true, smtpAlertVrrp: false }), false);
  assert.equal(checkerAlertDefault({ ...g, smtpAlert: false }), false);
  assert.equal(checkerAlertDefault({ ...g, smtpAlert: false, smtpAlertChecker: true }), true);
  // A virtual server's quorum mails: off by default, unlike its real servers'.
  assert.equal(virtualServerAlertDefault(g), false);
  assert.equal(virtualServerAlertDefault({ ...g, smtpAlert: true }), true);
  assert.equal(virtualServerAlertDefault({ ...g, smtpAlert: true, smtpAlertChecker: false }), false);
});

test('reply parsing: multi-line replies, partial input, garbage', () => {
  assert.equal(parseReply('220-a\r\n220'), null);
  assert.deepEqual(parseReply('220-a\r\n220 b\r\n250 x'), { code: 220, text: 'b', rest: '250 x' });
  assert.throws(() => parseReply('HTTP/1.1 400 Bad\r\n'), /not an SMTP reply: 'HTTP\/1.1 400 Bad'/);
  assert.deepEqual(
    smtpDialogue('lb1', msg).map((s) => s.send?.split('\r\n')[0] ?? null),
    [
      null,
      'HELO lb1',
      'MAIL FROM:<vigil@lb1>',
      'RCPT TO:<ops@example.com>',
      'RCPT TO:<oncall@example.com>',
      'DATA',
      `Date: ${rfc822Date(msg.date)}`,
    ],
  );
});

test('client: the whole exchange against a real SMTP server', async () => {
  const srv = new TestSmtpServer();
  const port = await srv.listen('127.0.0.1');
  try {
    await sendMail({ host: '127.0.0.1', port }, 'lb1.example', msg, 2000);
    const [m] = await srv.waitFor(1, 2000);
    assert.deepEqual(m!.commands.slice(0, 5), [
      'HELO lb1.example',
      'MAIL FROM:<vigil@lb1>',
      'RCPT TO:<ops@example.com>',
      'RCPT TO:<oncall@example.com>',
      'DATA',
    ]);
    assert.deepEqual(m!.to, msg.to);
    assert.equal(m!.headers['Subject'], msg.subject);
    assert.equal(m!.headers['X-Mailer'], 'Keepalived');
    assert.equal(m!.headers['To'], 'ops@example.com, oncall@example.com');
    assert.equal(m!.body, `${msg.body}\r\n`);
  } finally {
    await srv.close();
  }
});

test('client: refusals, a dead port, garbage and silence fail with the server and the step named', async () => {
  const refuse = new TestSmtpServer({ replies: { RCPT: '550 5.1.1 no such user' } });
  const p1 = await refuse.listen('127.0.0.1');
  const silent = new TestSmtpServer({ silent: true });
  const p2 = await silent.listen('127.0.0.1');
  try {
    await assert.rejects(
      sendMail({ host: '127.0.0.1', port: p1 }, 'h', msg, 2000),
      /SMTP server 127.0.0.1:\d+: RCPT TO <ops@example.com> answered 550 5.1.1 no such user \(wanted 250\)/,
    );
    assert.equal(refuse.mails.length, 0);
    const t0 = Date.now();
    await assert.rejects(
      sendMail({ host: '127.0.0.1', port: p2 }, 'h', msg, 300),
      /no answer to greeting within 300 ms/,
    );
    assert.ok(Date.now() - t0 < 2000);
    await refuse.close();
    await assert.rejects(
      sendMail({ host: '127.0.0.1', port: p1 }, 'h', msg, 1000),
      /cannot connect: .*ECONNREFUSED/,
    );
  } finally {
    await silent.close();
    await refuse.close().catch(() => undefined);
  }
});
