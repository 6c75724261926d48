// The dashboard in a real browser: Debian's Chromium (driven by playwright-core) on the host opens
// the backup director's page over a veth into the lab, with the API's token; the master is
// killed and the page shows the takeover live (no reload): the state badge, the time line and
// the event log. Then the language switch, remembered across a reload. The screenshot it takes
// is the README's (docs/dashboard.png).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createLab, type Lab } from '../../../src/lab/index.js';
import { addHostLink, freeHostSubnet } from '../../../src/lab/host-link.js';
import { netnsUnavailable, requireSystem } from '../../support/system.js';
import { assertText, chromiumUnavailable, CHROMIUM, get, signIn } from './browser.js';
import { type Daemon, instanceConf, startVigil, stopDaemon, waitFor, waitState } from '../vrrpd/harness.js';

const SCREENSHOT = join(import.meta.dirname, '../../../docs/dashboard.png');
const START_MS = 30_000; // tsx compiles the daemon on start
const API_PORT = 9273;

/** keepalived.conf for one director: VI_1 plus a web service through the user-space proxy. */
function directorConf(net: string, priority: number): string {
  return (
    `global_defs {\n  router_id dash_${priority}\n  lvs_engine userspace\n}\n` +
    instanceConf({ vrid: 61, priority, vip: `${net}.100/24`, authPass: 'dash' }) +
    `virtual_server ${net}.100 80 {
  delay_loop 1
  lb_algo rr
  lb_kind NAT
  protocol TCP
  real_server ${net}.21 8080 {
    weight 3
    TCP_CHECK {
      connect_timeout 1
    }
  }
  real_server ${net}.22 8080 {
    weight 1
    TCP_CHECK {
      connect_timeout 1
    }
  }
}
`
  );
}

const badge = (page: Page, instance: string) => page.locator(`[data-instance="${instance}"] .badge`);

