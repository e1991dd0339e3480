// Drives Ferry's web UI in a real headless Chromium (Debian's /usr/bin/chromium through playwright-core; nothing
// is downloaded) through one scenario, and prints what it saw as one JSON line for the xunit test to assert on:
//
//   node scenario.mjs --scenario NAME --url https://localhost:PORT --params-file FILE [--screenshots DIR]
//                     [--timeout-seconds 180] [--chromium /usr/bin/chromium]
//
// Scenarios: console, denied, request-approve, audit, sso, webauthn, webauthn-session, admin, not-admin (see the functions below; the params
// file holds users, passwords, TOTP secrets and the SQL to run). Output: `RESULT {json}` on the last stdout line,
// with `ok`, what each step observed, every URL the pages requested (`urls`) and the browser's console errors
// (a CSP violation shows up there). Exit 0 when the scenario ran to its end, 1 otherwise (with `error`).
// Ferry's self-signed TLS is accepted (ignoreHTTPSErrors); WebAuthn needs the host `localhost` (not an IP).

import { chromium } from 'playwright-core';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

function parseArgs(argv) {
  const a = { scenario: null, url: null, paramsFile: null, screenshots: null, timeout: 180, chromium: process.env.FERRY_CHROMIUM ?? '/usr/bin/chromium' };
  for (let i = 0; i < argv.length; i++) {
    const v = () => argv[++i] ?? die(`${argv[i - 1]} needs a value`);
    switch (argv[i]) {
      case '--scenario': a.scenario = v(); break;
      case '--url': a.url = v().replace(/\/+$/, ''); break;
      case '--params-file': a.paramsFile = v(); break;
      case '--screenshots': a.screenshots = v(); break;
      case '--timeout-seconds': a.timeout = Number(v()); break;
      case '--chromium': a.chromium = v(); break;
      default: die(`unknown argument ${argv[i]}`);
    }
  }
  if (!a.scenario || !a.url) die('--scenario and --url are required');
  return a;
}

function die(message) {
  process.stderr.write(`scenario: ${message}\n`);
  process.exit(2);
}

const args = parseArgs(process.argv.slice(2));
const params = args.paramsFile ? JSON.parse(fs.readFileSync(args.paramsFile, 'utf8')) : {};
const deadline = Date.now() + args.timeout * 1000;
const left = () => Math.max(1000, deadline - Date.now());
const result = { scenario: args.scenario, ok: false, urls: [], console_errors: [], screenshots: [] };

/** RFC 6238 (SHA-1, 6 digits, 30 s). */
export function totp(secret, time = Date.now()) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0, value = 0;
  const key = [];
  for (const c of secret.replace(/=+$/, '').toUpperCase()) {
    value = (value << 5) | alphabet.indexOf(c);
    bits += 5;
    if (bits >= 8) { key.push((value >>> (bits - 8)) & 0xff); bits -= 8; }
  }
  const counter = Buffer.alloc(8);
  counter.writeBigInt64BE(BigInt(Math.floor(time / 1000 / 30)));
  const hash = crypto.createHmac('sha1', Buffer.from(key)).update(counter).digest();
  const offset = hash[hash.length - 1] & 0x0f;
  return String((hash.readInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}

let browser;

async function newPage() {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, acceptDownloads: true, viewport: { width: 1280, height: 860 } });
  const page = await context.newPage();
  page.setDefaultTimeout(Math.min(60_000, left()));
  page.on('request', (r) => result.urls.push(`${r.method()} ${r.url()}`));
  page.on('console', (m) => { if (m.type() === 'error') result.console_errors.push(m.text()); });
  page.on('pageerror', (e) => result.console_errors.push(`pageerror: ${e.message}`));
  return { context, page };
}

