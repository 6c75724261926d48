// What the dashboard's browser tests share: Debian's Chromium, HTTP GETs from the host, and
// waiting for a page's text.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import http from 'node:http';
import type { Page } from 'playwright-core';

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
