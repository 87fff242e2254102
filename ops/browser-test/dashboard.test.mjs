// Drives the operator dashboard in real headless Chromium (Debian's /usr/bin/chromium through
// playwright-core; nothing is downloaded). Expects a running API + workers stack (see ./run):
//   BASE_URL, ADMIN_EMAIL, ADMIN_PASSWORD, SCREENSHOT_DIR
// Steps: sign in, queue counts match the API, a job that dies is opened from the dead letters,
// retried and watched until it succeeds, a queue is paused and resumed, a schedule is run now.
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

const BASE = process.env.BASE_URL;
const EMAIL = process.env.ADMIN_EMAIL;
const PASSWORD = process.env.ADMIN_PASSWORD;
const SHOTS = process.env.SCREENSHOT_DIR;
assert.ok(BASE && EMAIL && PASSWORD && SHOTS, 'BASE_URL, ADMIN_EMAIL, ADMIN_PASSWORD and SCREENSHOT_DIR are required');
mkdirSync(SHOTS, { recursive: true });

const profile = mkdtempSync(join(tmpdir(), 'crm-dashboard-chromium-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  viewport: { width: 1280, height: 860 },
  colorScheme: 'light',
});
const page = context.pages()[0] || await context.newPage();
page.setDefaultTimeout(15_000);
const consoleErrors = [];
page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
page.on('pageerror', (e) => consoleErrors.push(String(e)));
page.on('dialog', (d) => d.accept());

const step = (name) => console.log(`browser-test: ${name}`);
const shot = (name) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
// The dashboard API with the page's own cookie (same browser context).
async function api(method, path, body) {
  const me = method === 'GET' ? null : await (await page.request.get(`${BASE}/api/v1/dashboard/me`)).json();
  const res = await page.request.fetch(`${BASE}/api/v1/dashboard${path}`, {
    method, data: body, headers: me ? { 'X-CSRF-Token': me.csrf_token } : {},
  });
  assert.ok(res.ok(), `${method} ${path}: ${res.status()} ${await res.text()}`);
  return res.json();
}


