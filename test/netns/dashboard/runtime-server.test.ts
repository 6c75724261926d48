// A real server added at run time through the API, on the dashboard in Chromium: its row carries
// the "added at run time" marker (运行时添加 in 中文) and a Remove button the configured rows lack;
// Remove asks, DELETEs it, the row goes and the data plane stops sending it connections.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
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
import { type Daemon, startVigil, stopDaemon, waitFor } from '../vrrpd/harness.js';

const API_PORT = 9273;

test('dashboard in Chromium: a runtime-added real server is marked and can be removed', async (t) => {
  if (!requireSystem(t, netnsUnavailable(), chromiumUnavailable())) return;
  const net = await freeHostSubnet();
  let lab: Lab | undefined;
  let browser: Browser | undefined;
  const daemons: Daemon[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'vigil-dash-rs-'));
  try {
    lab = await directorAndTwoWebs(net);
    const { token, file: tokenFile } = writeApiToken(dir, 'rs-');
    const vs = `${net}.11:80`;
    const a = await startVigil(
      lab,
      'a',
      join(dir, 'a'),
      `global_defs {
  lvs_engine userspace
}
virtual_server ${net}.11 80 {
  delay_loop 0.5
  lb_algo rr
  lb_kind NAT
  protocol TCP
  real_server ${net}.21 8080 {
    TCP_CHECK {
      connect_timeout 1
    }
  }
}
`,
      ['-C', '--api-listen', `${net}.11:${API_PORT}`, '--api-token-file', tokenFile],
    );
    daemons.push(a);
    const base = `http://${net}.11:${API_PORT}`;
    await waitFor('web1 answering', async () => (await spread(`http://${vs}/`, 2)).web1 === 2, 20_000, 300);
    const rs2 = `${net}.22:8080`;
    const put = await fetch(
      `${base}/api/v1/virtual-servers/${encodeURIComponent(vs)}/real-servers/${encodeURIComponent(rs2)}`,
      {
        method: 'PUT',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ weight: 1, HTTP_GET: { url: { path: '/', status_code: 200 } } }),
      },
    );
    assert.equal(put.status, 200, await put.text());
    await waitFor(
      'web2 answering',
      async () => ((await spread(`http://${vs}/`, 4)).web2 ?? 0) > 0,
      10_000,
      300,
    );

    browser = await chromium.launch({ executablePath: CHROMIUM, timeout: 30_000 });
    const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1200, height: 800 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await signIn(page, `${base}/`, token);
    const rs1 = `${net}.21:8080`;
    await assertText(page.locator(`tr[data-rs="${rs2}"] .badge`), 'up', 15_000);
    await assertText(page.locator(`tr[data-rs="${rs2}"] .flag[data-flag="added"]`), 'added at run time');
    assert.equal(await page.locator(`tr[data-rs="${rs1}"] .flag[data-flag="added"]`).count(), 0);
    assert.equal(
      await page.locator(`tr[data-rs="${rs1}"] button[data-action="remove"]`).count(),
      0,
      'a configured server offers no Remove',
    );

    // 中文: the marker and the button in Chinese; Remove asks, then the row and its traffic go.
    await page.click('#lang');
    await assertText(page.locator(`tr[data-rs="${rs2}"] .flag[data-flag="added"]`), '运行时添加');
    await assertText(page.locator(`tr[data-rs="${rs2}"] button[data-action="remove"]`), '移除');
    await page.click(`tr[data-rs="${rs2}"] button[data-action="remove"]`);
    await page.locator('dialog#action').waitFor({ state: 'visible', timeout: 5000 });
    assert.match(
      (await page.locator('#action-text').textContent()) ?? '',
      /^从 .*:80\/TCP 移除 .*\.22:8080？/,
    );
    await page.click('#action-confirm');
    await page.locator('#notice[data-kind="ok"]').waitFor({ timeout: 10_000 });
    assert.match((await page.locator('#notice').textContent()) ?? '', /^已从 .*:80\/TCP 移除 .*\.22:8080$/);
    await page.locator(`tr[data-rs="${rs2}"]`).waitFor({ state: 'detached', timeout: 10_000 });
    assert.deepEqual(
      await spread(`http://${vs}/`, 10),
      { web1: 10 },
      'no connection reaches the removed server',
    );
    assert.deepEqual(errors, [], 'no script error on the page');
  } finally {
    await browser?.close();
    for (const d of daemons) if (lab) await stopDaemon(lab, d);
    await lab?.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
});
