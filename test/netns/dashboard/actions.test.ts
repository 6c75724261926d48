// Acting from the dashboard, in Chromium: a real-server row's Drain asks for confirmation, the API
// answers on the page, and the data plane really stops sending new connections to that server
// (client requests through the VIP all reach the other one). A weight the API refuses shows the
// API's error. Cancel changes nothing. In 中文, Enable brings the server back into rotation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { Lab } from '../../../src/lab/index.js';
import { freeHostSubnet } from '../../../src/lab/host-link.js';
import { netnsUnavailable, requireSystem } from '../../support/system.js';
import {
  assertText,
  chromiumUnavailable,
  CHROMIUM,
  directorAndTwoWebs,
  signIn,
  spread,
  writeApiToken,
} from './browser.js';
import { type Daemon, instanceConf, startVigil, stopDaemon, waitFor, waitState } from '../vrrpd/harness.js';

const API_PORT = 9273;

function directorConf(net: string): string {
  return (
    `global_defs {\n  router_id dash_actions\n  lvs_engine userspace\n}\n` +
    instanceConf({ vrid: 62, priority: 150, vip: `${net}.100/24`, state: 'MASTER' }) +
    `virtual_server ${net}.100 80 {
  delay_loop 1
  lb_algo rr
  lb_kind NAT
  protocol TCP
${[21, 22]
  .map(
    (h) => `  real_server ${net}.${h} 8080 {
    weight 1
    TCP_CHECK {
      connect_timeout 1
    }
  }`,
  )
  .join('\n')}
}
`
  );
}

/** Clicks an action of a real server's row and answers the dialog. */
async function act(
  page: Page,
  rs: string,
  action: string,
  o: { confirm: boolean; weight?: string; asks: RegExp },
): Promise<void> {
  await page.click(`tr[data-rs="${rs}"] button[data-action="${action}"]`);
  const dialog = page.locator('dialog#action');
  await dialog.waitFor({ state: 'visible', timeout: 5000 });
  assert.match((await page.locator('#action-text').textContent()) ?? '', o.asks);
  if (o.weight !== undefined) await page.fill('#action-weight', o.weight);
  await page.click(o.confirm ? '#action-confirm' : '#action-cancel');
  await dialog.waitFor({ state: 'hidden', timeout: 5000 });
}

/** Waits for the notice of the last action to be of `kind` and returns its text. */
async function notice(page: Page, kind: 'ok' | 'error'): Promise<string> {
  await page.locator(`#notice[data-kind="${kind}"]`).waitFor({ timeout: 10_000 });
  return (await page.locator('#notice').textContent()) ?? '';
}

