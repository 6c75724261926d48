// The script keywords as keepalived reads them: a notify line's USER [GROUP], startup/shutdown
// scripts and their timeouts, vrrp_startup_delay, notify_master_rx_lower_pri.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfigText } from '../../../src/config/load.js';
import { formatDiagnostic } from '../../../src/config/ast.js';
import { notifyConfig } from '../../../src/vrrp/config.js';
import { eventNotifications } from '../../../src/vrrp/notify.js';

const load = (text: string) => {
  const r = loadConfigText(text, 'k.conf');
  return { config: r.config, messages: r.diagnostics.map(formatDiagnostic) };
};

test('startup_script / shutdown_script with USER and their timeouts; keepalived defaults 10 s', () => {
  const { config, messages } = load(`global_defs {
  startup_script "/etc/keepalived/up.sh now" www adm
  shutdown_script /etc/keepalived/down.sh
  shutdown_script_timeout 3
  startup_script_timeout 0
  vrrp_startup_delay 2.5
}`);
  const g = config.globalDefs;
  assert.deepEqual(g.startupScript?.argv, ['/etc/keepalived/up.sh', 'now']);
  assert.deepEqual(g.startupScript?.user, { user: 'www', group: 'adm' });
  assert.deepEqual(g.shutdownScript?.argv, ['/etc/keepalived/down.sh']);
  assert.equal(g.startupScriptTimeout, 10, 'an out-of-range timeout is ignored, as keepalived');
  assert.equal(g.shutdownScriptTimeout, 3);
  assert.equal(g.vrrpStartupDelay, 2.5);
  assert.deepEqual(messages, [
    'k.conf:5:26: warning: startup_script_timeout 0 is out of range: it must be from 1 to 1000 - ignoring',
  ]);
});

test('notify_master_rx_lower_pri is the instance script run, with no arguments added, on a lower-priority advert', () => {
  const { config, messages } = load(`vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 1
  priority 100
  virtual_ipaddress { 10.0.0.1 }
  notify_master_rx_lower_pri "/etc/keepalived/reclaim.sh VI_1"
  notify_master_rx_lower_pri /other
}`);
  assert.deepEqual(messages, [
    'k.conf:7:3: warning: (VI_1) notify_master_rx_lower_pri script already specified - ignoring /other',
  ]);
  const vi = config.vrrpInstances[0]!;
  vi.notifyMasterRxLowerPri!.runAs = { uid: 33, gid: 33 };
  assert.deepEqual(eventNotifications(notifyConfig(vi), 'VI_1', 'MASTER_RX_LOWER_PRI', 100), [
    { kind: 'exec', argv: ['/etc/keepalived/reclaim.sh', 'VI_1'], runAs: { uid: 33, gid: 33 } },
    { kind: 'fifo', line: 'INSTANCE "VI_1" MASTER_RX_LOWER_PRI 100\n' },
  ]);
});