test('dashboard in Chromium: BACKUP, the master dies, MASTER and the transition appear live; 中文', async (t) => {
  if (!requireSystem(t, netnsUnavailable(), chromiumUnavailable())) return;
  const net = await freeHostSubnet();
  let lab: Lab | undefined;
  let browser: Browser | undefined;
  const daemons: Daemon[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'vigil-dash-'));
  try {
    lab = await createLab({
      nodes: [
        { name: 'a', addresses: [`${net}.11/24`] },
        { name: 'b', addresses: [`${net}.12/24`] },
        { name: 'web', addresses: [`${net}.21/24`] },
      ],
    });
    await addHostLink(lab, `${net}.1/24`);
    // The one real server that answers; .22 never does (the page shows it down).
    const web = lab.spawn('web', [
      process.execPath,
      '-e',
      `require('http').createServer((q, r) => r.end('web\\n')).listen(8080, '${net}.21')`,
    ]);
    web.stdout?.resume();
    web.stderr?.resume();

    const token = 'dash-' + Math.random().toString(36).slice(2);
    const tokenFile = join(dir, 'token');
    writeFileSync(tokenFile, token + '\n', { mode: 0o600 });
    const api = (host: string): string[] => [
      '--api-listen',
      `${host}:${API_PORT}`,
      '--api-token-file',
      tokenFile,
    ];
    const a = await startVigil(lab, 'a', join(dir, 'a'), directorConf(net, 150), api(`${net}.11`));
    daemons.push(a);
    await waitState(a, 'VI_1', 'MASTER', START_MS);
    const b = await startVigil(lab, 'b', join(dir, 'b'), directorConf(net, 100), api(`${net}.12`));
    daemons.push(b);
    await waitState(b, 'VI_1', 'BACKUP', START_MS);

    browser = await chromium.launch({ executablePath: CHROMIUM, timeout: 30_000 });
    const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1200, height: 860 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const base = `http://${net}.12:${API_PORT}/`;

    // From the host the API is on a network address: the data and the actions want the token; the
    // page and its static files load without it (a <script src> cannot carry one) and the page
    // asks for it once, keeping it for the tab's session (the reload below needs no new ask).
    assert.equal((await fetch(`${base}dashboard/app.js`)).status, 200);
    assert.equal((await fetch(`${base}api/v1/status`)).status, 401);
    assert.equal((await fetch(`${base}api/v1/status?token=wrong`)).status, 401);
    await signIn(page, base, token);
    await assertText(badge(page, 'VI_1'), 'BACKUP');
    await assertText(
      page.locator('[data-instance="VI_1"] [data-field="master"]'),
      `${net}.11 (priority 150)`,
    );
    await assertText(page.locator('[data-instance="VI_1"] [data-field="vips"]'), `${net}.100/24`);
    // The peer as this backup hears it: the master's last advert, seconds old at most.
    const heard =
      (await page.locator('[data-instance="VI_1"] [data-field="lastAdvert"]').textContent()) ?? '';
    assert.match(heard, new RegExp(`^${net.replace(/\./g, '\\.')}\\.11, priority 150, [0-9.]+ s ago$`));
    await assertText(page.locator(`tr[data-rs="${net}.21:8080"] .badge`), 'up');
    await assertText(page.locator(`tr[data-rs="${net}.22:8080"] .badge`), 'down', 15_000);

    // The master dies; the page was not reloaded when the takeover shows.
    await page.evaluate(() => Object.assign(globalThis, { vigilTestMark: 1 }));
    await stopDaemon(lab, a, 'SIGKILL');
    await assertText(badge(page, 'VI_1'), 'MASTER', 15_000);
    assert.equal(await page.evaluate(() => (globalThis as { vigilTestMark?: number }).vigilTestMark), 1);
    await page.locator('#timeline li[data-subject="VI_1"][data-to="MASTER"]').waitFor({ timeout: 5000 });
    const logged = page.locator('#events li[data-kind="vrrp-state"]', { hasText: 'BACKUP → MASTER' });
    await logged.first().waitFor({ timeout: 5000 });
    await assertText(page.locator('[data-instance="VI_1"] [data-field="master"]'), `this node (${net}.12)`);

    // Client traffic through the VIP, now on b: the sparkline draws the rate from the counters.
    // (The user-space proxy starts listening on the VIP a moment after it arrives.)
    await waitFor(
      'the VIP to answer on b',
      async () => (await get(`http://${net}.100/`)) === 'web\n',
      10_000,
      200,
    );
    // The data plane counts every 2 s and the page polls every 3 s: keep traffic going until the
    // page shows a rate above zero, drawn as a line that rises off the baseline.
    const row = page.locator(`tr[data-rs="${net}.21:8080"]`);
    const deadline = Date.now() + 20_000;
    let rate = '';
    while (Date.now() < deadline && !/[1-9]/.test(rate)) {
      for (let i = 0; i < 20; i++) assert.equal(await get(`http://${net}.100/`), 'web\n');
      await new Promise((r) => setTimeout(r, 500));
      rate = (await row.locator('.rate').textContent()) ?? '';
    }
    assert.match(rate, /[1-9].* (B|kB|MB)\/s/, `the page shows the traffic rate, got '${rate}'`);
    // A few more seconds of traffic so the screenshot's sparklines have a shape.
    for (let round = 0; round < 4; round++) {
      for (let i = 0; i < 10 * (round + 1); i++) await get(`http://${net}.100/`);
      await new Promise((r) => setTimeout(r, 1000));
    }
    const points = (await row.locator('svg.spark polyline').getAttribute('points')) ?? '';
    const ys = new Set(points.split(' ').map((p) => p.split(',')[1]));
    assert.ok(ys.size >= 2, `the sparkline rises off its baseline: '${points}'`);

    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    assert.ok(statSync(SCREENSHOT).size < 300_000, 'the screenshot stays small for the README');

    // 中文: switch, and the choice survives a reload.
    await page.click('#lang');
    await assertText(page.locator('#cluster-section h2'), '集群');
    await assertText(page.locator('#lang'), 'English');
    await page.reload();
    await assertText(page.locator('#cluster-section h2'), '集群');
    await assertText(page.locator('[data-instance="VI_1"] dt').first(), '主节点');
    await assertText(badge(page, 'VI_1'), 'MASTER');
    assert.deepEqual(errors, [], 'no script error on the page');
  } finally {
    await browser?.close();
    for (const d of daemons) if (lab) await stopDaemon(lab, d);
    await lab?.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
});