async function shot(page, name) {
  if (!args.screenshots) return;
  fs.mkdirSync(args.screenshots, { recursive: true });
  const file = path.join(args.screenshots, `web-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  result.screenshots.push(file);
}

const text = async (locator) => ((await locator.textContent()) ?? '').replace(/\s+/g, ' ').trim();

async function gotoRoute(page, route) {
  const target = `${args.url}/web/#/${route}`;
  // Going to the URL a page already shows changes only the hash, which re-renders nothing: reload to read afresh.
  if (page.url() === target) await page.reload({ waitUntil: 'load', timeout: left() });
  else await page.goto(target, { waitUntil: 'load', timeout: left() });
  await page.waitForSelector('html[data-ready="1"]', { timeout: left() });
}

/** Signs in on the login page with the labelled fields; waits for the databases page. */
async function login(page, user, { screenshot = null } = {}) {
  await gotoRoute(page, 'login');
  await page.getByLabel('User name').fill(user.user);
  await page.getByLabel('Password').fill(user.password);
  await page.getByLabel('One-time code').fill(user.totp_secret ? totp(user.totp_secret) : (user.otp ?? ''));
  if (screenshot) await shot(page, screenshot);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByRole('heading', { name: 'Databases' }).waitFor({ timeout: left() });
  return text(page.locator('.userbox .who'));
}

async function openConsole(page, database, dbUser, dbName) {
  await gotoRoute(page, `console/${encodeURIComponent(database)}`);
  const form = page.locator('form.connect-form');
  await form.waitFor();
  await setField(page.getByLabel('Database user'), dbUser);
  await setField(page.getByLabel('Database name'), dbName);
  await page.getByRole('button', { name: 'Connect', exact: true }).click();
  await Promise.race([
    page.locator('#run').waitFor({ timeout: left() }),
    page.locator('form.connect-form .msg-error').waitFor({ timeout: left() }),
  ]);
  if (await page.locator('form.connect-form .msg-error').count() > 0) {
    return { opened: false, error: await text(page.locator('form.connect-form .msg-error')) };
  }
  return { opened: true };
}

async function setField(locator, value) {
  if (value === undefined || value === null) return;
  const tag = await locator.evaluate((el) => el.tagName);
  if (tag === 'SELECT') await locator.selectOption(value); else await locator.fill(value);
}

/** Types SQL into the editor and runs it with Ctrl+Enter; returns what the result area shows once it settles. */
async function runSql(page, sql) {
  const editor = page.getByLabel('SQL');
  await editor.fill(sql);
  await editor.press('Control+Enter');
  await page.waitForSelector('.console-page[data-running="0"]', { timeout: left() });
  return readResult(page);
}

async function readResult(page) {
  const out = { status: await text(page.locator('.result-status')) };
  const err = page.locator('#result .db-error');
  if (await err.count() > 0) {
    out.error = { code: await err.getAttribute('data-code'), text: await text(err) };
  }
  const msg = page.locator('#result .msg-error');
  if (await msg.count() > 0) out.message = await text(msg);
  const table = page.locator('#result table');
  if (await table.count() > 0) {
    out.columns = await table.locator('thead th').allTextContents();
    out.rows = await table.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td')).map((td) => td.textContent)));
  }
  const range = page.locator('#result .pager .range');
  if (await range.count() > 0) out.range = await text(range);
  return out;
}

// ---- scenarios ----

/** Password + TOTP login, databases list, console: a paged query, next page, CSV export, a database error, cancel, history, schema. */
async function consoleScenario() {
  const { page } = await newPage();
  result.user = await login(page, params.user, { screenshot: typeof params.screenshots_prefix === 'string' ? `${params.screenshots_prefix}login` : null });
  const row = page.locator(`tr[data-database="${params.database}"]`);
  await row.waitFor();
  result.database_row = await row.locator('th, td').allTextContents();
  result.databases = await page.locator('tr[data-database]').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-database')));
  await row.getByRole('button', { name: 'Connect' }).click();
  result.connect_commands = await page.locator('tr.details:not([hidden]) .command pre').allTextContents();
  if (typeof params.screenshots_prefix === 'string') await shot(page, `${params.screenshots_prefix}databases`);

  result.open = await openConsole(page, params.database, params.db_user, params.db_name);
  if (!result.open.opened) throw new Error(`the console did not open: ${result.open.error}`);
  result.console_bar = await text(page.locator('.console-bar'));

  result.query = await runSql(page, params.sql.rows);
  if (await page.getByRole('button', { name: 'Next page' }).isEnabled()) {
    await page.getByRole('button', { name: 'Next page' }).click();
    await page.locator('#result .pager .range', { hasText: 'Rows 101' }).waitFor();
    result.next_page = await readResult(page);
    await page.getByRole('button', { name: 'Previous page' }).click();
    await page.locator('#result .pager .range', { hasText: 'Rows 1–' }).waitFor();
  }
  if (typeof params.screenshots_prefix === 'string') await shot(page, `${params.screenshots_prefix}console`);

  const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#export').click()]);
  const csvPath = await download.path();
  const csv = fs.readFileSync(csvPath, 'utf8');
  result.export = { filename: download.suggestedFilename(), lines: csv.split(/\r?\n/).filter((l) => l.length > 0).length, head: csv.split(/\r?\n/).slice(0, 3) };

  result.db_error = await runSql(page, params.sql.error);

  // Cancel: Run, then Cancel until the statement comes back (a cancel that arrives before the statement reached the
  // database is a no-op there, so it is sent again; bounded).
  const editor = page.getByLabel('SQL');
  await editor.fill(params.sql.sleep);
  await page.locator('#run').click();
  await page.waitForSelector('.console-page[data-running="1"]');
  let cancels = 0;
  while (cancels < 15 && await page.locator('.console-page[data-running="0"]').count() === 0) {
    await page.locator('#cancel').click().catch(() => {});
    cancels++;
    await page.waitForSelector('.console-page[data-running="0"]', { timeout: 3000 }).catch(() => {});
  }
  result.cancel = { ...(await readResult(page)), cancels };

  // After a cancel the session still works.
  result.after_cancel = await runSql(page, params.sql.after_cancel ?? 'SELECT 1');

  // History: Up at the first line walks back through this tab's statements (sessionStorage, not the URL).
  await editor.fill('');
  await editor.press('ArrowUp');
  const back1 = await editor.inputValue();
  await editor.press('ArrowUp');
  const back2 = await editor.inputValue();
  await editor.press('ArrowDown');
  await editor.press('ArrowDown');
  const forward = await editor.inputValue();
  result.history = { back1, back2, forward, location: page.url(), stored: await page.evaluate(() => Object.keys(sessionStorage)) };

  // Schema: \dt and \d NAME in the editor, and the sidebar.
  result.schema_tables = await runSql(page, '\\dt');
  if (params.describe) {
    result.schema_describe = await runSql(page, `\\d ${params.describe}`);
    result.schema_describe.rows = await page.locator('#result table tbody tr').evaluateAll((trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td')).map((td) => td.textContent)));
  }
  result.schema_list = await page.locator('aside.schema .objects li').allTextContents();
  result.schema_databases = await runSql(page, '\\l');
  result.location = page.url();
  result.ok = true;
}

/** A database the roles do not allow: the console page says so, and the cluster's refusal is shown as it gave it. */
async function deniedScenario() {
  const { page } = await newPage();
  await login(page, params.user);
  result.databases = await page.locator('tr[data-database]').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-database')));
  await gotoRoute(page, `console/${encodeURIComponent(params.database)}`);
  result.notice = await text(page.locator('.console-page .msg').first());
  result.open = await openConsole(page, params.database, params.db_user, params.db_name);
  if (typeof params.screenshots_prefix === 'string') await shot(page, `${params.screenshots_prefix}denied`);
  result.ok = true;
}

/** A requester asks for a database, a reviewer approves it with a reason, the requester sees it approved. */
async function requestApproveScenario() {
  const requester = await newPage();
  await login(requester.page, params.requester);
  await gotoRoute(requester.page, 'requests');
  await requester.page.getByLabel('Ask for', { exact: true }).selectOption('resource');
  await requester.page.getByLabel('Database', { exact: true }).fill(params.database);
  await requester.page.getByLabel('Reason', { exact: true }).fill(params.reason);
  await requester.page.getByLabel('Duration').fill(params.duration ?? '1h');
  await requester.page.getByRole('button', { name: 'Request access' }).click();
  const created = requester.page.locator('form .msg-ok, form .msg-error').first();
  await created.waitFor();
  result.created = await text(created);
  const id = /Request (\S+) created/.exec(result.created)?.[1];
  if (!id) throw new Error(`the request was not created: ${result.created}`);
  result.request_id = id;
  await requester.page.locator(`tr[data-request="${id}"]`).waitFor();
  result.pending_row = await requester.page.locator(`tr[data-request="${id}"] td`).allTextContents();

  const reviewer = await newPage();
  await login(reviewer.page, params.reviewer);
  await gotoRoute(reviewer.page, 'requests');
  const row = reviewer.page.locator(`section[aria-labelledby="to-review"] tr[data-request="${id}"]`);
  await row.waitFor();
  result.review_row = await row.locator('td').allTextContents();
  await row.locator('input[name="review_reason"]').fill(params.review_reason);
  if (typeof params.screenshots_prefix === 'string') await shot(reviewer.page, `${params.screenshots_prefix}requests`);
  await row.getByRole('button', { name: params.decision === 'deny' ? 'Deny' : 'Approve' }).click();
  await reviewer.page.locator(`tr[data-request="${id}"] .state:not(.state-pending)`).first().waitFor().catch(() => {});
  await reviewer.page.waitForFunction((rid) => !document.querySelector(`tr[data-request="${rid}"] input[name="review_reason"]`), id);

  await gotoRoute(requester.page, 'requests');
  const mine = requester.page.locator(`section[aria-labelledby="my-requests"] tr[data-request="${id}"]`);
  await mine.waitFor();
  result.final_row = await mine.locator('td').allTextContents();
  result.final_state = await text(mine.locator('.state'));
  result.ok = true;
}

/** An auditor searches the audit log for a user's statements, opens the session and plays it back. */
async function auditScenario() {
  const { page } = await newPage();
  await login(page, params.user);
  await gotoRoute(page, 'audit');
  if (params.search_user) await page.getByLabel('User', { exact: true }).fill(params.search_user);
  if (params.search_database) await page.getByLabel('Database', { exact: true }).fill(params.search_database);
  if (params.search_text) await page.getByLabel('Text').fill(params.search_text);
  // The agent ships its audit events to the auth service in the background: search again (bounded) until they are in.
  let withQuery;
  for (let attempt = 0; attempt < 30 && !withQuery; attempt++) {
    if (attempt > 0) await page.waitForTimeout(1000);
    // The page re-renders on every search: mark the old results so only the new ones are read.
    await page.evaluate(() => document.querySelector('.audit-results')?.setAttribute('data-stale', '1'));
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForFunction(() => {
      const r = document.querySelector('.audit-results:not([data-stale])');
      return !!r && !!r.querySelector('table, .msg') && !r.textContent.includes('Searching');
    });
    result.search_location = page.url();
    result.events = await page.locator('.audit-results tbody tr').evaluateAll((trs) => trs.map((tr) => ({
      code: tr.getAttribute('data-code'),
      cells: Array.from(tr.querySelectorAll('td')).map((td) => td.textContent),
      session: tr.querySelector('a.session-link')?.getAttribute('href') ?? null,
    })));
    withQuery = result.events.find((e) => e.session && e.cells.some((c) => c.includes(params.expect_query)));
  }
  result.search_attempts = result.events?.length ?? 0;
  if (typeof params.screenshots_prefix === 'string') await shot(page, `${params.screenshots_prefix}audit`);
  if (!withQuery) throw new Error(`no event with a session shows "${params.expect_query}"`);
  // The last statement's result may still be on its way: reload the playback (bounded) until every expected text is there.
  for (let attempt = 0; attempt < 30; attempt++) {
    if (attempt > 0) {
      await page.waitForTimeout(1000);
      await page.reload({ waitUntil: 'load' });
    } else {
      await page.goto(`${args.url}/web/${withQuery.session}`, { waitUntil: 'load' });
    }
    await page.waitForSelector('html[data-ready="1"]');
    await page.locator('#play, main .msg').first().waitFor();
    const table = (await page.locator('table.statements').count()) ? await page.locator('table.statements').textContent() : '';
    if ((params.expect_in_playback ?? []).every((f) => table.includes(f))) break;
  }
  await page.locator('#play').waitFor();
  result.facts = await page.locator('dl.facts').evaluate((dl) => Array.from(dl.querySelectorAll('dt')).map((dt) => [dt.textContent, dt.nextElementSibling?.textContent]));
  await page.getByLabel('Speed').selectOption('10');
  await page.locator('#play').click();
  await page.waitForSelector('main[data-playback="done"]', { timeout: left() });
  result.playback_status = await text(page.locator('.playback-status'));
  result.screen = await page.locator('pre.screen').textContent();
  result.statements = await page.locator('table.statements tbody tr').evaluateAll((trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td')).map((td) => td.textContent)));
  if (typeof params.screenshots_prefix === 'string') await shot(page, `${params.screenshots_prefix}audit-session`);
  result.ok = true;
}

/** "Sign in with <connector>": the provider's own login and consent pages, back to the databases page. */
async function ssoScenario() {
  const { context, page } = await newPage();
  await gotoRoute(page, 'login');
  const button = page.getByRole('link', { name: `Sign in with ${params.connector_display}` });
  await button.waitFor();
  if (typeof params.screenshots_prefix === 'string') await shot(page, `${params.screenshots_prefix}login-sso`);
  await button.click();
  // Leaves the sign-in page for ferryd's /web/api/sso/start and the provider (a refusal comes back with ?error=).
  await page.waitForURL((u) => !(u.pathname === '/web/' && u.hash === '#/login'), { timeout: left() });
  await throughProvider(page, params.provider_user, params.provider_password);
  result.final_url = page.url();
  await page.waitForSelector('html[data-ready="1"]');
  await page.locator('h1').first().waitFor();
  result.heading = await text(page.locator('h1').first());
  result.user = await text(page.locator('.userbox .who')).catch(() => '');
  result.page_text = (await text(page.locator('main'))).slice(0, 500);
  if (params.database && result.heading === 'Databases') {
    // Signed in by SSO: the console works with the web session's certificate, as after a password login.
    args.url = new URL(page.url()).origin;
    result.console = await openConsole(page, params.database, params.db_user, params.db_name);
    if (result.console.opened) result.query = await runSql(page, params.sql);
  }
  if (params.reauth && result.heading === 'Databases') {
    // A first security key for an SSO user: confirm by signing in again at the provider, then register.
    const { cdp, authenticatorId } = await virtualAuthenticator(context, page);
    args.url = new URL(page.url()).origin; // the web session is on the origin the provider came back to
    await gotoRoute(page, 'account');
    await page.getByRole('button', { name: /^Confirm by signing in again at / }).click();
    await page.waitForURL((u) => !(u.pathname === '/web/' && u.hash.startsWith('#/account')), { timeout: left() });
    await throughProvider(page, params.reauth.provider_user, params.reauth.provider_password);
    result.reauth_url = page.url();
    await page.waitForSelector('html[data-ready="1"]');
    const first = page.locator('form .msg-ok, form .msg-error').first();
    await first.waitFor();
    result.reauth_message = await text(first);
    const now = page.getByRole('button', { name: 'Register a security key now' });
    result.register_now_visible = await now.isVisible();
    if (result.register_now_visible) {
      await page.getByLabel('Name of the key').fill(params.reauth.key_name);
      await now.click();
      const outcome = page.locator('form .msg-ok:has-text("registered"), form .msg-error').first();
      await outcome.waitFor();
      result.register = await text(outcome);
    }
    result.devices = await page.locator('table.devices tbody tr').evaluateAll((trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td')).map((td) => td.textContent)));
    result.credentials = (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials.length;
  }
  result.ok = true;
}

/** Answers the provider's pages (sign-in, consent) until the browser is back on the web UI. */
async function throughProvider(page, user, password) {
  const atWebUi = (u) => u.pathname.startsWith('/web/') && !u.pathname.startsWith('/web/api/');
  for (let step = 0; step < 10; step++) {
    await page.waitForLoadState('load');
    // The provider comes back to the connector's redirect URI, whose origin may be another name of the server.
    if (atWebUi(new URL(page.url()))) break;
    if (await page.locator('input[name=password]').count() > 0) {
      await page.fill('input[name=login]', user);
      await page.fill('input[name=password]', password);
      await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('button[type=submit]')]);
    } else if (await page.locator('#allow').count() > 0) {
      await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('#allow')]);
    } else {
      await page.waitForURL(atWebUi, { timeout: 10_000 }).catch(() => {});
    }
  }
}

/** Chromium's virtual authenticator (CTAP2 over USB, user present and verified) for this page, over CDP. */
async function virtualAuthenticator(context, page) {
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'usb', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  });
  return { cdp, authenticatorId };
}

// The login used the current 30 s step's one-time code; each re-authentication uses a later step (a code counts once).
let codeSteps = 0;
const nextTotp = (user) => totp(user.totp_secret, Date.now() + 30_000 * ++codeSteps);

/**
 * On the account page: names the key, confirms who the user is (password + a fresh one-time code, unless `otp` says
 * otherwise) and registers the key; returns the form's final message.
 */
async function registerKey(page, user, keyName, { otp } = {}) {
  await gotoRoute(page, 'account');
  await page.getByLabel('Name of the key').fill(keyName);
  await page.getByLabel('Your password').fill(user.password);
  await page.getByLabel('Your one-time code').fill(otp ?? nextTotp(user));
  await page.getByRole('button', { name: 'Register a security key' }).click();
  const outcome = page.locator('form .msg-ok, form .msg-error').first();
  await outcome.waitFor();
  return text(outcome);
}

/** Registers a security key (Chromium's virtual authenticator over CDP), logs out, signs in with it. */
async function webauthnScenario() {
  const { context, page } = await newPage();
  const { cdp, authenticatorId } = await virtualAuthenticator(context, page);
  await login(page, params.user);
  if (params.wrong_code_first) {
    // A wrong one-time code: ferryd refuses to start the registration, the page says so, no credential is made.
    result.wrong_code = await registerKey(page, params.user, params.key_name, { otp: params.wrong_code_first });
    result.credentials_after_wrong_code = (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials.length;
  }
  result.register = await registerKey(page, params.user, params.key_name);
  result.devices = await page.locator('table.devices tbody tr').evaluateAll((trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td')).map((td) => td.textContent)));
  result.credentials = (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials.length;
  if (typeof params.screenshots_prefix === 'string') await shot(page, `${params.screenshots_prefix}account`);

  await page.getByRole('button', { name: 'Log out' }).click();
  await page.getByRole('heading', { name: 'Sign in to Ferry' }).waitFor();
  await page.getByLabel('User name').fill(params.user.user);
  await page.getByLabel('Password').fill(params.login_password ?? params.user.password);
  await page.getByRole('button', { name: 'Use a security key' }).click();
  await Promise.race([
    page.getByRole('heading', { name: 'Databases' }).waitFor({ timeout: left() }),
    page.locator('form.login .msg-error').waitFor({ timeout: left() }),
  ]);
  const err = page.locator('form.login .msg-error');
  result.key_login = (await err.count()) > 0 ? { ok: false, error: await text(err) } : { ok: true, user: await text(page.locator('.userbox .who')) };
  result.ok = true;
}

/**
 * Session MFA with a security key: registers one, opens a console on a database whose role requires session MFA by
 * touching the key (no one-time code) and runs a query; then removes the key on the account page, and the removed
 * key, presented by the browser at sign-in, is refused.
 */
async function webauthnSessionScenario() {
  const { context, page } = await newPage();
  const { cdp, authenticatorId } = await virtualAuthenticator(context, page);
  await login(page, params.user);
  result.register = await registerKey(page, params.user, params.key_name);
  if (typeof params.screenshots_prefix === 'string') await shot(page, `${params.screenshots_prefix}account-key`);

  await gotoRoute(page, `console/${encodeURIComponent(params.database)}`);
  await page.locator('form.connect-form').waitFor();
  await setField(page.getByLabel('Database user'), params.db_user);
  await setField(page.getByLabel('Database name'), params.db_name);
  result.asks_for_code = await page.getByLabel('One-time code').count() > 0;
  await page.getByRole('button', { name: 'Connect with a security key' }).click();
  await Promise.race([
    page.locator('#run').waitFor({ timeout: left() }),
    page.locator('form.connect-form .msg-error').waitFor({ timeout: left() }),
  ]);
  if (await page.locator('form.connect-form .msg-error').count() > 0) {
    result.open = { opened: false, error: await text(page.locator('form.connect-form .msg-error')) };
    throw new Error(`the console did not open with the security key: ${result.open.error}`);
  }
  result.open = { opened: true };
  result.console_bar = await text(page.locator('.console-bar'));
  result.query = await runSql(page, params.sql);
  if (typeof params.screenshots_prefix === 'string') await shot(page, `${params.screenshots_prefix}console-key`);

  // Remove the key on the account page.
  await gotoRoute(page, 'account');
  await page.getByRole('button', { name: `Remove security key ${params.key_name}` }).click();
  await page.waitForFunction(() => !Array.from(document.querySelectorAll('table.devices td')).some((td) => td.textContent.includes('Security key')));
  result.devices_after_remove = await page.locator('table.devices tbody tr').evaluateAll((trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td')).map((td) => td.textContent)));
  const creds = (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials;
  result.credentials_in_authenticator = creds.length;

  // Sign out; the browser still holds the key, so present it at sign-in (the login page's calls, with the removed
  // credential named, since ferryd no longer lists it): ferryd refuses it.
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.getByRole('heading', { name: 'Sign in to Ferry' }).waitFor();
  result.removed_key_login = await page.evaluate(async ({ user, password, credentialId }) => {
    const b64 = (buf) => btoa(String.fromCharCode(...new Uint8Array(buf))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
    const bytes = (s) => Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (s.length % 4)) % 4)), (c) => c.charCodeAt(0));
    const post = (path, body) => fetch(`/web/api${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    const begin = await (await post('/webauthn/login/begin', { user })).json();
    const allowed = begin.options.allowCredentials ?? [];
    const cred = await navigator.credentials.get({ publicKey: {
      challenge: bytes(begin.options.challenge), rpId: begin.options.rpId, timeout: 20_000, userVerification: 'preferred',
      allowCredentials: [{ type: 'public-key', id: bytes(credentialId) }],
    } });
    const r = cred.response;
    const finish = await post('/webauthn/login/finish', { user, password, challenge_id: begin.challenge_id, credential: {
      id: cred.id, rawId: b64(cred.rawId), type: cred.type,
      response: { clientDataJSON: b64(r.clientDataJSON), authenticatorData: b64(r.authenticatorData), signature: b64(r.signature), userHandle: r.userHandle ? b64(r.userHandle) : null },
    } });
    return { allowed_by_server: allowed.length, status: finish.status, body: await finish.text() };
  }, { user: params.user.user, password: params.user.password, credentialId: creds[0]?.credentialId ?? '' });
  result.ok = true;
}

/** The admin page: lists, and a role whose YAML is wrong comes back with the line:col of the mistake. */
async function adminScenario() {
  const { page } = await newPage();
  await login(page, params.user);
  await gotoRoute(page, 'admin');
  await page.locator('.tabpanel table, .tabpanel .msg, .tabpanel p').first().waitFor();
  result.users = await page.locator('.tabpanel table tbody tr').evaluateAll((trs) => trs.map((tr) => tr.querySelector('td')?.textContent));
  if (typeof params.screenshots_prefix === 'string') await shot(page, `${params.screenshots_prefix}admin`);
  await page.getByRole('tab', { name: 'Roles' }).click();
  await page.getByLabel('Role YAML').waitFor();
  if (params.bad_role_yaml) {
    await page.getByLabel('Role YAML').fill(params.bad_role_yaml);
    await page.getByRole('button', { name: 'Save role' }).click();
    const msg = page.locator('.tabpanel form .msg').first();
    await msg.waitFor();
    result.bad_role = await text(msg);
    result.bad_role_where = await text(page.locator('.tabpanel form .yaml-error'));
  }
  if (params.good_role_yaml) {
    await page.getByLabel('Role YAML').fill(params.good_role_yaml);
    await page.getByRole('button', { name: 'Save role' }).click();
    await page.locator('.tabpanel form .msg-ok').waitFor();
    result.good_role = await text(page.locator('.tabpanel form .msg').first());
    // The message shows before the list is reloaded: wait for the saved role's row before reading the list.
    const saved = /^name:\s*(\S+)/m.exec(params.good_role_yaml)?.[1] ?? '';
    await page.locator('.tabpanel table tbody tr td:first-child', { hasText: saved }).first().waitFor();
    result.roles = await page.locator('.tabpanel table tbody tr').evaluateAll((trs) => trs.map((tr) => tr.querySelector('td')?.textContent));
    if (typeof params.screenshots_prefix === 'string') await shot(page, `${params.screenshots_prefix}admin-roles`);
  }
  if (params.lock) {
    await page.getByRole('tab', { name: 'Locks' }).click();
    await page.getByLabel('Target').waitFor();
    await page.getByLabel('Kind').selectOption(params.lock.kind);
    await page.getByLabel('Target').fill(params.lock.target);
    await page.getByLabel('Message').fill(params.lock.message ?? '');
    await page.getByRole('button', { name: 'Lock', exact: true }).click();
    await page.locator('.tabpanel form .msg').first().waitFor();
    result.lock = await text(page.locator('.tabpanel form .msg').first());
    // The list is reloaded after the message shows: wait for the new lock's row before reading it.
    await page.locator('.tabpanel table tbody tr', { hasText: params.lock.target }).first().waitFor();
    result.locks = await page.locator('.tabpanel table tbody tr').evaluateAll((trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td')).map((td) => td.textContent)));
    if (typeof params.screenshots_prefix === 'string') await shot(page, `${params.screenshots_prefix}admin-locks`);
  }
  if (params.token_role) {
    await page.getByRole('tab', { name: 'Join tokens' }).click();
    await page.getByLabel('Host role').waitFor();
    await page.getByLabel('Host role').selectOption(params.token_role);
    await page.getByRole('button', { name: 'Create token' }).click();
    await page.locator('.tabpanel form .msg').first().waitFor();
    result.token_message = await text(page.locator('.tabpanel form .msg').first());
    result.token_secret = await text(page.locator('.tabpanel code.secret')).catch(() => '');
    // The list is reloaded after the message shows: wait for the new token's row (its id is in the message).
    const id = /\(id ([^)]+)\)/.exec(result.token_message)?.[1];
    if (id) await page.locator('.tabpanel table tbody tr td:first-child', { hasText: id }).first().waitFor();
    result.tokens = await page.locator('.tabpanel table tbody tr').evaluateAll((trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td')).map((td) => td.textContent)));
  }
  if (params.visit_hosts) {
    await page.getByRole('tab', { name: 'Hosts' }).click();
    // The click changes the route; until it re-renders, .tabpanel is still the join tokens tab (with a table).
    await page.locator('[role="tab"][aria-selected="true"]', { hasText: 'Hosts' }).waitFor();
    await page.locator('.tabpanel table, .tabpanel .msg, .tabpanel p').first().waitFor();
    result.hosts = await page.locator('.tabpanel table tbody tr').evaluateAll((trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td')).map((td) => td.textContent)));
  }
  result.ok = true;
}

/** A user without the admin role: no Admin link, and #/admin shows the server's refusal. */
async function notAdminScenario() {
  const { page } = await newPage();
  await login(page, params.user);
  result.nav = await page.locator('nav a').allTextContents();
  await gotoRoute(page, 'admin');
  const msg = page.locator('main .msg-error').first();
  await msg.waitFor();
  result.refusal = await text(msg);
  result.ok = true;
}

const scenarios = {
  console: consoleScenario,
  denied: deniedScenario,
  'request-approve': requestApproveScenario,
  audit: auditScenario,
  sso: ssoScenario,
  webauthn: webauthnScenario,
  'webauthn-session': webauthnSessionScenario,
  admin: adminScenario,
  'not-admin': notAdminScenario,
};

let exitCode = 1;
try {
  const run = scenarios[args.scenario] ?? die(`unknown scenario ${args.scenario}`);
  browser = await chromium.launch({
    executablePath: args.chromium,
    headless: true,
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu', '--no-first-run', '--font-render-hinting=none'],
    timeout: left(),
  });
  const timer = setTimeout(() => { result.error = `the scenario did not finish within ${args.timeout} s`; finish(); }, args.timeout * 1000);
  await run();
  clearTimeout(timer);
  exitCode = 0;
} catch (err) {
  result.error = String(err?.message ?? err).split('\n').slice(0, 6).join('\n');
}
await finish();

async function finish() {
  await browser?.close().catch(() => {});
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
  process.exit(exitCode);
}
