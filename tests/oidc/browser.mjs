// Drives a real headless Chromium (Debian's /usr/bin/chromium through playwright-core; nothing is
// downloaded) through an SSO login: opens URL, fills the provider's login form, allows the consent,
// and follows redirects until the browser lands on the loopback page of `ferry login --sso`.
//
//   node browser.mjs --url URL --user NAME --password PASS [--expect-loopback] [--timeout-seconds 60]
//                    [--chromium /usr/bin/chromium] [--deny] [--expect-error] [--replay-callback] [--until URL-PREFIX]
//
// Exit 0 when the final page is on http://127.0.0.1:*/ (or [::1], localhost) and says the login
// worked; 1 otherwise, with one line on stderr saying where it stopped and what the page said.
// Prints `final-url=URL` and `final-text=…` on stdout. --expect-error exits 0 only if the loopback
// page reports a failure (for refusal tests). Ferry's self-signed TLS is accepted (ignoreHTTPSErrors):
// the browser only carries the provider's redirect; what matters is checked by ferryd and by ferry.

import { chromium } from 'playwright-core';

function parseArgs(argv) {
  const a = { url: null, user: null, password: null, timeout: 60, chromium: process.env.FERRY_CHROMIUM ?? '/usr/bin/chromium', expectError: false, deny: false, replay: false, until: null };
  for (let i = 0; i < argv.length; i++) {
    const v = () => argv[++i] ?? die(`${argv[i - 1]} needs a value`);
    switch (argv[i]) {
      case '--url': a.url = v(); break;
      case '--user': a.user = v(); break;
      case '--password': a.password = v(); break;
      case '--timeout-seconds': a.timeout = Number(v()); break;
      case '--chromium': a.chromium = v(); break;
      case '--expect-error': a.expectError = true; break;
      case '--deny': a.deny = true; break;
      case '--replay-callback': a.replay = true; break;
      case '--until': a.until = v(); break;
      default: die(`unknown argument ${argv[i]}`);
    }
  }
  if (!a.url) die('--url is required');
  if (!a.deny && (!a.user || a.password === null)) die('--user and --password are required');
  return a;
}

function die(message) {
  process.stderr.write(`browser: ${message}\n`);
  process.exit(2);
}

// ferry's loopback page: http://127.0.0.1:PORT/…?request_id=…&status=… (the provider may be on loopback too).
function isLoopback(u) {
  if (args.until) return u.startsWith(args.until);
  if (!/^http:\/\/(127\.0\.0\.1|\[::1\]|localhost):\d+\//.test(u)) return false;
  const q = new URL(u).searchParams;
  return q.has('request_id') && q.has('status');
}

const args = parseArgs(process.argv.slice(2));
const deadline = Date.now() + args.timeout * 1000;
const left = () => Math.max(1000, deadline - Date.now());

let browser;
let exitCode = 1;
try {
  browser = await chromium.launch({
    executablePath: args.chromium,
    headless: true,
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu', '--no-first-run'],
    timeout: left(),
  });
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  const page = await context.newPage();
  // Every URL the browser visits, so a test can replay the provider's redirect to ferryd (the callback).
  const visited = [];
  page.on('request', (r) => { if (r.isNavigationRequest()) visited.push(r.url()); });

  await page.goto(args.url, { timeout: left(), waitUntil: 'load' });
  for (let step = 0; step < 10 && !isLoopback(page.url()); step++) {
    if (await page.locator('input[name=password]').count() > 0) {
      if (step > 0 && await page.locator('#error').count() > 0) {
        throw new Error(`the provider refused the user name or password for ${args.user}`);
      }
      await page.fill('input[name=login]', args.user);
      await page.fill('input[name=password]', args.password);
      await Promise.all([page.waitForNavigation({ timeout: left(), waitUntil: 'load' }), page.click('button[type=submit]')]);
    } else if (await page.locator('#allow').count() > 0) {
      await Promise.all([page.waitForNavigation({ timeout: left(), waitUntil: 'load' }), page.click(args.deny ? '#deny' : '#allow')]);
    } else {
      break;
    }
  }

  const finalUrl = page.url();
  const text = ((await page.textContent('body').catch(() => '')) ?? '').replace(/\s+/g, ' ').trim();
  process.stdout.write(`final-url=${finalUrl}\nfinal-text=${text.slice(0, 500)}\n`);
  const callback = visited.find((u) => /\/v1\/sso\/callback\?/.test(u));
  if (callback) process.stdout.write(`callback-url=${callback}\n`);

  if (!isLoopback(finalUrl)) {
    throw new Error(`the browser stopped at ${finalUrl} instead of ferry's loopback page: ${text.slice(0, 300)}`);
  }
  const failed = !args.until && new URL(finalUrl).searchParams.get('status') !== 'ok';
  if (args.replay && callback) {
    // Replay the provider's redirect (same code and state) to ferryd, as an attacker holding the URL would.
    const again = await page.goto(callback, { timeout: left(), waitUntil: 'load' }).catch((e) => ({ error: e }));
    const againText = ((await page.textContent('body').catch(() => '')) ?? '').replace(/\s+/g, ' ').trim();
    process.stdout.write(`replay-status=${again?.status?.() ?? 'error'}\nreplay-url=${page.url()}\nreplay-text=${againText.slice(0, 500)}\n`);
  }
  if (args.expectError !== failed) {
    throw new Error(failed ? `the login failed: ${text.slice(0, 300)}` : 'the login worked, but a failure was expected');
  }
  exitCode = 0;
} catch (err) {
  process.stderr.write(`browser: ${err?.message ?? err}\n`);
} finally {
  await browser?.close().catch(() => {});
}
process.exit(exitCode);
