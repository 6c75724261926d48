// A checker's timing from keepalived.conf: the first check waits a random part of warmup, which
// defaults (as in keepalived) to the checker's delay_loop, so thousands of checks do not start
// in one tick; an explicit warmup, also 0, is kept.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfigText } from '../../../src/config/load.js';
import { timingOf } from '../../../src/check/runner.js';

function timings(body: string) {
  const { config, diagnostics } = loadConfigText(
    `virtual_server 10.0.0.1 80 {\n  delay_loop 4\n  protocol TCP\n${body}\n}\n`,
    'k.conf',
  );
  assert.deepEqual(
    diagnostics.filter((d) => d.severity === 'error'),
    [],
  );
  const vs = config.virtualServers[0]!;
  return vs.realServers.map((rs) => timingOf(rs.checkers[0]!, rs, vs));
}

test('warmup defaults to the delay_loop in force; an explicit one wins, 0 included', () => {
  const [dflt, own, zero, rsLevel] = timings(`
  real_server 10.0.0.2 80 {
    TCP_CHECK {
    }
  }
  real_server 10.0.0.3 80 {
    TCP_CHECK {
      delay_loop 2
    }
  }
  real_server 10.0.0.4 80 {
    TCP_CHECK {
      warmup 0
    }
  }
  real_server 10.0.0.5 80 {
    warmup 1
    TCP_CHECK {
    }
  }`);
  assert.equal(dflt!.warmupMs, 4000);
  assert.equal(own!.delayLoopMs, 2000);
  assert.equal(own!.warmupMs, 2000);
  assert.equal(zero!.warmupMs, 0);
  assert.equal(rsLevel!.warmupMs, 1000);
});

test("retry and delay_before_retry default per checker type, as keepalived 2.2.7's", () => {
  const [tcp, http, ssl, misc, dns, smtp, own] = timings(`
  real_server 10.0.0.2 80 {
    TCP_CHECK {
    }
  }
  real_server 10.0.0.3 80 {
    HTTP_GET {
      url {
        path /
      }
    }
  }
  real_server 10.0.0.4 80 {
    SSL_GET {
      url {
        path /
      }
    }
  }
  real_server 10.0.0.5 80 {
    MISC_CHECK {
      misc_path /bin/true
    }
  }
  real_server 10.0.0.6 80 {
    DNS_CHECK {
      name example.org
    }
  }
  real_server 10.0.0.7 80 {
    SMTP_CHECK {
    }
  }
  real_server 10.0.0.8 80 {
    retry 2
    delay_before_retry 5
    DNS_CHECK {
      name example.org
    }
  }`);
  const pick = (t: ReturnType<typeof timings>[number] | undefined) => [t!.retry, t!.delayBeforeRetryMs];
  assert.deepEqual(pick(tcp), [1, 1000]);
  assert.deepEqual(pick(http), [1, 3000]);
  assert.deepEqual(pick(ssl), [1, 3000]);
  assert.deepEqual(pick(misc), [0, 1000]);
  assert.deepEqual(pick(dns), [3, 4000], 'DNS_CHECK retries 3 times, a delay_loop apart');
  assert.deepEqual(pick(smtp), [1, 1000]);
  assert.deepEqual(pick(own), [2, 5000], "the real server's own values win");
});
