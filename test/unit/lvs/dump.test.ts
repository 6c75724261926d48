// keepalived_check.data (SIGUSR1 to the checker): the lines of keepalived 2.2.7's dump_vs() and
// dump_rs() (check/check_data.c) for the fields vigil has, in their order. No fixture from a real
// keepalived: its checker process exits at start on a kernel without IPVS (this one).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfigText } from '../../../src/config/load.js';
import { checkDataText } from '../../../src/lvs/dump.js';

const { config } = loadConfigText(
  `virtual_server 10.0.0.100 80 {
  delay_loop 6
  lb_algo wlc
  lb_kind DR
  protocol TCP
  persistence_timeout 50
  quorum_up "/bin/echo up"
  real_server 10.0.0.21 80 {
    weight 3
    inhibit_on_failure
    TCP_CHECK {
      connect_timeout 2
      retry 2
      delay_before_retry 1
    }
  }
  real_server 10.0.0.22 8080 {
    weight 1
    notify_down "/bin/echo down"
    TCP_CHECK {
    }
  }
}
`,
  '/etc/keepalived/keepalived.conf',
);

test('keepalived_check.data: LVS topology in keepalived 2.2.7 labels, with live state', () => {
  const text = checkDataText(
    config,
    ['------< Global definitions >------'],
    [
      { virtualServer: '10.0.0.100:80/TCP', realServer: '10.0.0.21:80', state: 'up', weight: 3 },
      { virtualServer: '10.0.0.100:80/TCP', realServer: '10.0.0.22:8080', state: 'down', weight: 0 },
    ],
  );
  assert.equal(
    text,
    [
      '------< Global definitions >------',
      '------< LVS Topology >------',
      ' ------< Virtual server >------',
      ' VS VIP = 10.0.0.100, VPORT = 80',
      '   Address family = inet',
      '   connection timeout = 5',
      '   delay_loop = 6',
      '   lvs_sched = wlc',
      '   persistence timeout = 50',
      '   protocol = TCP',
      '   alpha is OFF',
      '   omega is OFF',
      '   Inhibit on failure is OFF',
      '   quorum = 1, hysteresis = 0',
      "   Quorum up notify script = '/bin/echo' 'up', uid:gid 0:0",
      '   Using smtp notification = no',
      '   default forwarding method = DR',
      '   alive = 1',
      '   ------< Real server >------',
      '   RIP = 10.0.0.21, RPORT = 80, WEIGHT = 3 EFF WEIGHT = 3',
      '   forwarding method = DR',
      '   Alpha is OFF',
      '   connection timeout = 5',
      '   connection limit range = 0 -> 0',
      '   Delay loop = 6',
      '   Inhibit on failure is ON',
      '   Using smtp notification = no',
      '   initial weight = 3',
      '   effective weight = 3',
      '   alive = 1',
      '   num failed checkers = 0',
      '   RS set = 1',
      '   ------< Real server >------',
      '   RIP = 10.0.0.22, RPORT = 8080, WEIGHT = 1 EFF WEIGHT = 0',
      '   forwarding method = DR',
      '   Alpha is OFF',
      '   connection timeout = 5',
      '   connection limit range = 0 -> 0',
      '   Delay loop = 6',
      '   Inhibit on failure is OFF',
      "     RS down notify script = '/bin/echo' 'down', uid:gid 0:0",
      '   Using smtp notification = no',
      '   initial weight = 1',
      '   effective weight = 0',
      '   alive = 0',
      '   num failed checkers = 1',
      '   RS set = 0',
      '',
    ].join('\n'),
  );
});
