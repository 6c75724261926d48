// keepalived_check.data (SIGUSR1 to the checker): the lines of keepalived 2.2.7's dump_vs(),
// dump_rs() (check/check_data.c) and dump_checker() with each checker's dump function
// (check/check_api.c, check_*.c), in their order. No fixture from a real keepalived: its checker
// process exits at start on a kernel without IPVS (this one); the expected lines follow the source.
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
      ' System is compiled with LVS v1.2.1',
      ' ------< Virtual server >------',
      ' VS VIP = 10.0.0.100, VPORT = 80',
      '   Address family = inet',
      '   connection timeout = 5',
      '   delay_loop = 6',
      '   lvs_sched = wlc',
      '   Hashed = disabled',
      '   flag-1 = disabled',
      '   flag-2 = disabled',
      '   flag-3 = disabled',
      '   One packet scheduling = disabled',
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
      '   quorum_state_up = 1',
      '   reloaded = 0',
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
      '   previous effective_weight = 3',
      '   alive = 1',
      '   num failed checkers = 0',
      '   RS set = 1',
      '   reloaded = 0',
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
      '   previous effective_weight = 0',
      '   alive = 0',
      '   num failed checkers = 1',
      '   RS set = 0',
      '   reloaded = 0',
      // No checker states given: each as keepalived has it before its first run.
      '------< Health checkers >------',
      ' [10.0.0.100]:tcp:80 -> [10.0.0.21]:tcp:80',
      '   Enabled = yes',
      '   Up = yes',
      '   Has run = no',
      '   Current weight = 0',
      '   Alpha = no',
      '   Delay loop = 6000000 us',
      '   Warmup = 6000000 us',
      '   Retries = 2',
      '   Delay before retry = 1000000 us',
      '   Retries iterations = 2',
      '   Default delay before retry = 1000000 us',
      '   Log all failures = no',
      '   Connection',
      '     Dest = [10.0.0.21]:80',
      '     Timeout = 2.000000',
      '   Keepalive method = TCP_CHECK',
      ' [10.0.0.100]:tcp:80 -> [10.0.0.22]:tcp:8080',
      '   Enabled = yes',
      '   Up = yes',
      '   Has run = no',
      '   Current weight = 0',
      '   Alpha = no',
      '   Delay loop = 6000000 us',
      '   Warmup = 6000000 us',
      '   Retries = 1',
      '   Delay before retry = 1000000 us',
      '   Retries iterations = 1',
      '   Default delay before retry = 1000000 us',
      '   Log all failures = no',
      '   Connection',
      '     Dest = [10.0.0.22]:8080',
      '     Timeout = 5.000000',
      '   Keepalive method = TCP_CHECK',
      '',
    ].join('\n'),
  );
});