test('dashboard actions in Chromium: drain (new connections go elsewhere), an error shown, cancel, enable in 中文', async (t) => {
  if (!requireSystem(t, netnsUnavailable(), chromiumUnavailable())) return;
  const net = await freeHostSubnet();
  let lab: Lab | undefined;
  let browser: Browser | undefined;
  const daemons: Daemon[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'vigil-dash-act-'));
  try {
    lab = await directorAndTwoWebs(net);
    const { token, file: tokenFile } = writeApiToken(dir, 'act-');
    const a = await startVigil(lab, 'a', join(dir, 'a'), directorConf(net), [
      '--api-listen',
      `${net}.11:${API_PORT}`,
      '--api-token-file',
      tokenFile,
    ]);
    daemons.push(a);
    await waitState(a, 'VI_1', 'MASTER', 30_000);
    await waitFor(
      'both real servers answering through the VIP',
      async () => {
        const s = await spread(`http://${net}.100/`, 6);
        return (s.web1 ?? 0) > 0 && (s.web2 ?? 0) > 0;
      },
      20_000,
      300,
    );

    browser = await chromium.launch({ executablePath: CHROMIUM, timeout: 30_000 });
    const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1200, height: 800 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await signIn(page, `http://${net}.11:${API_PORT}/`, token);
    const rs1 = `${net}.21:8080`;
    const rs2 = `${net}.22:8080`;
    await assertText(page.locator(`tr[data-rs="${rs1}"] .badge`), 'up', 15_000);

    // Cancel: nothing is sent, nothing changes.
    await act(page, rs1, 'disable', { confirm: false, asks: /^Disable .*\.21:8080 of .*\.100:80\/TCP\?/ });
    assert.equal(await page.locator('#notice').isVisible(), false, 'no request after Cancel');

    // Drain: the API's answer on the page, the row marked, and the data plane obeys.
    await act(page, rs1, 'drain', {
      confirm: true,
      asks: /^Drain .*\.21:8080 of .*\.100:80\/TCP\? Its weight goes to 0/,
    });
    assert.match(await notice(page, 'ok'), /^Drain: .*\.21:8080 of .*\.100:80\/TCP, weight in force 0$/);
    await page.locator(`tr[data-rs="${rs1}"] .flag[data-flag="drained"]`).waitFor({ timeout: 10_000 });
    assert.deepEqual(
      await spread(`http://${net}.100/`, 20),
      { web2: 20 },
      'after the drain, new connections all go to web2',
    );

    // A weight the API refuses: its error is shown, and nothing changed.
    await act(page, rs2, 'weight', {
      confirm: true,
      weight: '70000',
      asks: /^Set the weight of .*\.22:8080/,
    });
    assert.match(await notice(page, 'error'), /"weight" must be an integer 0\.\.65535, not 70000/);
    await assertText(page.locator(`tr[data-rs="${rs2}"] td.num`).first(), '1');

    // 中文: Enable (启用) puts web1 back into rotation.
    await page.click('#lang');
    await assertText(page.locator(`tr[data-rs="${rs1}"] button[data-action="enable"]`), '启用');
    await act(page, rs1, 'enable', { confirm: true, asks: /^重新启用 .*\.100:80\/TCP 的 .*\.21:8080/ });
    assert.match(await notice(page, 'ok'), /^启用：.*的 .*\.21:8080，当前权重 1$/);
    await waitFor(
      'web1 to answer again',
      async () => ((await spread(`http://${net}.100/`, 6)).web1 ?? 0) > 0,
      10_000,
      200,
    );

    // web2's last 15 minutes as the daemon keeps them: a point every 10 s, traffic in it.
    await page.click(`tr[data-rs="${rs2}"] button[data-history]`);
    await page.locator('#chart').waitFor({ timeout: 5000 });
    await waitFor(
      'points with traffic in the chart',
      async () => {
        await spread(`http://${net}.100/`, 5);
        return Number(await page.locator('#chart').getAttribute('data-points')) >= 1;
      },
      30_000,
      1000,
    );
    const chartApi = await fetch(
      `http://${net}.11:${API_PORT}/api/v1/virtual-servers/${encodeURIComponent(`tcp:${net}.100:80`)}/real-servers/${encodeURIComponent(rs2)}/history`,
      { headers: { Authorization: `Bearer ${token}` } },
    );
    assert.equal(chartApi.status, 200);
    const h = (await chartApi.json()) as {
      rs: string;
      stepS: number;
      points: { cps: number; bps: number }[];
    };
    assert.equal(h.rs, rs2);
    assert.equal(h.stepS, 10);
    assert.ok(
      h.points.some((p) => p.cps > 0 && p.bps > 0),
      JSON.stringify(h.points),
    );
    await page.click('#chart-close');
    await page.locator('#chart').waitFor({ state: 'detached', timeout: 5000 });

    // The token was asked for once: a reload keeps it for this tab.
    await page.reload();
    await page.locator('#link[data-state="live"]').waitFor({ timeout: 10_000 });
    assert.deepEqual(errors, [], 'no script error on the page');
  } finally {
    await browser?.close();
    for (const d of daemons) if (lab) await stopDaemon(lab, d);
    await lab?.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
});
