// The words of a failed bind_if / fwmark step, and how the runner tells them from a server's failure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isSockoptFailure, NO_ADDON, stepFailure } from '../../../src/check/sockopts.js';

test("a failed step in keepalived's words; a failed connect or bind keeps its own", () => {
  const o = { bindIf: 'eth9', fwmark: 7 };
  assert.equal(
    stepFailure(1, 'operation not permitted', o),
    'error setting fwmark 7 to socket: operation not permitted',
  );
  assert.equal(stepFailure(2, 'no such device', o), "can't bind to device eth9: no such device");
  assert.equal(stepFailure(3, 'bind address not available', o), 'bind address not available');
  assert.equal(stepFailure(0, 'connection refused', o), 'connection refused');
});

test('setup failures are recognised, also after the url or host a checker names', () => {
  for (const r of [
    "can't bind to device eth9: no such device",
    "/: can't bind to device eth9: no such device",
    '10.0.0.2:25: error setting fwmark 7 to socket: operation not permitted',
    `/: ${NO_ADDON}`,
  ])
    assert.equal(isSockoptFailure(r), true, r);
  for (const r of ['timeout', 'connection refused', '/: status 503', '/: body does not match the regex'])
    assert.equal(isSockoptFailure(r), false, r);
});