test("keepalived_check.data: each checker's details as its dump function writes them, with its state", () => {
  const { config: c, diagnostics } = loadConfigText(
    `virtual_server_group G {
  10.0.0.100 443
  10.0.0.110-120 443
}
virtual_server group G {
  delay_loop 3
  lb_algo sh
  lb_kind NAT
  protocol TCP
  sorry_server 10.0.0.22 443
  real_server 10.0.0.21 443 {
    weight 3
    SSL_GET {
      url {
        path /health
        status_code 200
        status_code 201-204
        status_code 203-210
      }
      url {
        path /x
        digest 9B3A0C85A887A256D6939DA88AABD8CD
        regex "ok"
        regex_no_match
      }
      connect_timeout 3
      retry 2
    }
    MISC_CHECK {
      misc_path "/bin/check arg"
      misc_timeout 4
      misc_dynamic
    }
  }
  real_server 10.0.0.22 443 {
    TCP_CHECK {
      connect_ip 10.0.0.99
      connect_port 81
      bindto 10.0.0.1
    }
    DNS_CHECK {
      type AAAA
      name example.com
    }
  }
}
`,
    'k.conf',
  );
  assert.deepEqual(
    diagnostics.filter((d) => d.severity === 'error'),
    [],
  );
  const at = '2026-12-07T20:30:47.464Z';
  const text = checkDataText(
    c,
    [],
    [
      {
        virtualServer: 'group G/TCP',
        realServer: '10.0.0.21:443',
        state: 'up',
        weight: 5,
        checkers: [
          { up: true, consecutiveFailures: 0, lastResult: { ok: true, reason: 'HTTP 200', at } },
          { up: true, consecutiveFailures: 0, lastResult: { ok: true, reason: 'exit 4', at } },
        ],
      },
      {
        virtualServer: 'group G/TCP',
        realServer: '10.0.0.22:443',
        state: 'down',
        weight: 0,
        checkers: [
          { up: false, consecutiveFailures: 3, lastResult: { ok: false, reason: 'connection refused', at } },
          { up: true, consecutiveFailures: 0 },
        ],
      },
    ],
  );
  const lines = text.split('\n');
  const after = (head: string, n: number): string[] =>
    lines.slice(lines.indexOf(head), lines.indexOf(head) + n);
  // The group, then the service by FMT_VS.
  assert.deepEqual(after(' ------< Virtual server group >------', 9), [
    ' ------< Virtual server group >------',
    ' Virtual Server Group = G, IPv4 = yes, IPv6 = no',
    '   VIP = 10.0.0.100, VPORT = 443',
    '     Alive: 1 tcp, 0 udp, 0 sctp',
    '     reloaded = False',
    '   VIP Range = 10.0.0.110-10.0.0.120, VPORT = 443',
    '     Alive: 1 tcp, 0 udp, 0 sctp',
    '     reloaded = False',
    ' ------< Virtual server >------',
  ]);
  assert.ok(lines.includes(' VS GROUP = [G]:0'));
  assert.deepEqual(after('   lvs_sched = sh', 4).slice(1), [
    '   Hashed = disabled',
    '   sh-port = disabled',
    '   sh-fallback = disabled',
  ]);
  assert.deepEqual(after('   sorry server (duplicates rs) = [10.0.0.22]:tcp:443', 3), [
    '   sorry server (duplicates rs) = [10.0.0.22]:tcp:443',
    '     forwarding method = NAT',
    '     Inhibit on failure is OFF',
  ]);
  assert.ok(lines.includes('   num failed checkers = 1'), 'the RS with one failed checker of two');
  const checkers = lines.slice(lines.indexOf('------< Health checkers >------'));
  assert.deepEqual(checkers, [
    '------< Health checkers >------',
    ' [G]:0 -> [10.0.0.21]:tcp:443',
    '   Enabled = yes',
    '   Up = yes',
    '   Has run = yes',
    '   Current weight = 0',
    '   Alpha = no',
    '   Delay loop = 3000000 us',
    '   Warmup = 3000000 us',
    '   Retries = 2',
    '   Delay before retry = 3000000 us',
    '   Retries iterations = 0',
    '   Default delay before retry = 3000000 us',
    '   Log all failures = no',
    '   Connection',
    '     Dest = [10.0.0.21]:443',
    '     Timeout = 3.000000',
    '   Keepalive method = SSL_GET, http protocol 1.0',
    '   Enable SNI set',
    '   Fast recovery unset',
    '   Checked url = /health',
    '     HTTP Status Code(s)',
    '       200-210',
    '   Checked url = /x',
    '     digest = 9b3a0c85a887a256d6939da88aabd8cd',
    '     HTTP Status Code(s)',
    '       200-299',
    '     Regex = "ok"',
    '     Regex no match',
    '     Regex options:',
    '     Regex ref count = 1',
    ' [G]:0 -> [10.0.0.21]:tcp:443',
    '   Enabled = yes',
    '   Up = yes',
    '   Has run = yes',
    // misc_dynamic: exit status 4 adds 4 - 2 to the weight.
    '   Current weight = 2',
    '   Alpha = no',
    '   Delay loop = 3000000 us',
    '   Warmup = 3000000 us',
    '   Retries = 0',
    '   Default delay before retry = 1000000 us',
    '   Log all failures = no',
    '   Keepalive method = MISC_CHECK',
    "   script = '/bin/check' 'arg'",
    '   timeout = 4',
    '   dynamic = YES',
    '   uid:gid = 0:0',
    `   Last ran = 1796675447.464000 (${lines.find((l) => l.startsWith('   Last ran = '))!.slice(33, 57)}.464000)`,
    '   Last status = 4',
    ' [G]:0 -> [10.0.0.22]:tcp:443',
    '   Enabled = yes',
    '   Up = no',
    '   Has run = yes',
    '   Current weight = 0',
    '   Alpha = no',
    '   Delay loop = 3000000 us',
    '   Warmup = 3000000 us',
    '   Retries = 1',
    '   Delay before retry = 1000000 us',
    '   Retries iterations = 1',
    '   Default delay before retry = 1000000 us',
    '   Log all failures = no',
    '   Connection',
    '     Dest = [10.0.0.99]:81',
    '     Bind to = [10.0.0.1]:0',
    '     Timeout = 5.000000',
    '   Keepalive method = TCP_CHECK',
    ' [G]:0 -> [10.0.0.22]:tcp:443',
    '   Enabled = yes',
    '   Up = yes',
    '   Has run = no',
    '   Current weight = 0',
    '   Alpha = no',
    '   Delay loop = 3000000 us',
    '   Warmup = 3000000 us',
    '   Retries = 3',
    '   Delay before retry = 3000000 us',
    '   Retries iterations = 3',
    '   Default delay before retry = 0 us',
    '   Log all failures = no',
    '   Connection',
    '     Dest = [10.0.0.22]:443',
    '     Timeout = 5.000000',
    '   Keepalive method = DNS_CHECK',
    '   Type = AAAA',
    '   Name = example.com',
    '',
  ]);
});
