// The lab presets: each director's keepalived.conf loads without errors, the intended director
// masters each instance, every service's VIP is owned by an instance and balanced to both real
// servers; bad names and intervals are refused with a message that says what is allowed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfigText } from '../../../src/config/load.js';
import { DIRECTORS, PRESET_NAMES, presetList, scenario, ScenarioError } from '../../../src/lab/scenarios.js';

test('the four seed topologies are there', () => {
  assert.deepEqual([...PRESET_NAMES].sort(), ['dr', 'dual-master', 'nat', 'proxy']);
  for (const n of PRESET_NAMES) assert.match(presetList(), new RegExp(`^  ${n} +\\S`, 'm'));
});

for (const name of PRESET_NAMES) {
  for (const advertInt of [1, 0.2]) {
    test(`${name}, advert_int ${advertInt}: both directors' configs are valid and agree`, () => {
      const sc = scenario(name, { advertInt, engine: 'nft' });
      const loaded = DIRECTORS.map((d) => {
        const r = loadConfigText(sc.configs[d], `${d}.conf`);
        assert.deepEqual(
          r.diagnostics.filter((x) => x.severity === 'error'),
          [],
          `${d}:\n${sc.configs[d]}`,
        );
        return { d, c: r.config };
      });
      for (const { d, c } of loaded) {
        assert.equal(c.globalDefs.lvsEngine, name === 'proxy' ? 'userspace' : 'nft');
        for (const i of c.vrrpInstances) {
          const master = sc.masters[i.name] === d;
          assert.equal(i.state, master ? 'MASTER' : 'BACKUP', `${d} ${i.name}`);
          assert.equal(i.priority, master ? 150 : 100);
          assert.equal(i.advertInt, advertInt);
          assert.equal(i.effectiveVersion, advertInt === 1 ? 2 : 3);
        }
        for (const s of sc.services) {
          const owner = c.vrrpInstances.find((i) => i.name === s.instance);
          assert.ok(owner, `${s.name}: instance ${s.instance}`);
          assert.ok(
            JSON.stringify(owner.virtualIpaddress).includes(`"${s.vip}`),
            `${s.instance} owns ${s.vip}`,
          );
          const vs = c.virtualServers.find((v) => v.key.kind === 'addr' && v.key.address === s.vip);
          assert.ok(vs, `virtual_server ${s.vip}`);
          assert.deepEqual(
            vs.realServers.map((r) => r.address).sort(),
            sc.realServers.map((r) => r.address).sort(),
          );
        }
      }
      // Every instance has one intended master, on a director.
      assert.deepEqual(Object.keys(sc.masters).sort(), loaded[0]!.c.vrrpInstances.map((i) => i.name).sort());
    });
  }
}

test('dual-master: each director masters one VIP; DR real servers carry every VIP', () => {
  const sc = scenario('dual-master');
  assert.deepEqual(sc.masters, { VI_WEB: 'director1', VI_DB: 'director2' });
  assert.deepEqual(
    sc.services.map((s) => `${s.name} ${s.vip}:${s.port}`),
    ['web 192.168.1.100:80', 'db 192.168.1.101:3306'],
  );
  for (const rs of sc.realServers) assert.deepEqual(rs.drVips, ['192.168.1.100', '192.168.1.101']);
  assert.deepEqual(
    scenario('nat').realServers.map((r) => r.drVips),
    [[], []],
  );
});

test('bad preset names and intervals are refused, naming what is allowed', () => {
  assert.throws(
    () => scenario('lvs'),
    (e: Error) => {
      assert.ok(e instanceof ScenarioError);
      assert.equal(e.message, "no lab preset named 'lvs'; presets: dr, dual-master, nat, proxy");
      return true;
    },
  );
  assert.throws(() => scenario('toString'), /no lab preset named 'toString'/);
  assert.throws(() => scenario('dr', { advertInt: 0, engine: 'auto' }), /0\.01 to 255/);
  assert.throws(() => scenario('dr', { advertInt: Number.NaN, engine: 'auto' }), /out of range/);
});
