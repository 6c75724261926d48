// What the dashboard's browser tests share: Debian's Chromium, HTTP GETs from the host, a lab of
// one director and two web servers, an API token file, and waiting for a page's text.
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { createLab, type Lab } from '../../../src/lab/index.js';
import { addHostLink } from '../../../src/lab/host-link.js';

export const CHROMIUM = '/usr/bin/chromium';

export function chromiumUnavailable(): string | null {
  return existsSync(CHROMIUM) ? null : `needs Debian's chromium at ${CHROMIUM} (apt-get install chromium)`;
}

/** One HTTP GET from the host; the body or the error's message. */
export function get(url: string): Promise<string> {
  return new Promise((resolve) => {
    http
      .get(url, { agent: false, timeout: 2000 }, (res) => {
        let b = '';
        res.on('data', (d: Buffer) => (b += d.toString()));
        res.on('end', () => resolve(b));
      })
      .on('error', (e) => resolve(e.message));
  });
}

/** Waits until the locator's text is exactly `want` (trimmed). */
export async function assertText(
  loc: ReturnType<Page['locator']>,
  want: string,
  timeoutMs = 5000,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  let last: string | null = null;
  for (;;) {
    last = await loc.textContent({ timeout: timeoutMs }).catch(() => null);
    if (last?.trim() === want) return;
    if (Date.now() > end) assert.fail(`expected '${want}', the page shows '${last ?? '(nothing)'}'`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Opens the page without a token: it asks for one; given, it goes live and keeps it. */
export async function signIn(page: Page, base: string, token: string): Promise<void> {
  const r = await page.goto(base);
  assert.equal(r?.status(), 200, 'the page itself loads without the token (it holds no data)');
  await page.locator('#link[data-state="unauthorized"]').waitFor({ timeout: 10_000 });
  await page.locator('#token-form').waitFor({ state: 'visible', timeout: 5000 });
  await page.fill('#token-input', token);
  await page.click('#token-form button[type="submit"]');
  await page.locator('#link[data-state="live"]').waitFor({ timeout: 10_000 });
  assert.equal(await page.locator('#token-form').isVisible(), false, 'the token form is gone');
}

/** Who answered `n` GETs of `url`: counts by answer. */
export async function spread(url: string, n: number): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const who = (await get(url)).trim();
    out[who] = (out[who] ?? 0) + 1;
  }
  return out;
}

/**
 * A director `a` (NET.11) and two web servers web1 (NET.21) and web2 (NET.22) answering their name
 * on port 8080, all reachable from the host (NET.1) for the browser.
 */
export async function directorAndTwoWebs(net: string): Promise<Lab> {
  const lab = await createLab({
    nodes: [
      { name: 'a', addresses: [`${net}.11/24`] },
      { name: 'web1', addresses: [`${net}.21/24`] },
      { name: 'web2', addresses: [`${net}.22/24`] },
    ],
  });
  await addHostLink(lab, `${net}.1/24`);
  for (const [node, h] of [
    ['web1', 21],
    ['web2', 22],
  ] as const) {
    const web = lab.spawn(node, [
      process.execPath,
      '-e',
      `require('http').createServer((q, r) => r.end('${node}\\n')).listen(8080, '${net}.${h}')`,
    ]);
    web.stdout?.resume();
    web.stderr?.resume();
  }
  return lab;
}

/** A fresh API token in DIR/token (mode 0600, as api { token_file } wants it): the token and the file. */
export function writeApiToken(dir: string, prefix: string): { token: string; file: string } {
  const token = prefix + Math.random().toString(36).slice(2);
  const file = join(dir, 'token');
  writeFileSync(file, token + '\n', { mode: 0o600 });
  return { token, file };
}