// WCAG contrast of the text of every element matching `selectors` against its effective background.
async function lowContrast(selectors) {
  return page.evaluate((sels) => {
    const rgb = (c) => (c.match(/[\d.]+/g) || []).map(Number);
    const lum = ([r, g, b]) => {
      const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
      return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    const background = (el) => {
      for (let e = el; e; e = e.parentElement) {
        const c = rgb(getComputedStyle(e).backgroundColor);
        if (c.length >= 3 && (c.length < 4 || c[3] > 0.5)) return c;
      }
      return [255, 255, 255];
    };
    const bad = [];
    for (const sel of sels) {
      for (const el of document.querySelectorAll(sel)) {
        if (!el.textContent.trim() || el.disabled || !el.getClientRects().length) continue;
        const a = lum(rgb(getComputedStyle(el).color)), b = lum(background(el));
        const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
        if (ratio < 4.5) bad.push(`${sel} "${el.textContent.trim().slice(0, 30)}" ${ratio.toFixed(2)}`);
      }
    }
    return bad;
  }, selectors);
}
const TEXT = ['body', 'h1', 'h2', 'p', 'nav a', 'a', 'button', '.muted', '.chip', 'th', 'td', 'label', '.stat span', '.who', '.legend span'];

let failed = false;
try {
  step('the page answers and asks to sign in');
  await page.goto(`${BASE}/dashboard`);
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  await shot('login');

  step('sign in with the keyboard');
  await page.getByLabel('Email').fill(EMAIL);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByLabel('Password').press('Enter');
  await page.getByRole('heading', { name: 'Overview' }).waitFor();
  const cookies = await context.cookies();
  const session = cookies.find((c) => c.name === 'crm_session');
  assert.ok(session && session.httpOnly && session.sameSite === 'Strict', 'HttpOnly, SameSite=Strict session cookie');

  step('queue counts on the overview match the API');
  const later = new Date(Date.now() + 3_600_000).toISOString();
  for (let i = 0; i < 3; i++) await api('POST', '/run', { job: 'diag.noop', payload: { tag: `later-${i}` }, run_at: later });
  await page.locator('[data-testid="diag-scheduled"]', { hasText: /^3$/ }).waitFor();
  const overview = await api('GET', '/overview');
  for (const q of overview.queues) {
    for (const field of ['scheduled', 'dead']) {
      const shown = await page.locator(`[data-testid="${q.queue}-${field}"]`).textContent();
      assert.equal(Number(shown), q[field], `${q.queue} ${field}: page ${shown}, API ${q[field]}`);
    }
  }
  await page.locator('[data-testid="workers-online"]', { hasText: /^[1-9]/ }).waitFor();
  await shot('overview');
  assert.deepEqual(await lowContrast(TEXT), [], 'AA contrast, light theme (overview)');

  step('run a job that dies (diag.fail, permanent until a moment from now) from the run form');
  const succeedAfter = new Date(Date.now() + 4_000);
  await page.getByRole('link', { name: 'Run a job' }).click();
  await page.getByLabel('Job').selectOption('diag.fail');
  await page.getByLabel('Payload (JSON)').fill(JSON.stringify({ permanent: true, succeed_after: succeedAfter.toISOString() }));
  await shot('run-a-job');
  await page.getByRole('button', { name: 'Run now' }).click();
  await page.waitForURL(/#\/job\//);
  const jobId = page.url().split('#/job/')[1];
  await page.locator('[data-testid="job-state"]', { hasText: 'dead' }).waitFor();

  step('open it from the dead letters and retry it once the outage is over');
  await page.getByRole('link', { name: 'Dead letters' }).click();
  await page.getByRole('link', { name: jobId }).waitFor();
  await shot('dead-letters');
  await page.getByRole('link', { name: jobId }).click();
  await page.getByRole('heading', { name: `Job ${jobId}` }).waitFor();
  await shot('job');
  const wait = succeedAfter.getTime() + 500 - Date.now();
  if (wait > 0) await page.waitForTimeout(wait);
  await page.getByRole('button', { name: 'Retry now' }).click();
  await page.locator('[data-testid="job-state"]', { hasText: 'succeeded' }).waitFor({ timeout: 30_000 });
  const done = await api('GET', `/jobs/${jobId}`);
  assert.equal(done.record.state, 'succeeded');
  assert.equal(done.record.errors.length, 1, 'the first, permanent failure is kept');

  step('the finished job is in the durable history');
  await page.getByRole('link', { name: 'History' }).click();
  await page.getByRole('heading', { name: 'History' }).waitFor();
  // Workers write history in batches (every 250 ms): look again until it is there.
  for (let i = 0; i < 20 && !(await page.getByRole('link', { name: jobId }).count()); i++) {
    await page.waitForTimeout(500);
    await page.goto(`${BASE}/dashboard#/history?queue=diag&try=${i}`);
    await page.getByRole('heading', { name: 'History' }).waitFor();
  }
  await page.getByRole('link', { name: jobId }).waitFor();
  await shot('history');

  step('pause and resume the diag queue');
  await page.goto(`${BASE}/dashboard#/queue/diag`);
  await page.getByRole('button', { name: 'Pause queue diag' }).click();
  await page.locator('[data-testid="paused"]').waitFor();
  assert.ok((await api('GET', '/overview')).queues.find((q) => q.queue === 'diag').paused);
  await shot('queue-paused');
  await page.getByRole('button', { name: 'Resume queue diag' }).focus();
  await page.keyboard.press('Enter');
  await page.locator('[data-testid="active"]').waitFor();
  assert.ok(!(await api('GET', '/overview')).queues.find((q) => q.queue === 'diag').paused);
  await page.getByLabel('State').selectOption('scheduled');
  await page.getByRole('cell', { name: /later-|diag\.noop/ }).first().waitFor();
  await shot('queue');

  step('run a schedule now');
  await page.getByRole('link', { name: 'Schedules' }).click();
  await page.getByRole('button', { name: 'Run diag.heartbeat now' }).click();
  await page.locator('[data-testid="result-diag.heartbeat"]', { hasText: 'manual run' }).waitFor();
  const schedules = await api('GET', '/schedules');
  const heartbeat = schedules.find((s) => s.name === 'diag.heartbeat');
  assert.ok(heartbeat.last_result && heartbeat.last_result.manual && heartbeat.last_result.job_id);
  await shot('schedules');
  assert.deepEqual(await lowContrast(TEXT), [], 'AA contrast, light theme (schedules)');

  step('workers, dark theme, tablet width');
  await page.getByRole('link', { name: 'Workers' }).click();
  await page.getByRole('cell', { name: /diag/ }).first().waitFor();
  await shot('workers');
  await page.getByRole('link', { name: 'Overview' }).click();
  await page.getByRole('button', { name: 'Dark theme' }).click();
  await page.getByRole('button', { name: 'Light theme' }).waitFor();
  await shot('overview-dark');
  assert.deepEqual(await lowContrast(TEXT), [], 'AA contrast, dark theme (overview)');
  await page.getByRole('link', { name: 'Dead letters' }).click();
  await page.getByRole('heading', { name: 'Dead letters' }).waitFor();
  assert.deepEqual(await lowContrast(TEXT), [], 'AA contrast, dark theme (dead letters)');
  await page.getByRole('link', { name: 'Overview' }).click();
  await page.setViewportSize({ width: 820, height: 1180 });
  await shot('overview-tablet');

  step('sign out');
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  assert.deepEqual(consoleErrors.filter((e) => !e.includes('401')), [], 'no console errors');
  step('passed');
} catch (e) {
  failed = true;
  console.error(`browser-test: FAILED: ${e.stack || e}`);
  await shot('failure').catch(() => {});
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
