// The signed-in dashboard on a slow phone: cold loads in Chromium with the
// CPU slowed down 4× and the network held to 1.6 Mbps down, 750 Kbps up and
// a 150 ms round trip (Chrome DevTools Protocol throttling). A benchmark
// that prints figures, not a test: it lives outside tests/, so `npm test`
// does not run it. `cargo xtask bench phone` starts a release server and
// runs it; by hand, against a release build seeded with SEED_DEMO=1:
//
//   cd end2end && BASE_URL=http://127.0.0.1:3000 node bench/phone.mjs
//
// Each run is a new browser context (nothing cached, the HTTP cache off
// too) with the demo admin's session, which is signed in once beforehand
// without throttling. Measured from the start of the navigation to `/`:
//
// - First and Largest Contentful Paint (the paint entries and a buffered
//   'largest-contentful-paint' observer, read once the load has settled);
// - hydrated: the page's last island marks <html data-hydrated="true">
//   once the islands before it (the check-in dialog among them) have run,
//   so from then on a row's "Record check-in" opens the dialog in place
//   rather than the key result page. Recorded by a MutationObserver the
//   context installs before the page's own scripts; afterwards each run
//   clicks a row's link and checks that the dialog opened;
// - bytes transferred: the encoded bytes (headers included) of every
//   response of the load, from the protocol's Network.loadingFinished.
//
// Prints a line a run and the medians, then, last, one JSON line
// {"runs":[…],"median":{…}} for `cargo xtask bench` to read.
import { chromium } from 'playwright-core';

const BASE_URL = process.env.BASE_URL || 'http://127.0.0.1:3000';
const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const RUNS = Number(process.env.PHONE_RUNS || 5);

const EMAIL = 'emily.davis@airline.com';
const PASSWORD = 'runway-demo';
const SESSION_COOKIE = 'runway_session';

const CPU_SLOWDOWN = 4;
// As DevTools and Lighthouse count them: a Kbps is 1,024 bits a second.
const NETWORK = {
  offline: false,
  latency: 150,
  downloadThroughput: (1.6 * 1024 * 1024) / 8,
  uploadThroughput: (750 * 1024) / 8,
};
// A mid-range phone's screen, as Lighthouse's mobile preset has it.
const PHONE = {
  viewport: { width: 412, height: 823 },
  deviceScaleFactor: 1.75,
  isMobile: true,
  hasTouch: true,
};
// After hydration, how long the page is left to settle (late requests, a
// last paint) before its figures are read.
const SETTLE_MS = 1_000;
const TIMEOUT_MS = 60_000;

/** The demo admin's session cookie, signed in without throttling. */
async function signIn() {
  const response = await fetch(new URL('/api/sign_in', BASE_URL), {
    method: 'POST',
    body: new URLSearchParams({ email: EMAIL, password: PASSWORD }),
    redirect: 'manual',
  });
  const session = response.headers
    .getSetCookie()
    .map((cookie) => cookie.split(';')[0])
    .find((pair) => pair.startsWith(`${SESSION_COOKIE}=`) && pair.length > SESSION_COOKIE.length + 1);
  if (!session) {
    throw new Error(`signing in as ${EMAIL} gave no session (HTTP ${response.status})`);
  }
  return session.slice(SESSION_COOKIE.length + 1);
}

/** Runs in every page before its own scripts: notes when it hydrates. */
function watchHydration() {
  window.__phone = {};
  const note = () => {
    if (window.__phone.hydratedAt === undefined && document.documentElement?.dataset.hydrated === 'true') {
      window.__phone.hydratedAt = performance.now();
    }
  };
  new MutationObserver(note).observe(document, {
    attributes: true,
    subtree: true,
    attributeFilter: ['data-hydrated'],
  });
}

/** The page's paints, read in the page once it has settled. */
function readPaints() {
  return new Promise((resolve) => {
    const fcp = performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? null;
    const done = (lcp) => resolve({ fcp, ...lcp, hydratedAt: window.__phone?.hydratedAt ?? null });
    // Buffered: the entries the page has had so far arrive at once.
    new PerformanceObserver((list) => {
      const last = list.getEntries().at(-1);
      const element = last?.element;
      done({
        lcp: last ? last.startTime : null,
        lcpElement: element
          ? `${element.localName}${element.className ? `.${String(element.className).split(/\s+/).join('.')}` : ''}`
          : null,
      });
    }).observe({ type: 'largest-contentful-paint', buffered: true });
    setTimeout(() => done({ lcp: null, lcpElement: null }), 5_000);
  });
}

async function coldLoad(browser, session, number) {
  const context = await browser.newContext({ ...PHONE, locale: 'en-US', timezoneId: 'UTC' });
  try {
    await context.addCookies([{ name: SESSION_COOKIE, value: session, url: BASE_URL }]);
    await context.addInitScript(watchHydration);
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    let bytes = 0;
    let responses = 0;
    let failed = 0;
    cdp.on('Network.loadingFinished', (event) => {
      bytes += event.encodedDataLength;
      responses += 1;
    });
    cdp.on('Network.loadingFailed', () => {
      failed += 1;
    });
    await cdp.send('Network.enable');
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
    await cdp.send('Network.emulateNetworkConditions', NETWORK);
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: CPU_SLOWDOWN });

    const response = await page.goto(new URL('/', BASE_URL).href, { waitUntil: 'load', timeout: TIMEOUT_MS });
    if (response?.status() !== 200 || new URL(page.url()).pathname !== '/') {
      throw new Error(`run ${number}: GET / ended on ${page.url()} (HTTP ${response?.status()}), not the dashboard`);
    }
    await page.waitForFunction(() => window.__phone?.hydratedAt !== undefined, null, {
      timeout: TIMEOUT_MS,
      polling: 50,
    });
    await page.waitForTimeout(SETTLE_MS);
    const paints = await page.evaluate(readPaints);
    const transferred = { bytes, responses, failed };

    // Usable, not only marked: a row's link opens the dialog in place.
    const link = page.locator('.key-result .check-in-link').first();
    const title = (await link.locator('xpath=ancestor::li[1]').locator('.kr-title').textContent())?.trim();
    await link.click({ timeout: TIMEOUT_MS });
    const dialog = page.getByTestId('check-in-dialog');
    await dialog.waitFor({ state: 'visible', timeout: TIMEOUT_MS });
    const shown = (await dialog.getByTestId('check-in-dialog-title').textContent())?.trim();
    if (new URL(page.url()).pathname !== '/' || shown !== title) {
      throw new Error(`run ${number}: "Record check-in" did not open the dialog for "${title}" (on ${page.url()})`);
    }
    return {
      fcp_ms: paints.fcp,
      lcp_ms: paints.lcp,
      lcp_element: paints.lcpElement,
      hydrated_ms: paints.hydratedAt,
      transferred_bytes: transferred.bytes,
      responses: transferred.responses,
      failed_requests: transferred.failed,
    };
  } finally {
    await context.close();
  }
}

function median(values) {
  const known = values.filter((value) => typeof value === 'number').sort((a, b) => a - b);
  return known.length === 0 ? null : known[Math.floor(known.length / 2)];
}

const ms = (value) => (value === null ? 'n/a' : `${Math.round(value)} ms`);
const kb = (bytes) => (bytes === null ? 'n/a' : `${(bytes / 1024).toFixed(1)} KB`);

function describe(figures) {
  return (
    `FCP ${ms(figures.fcp_ms)}, LCP ${ms(figures.lcp_ms)}, hydrated ${ms(figures.hydrated_ms)}, ` +
    `${kb(figures.transferred_bytes)} in ${figures.responses} responses`
  );
}

async function main() {
  const session = await signIn();
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  const runs = [];
  try {
    console.log(
      `phone: ${BASE_URL}/ as ${EMAIL}, ${RUNS} cold loads, CPU ${CPU_SLOWDOWN}× slower, ` +
        `1.6 Mbps down, 750 Kbps up, ${NETWORK.latency} ms round trip, ` +
        `${PHONE.viewport.width}×${PHONE.viewport.height} at ${PHONE.deviceScaleFactor}×`,
    );
    for (let number = 1; number <= RUNS; number += 1) {
      const figures = await coldLoad(browser, session, number);
      runs.push(figures);
      console.log(`run ${number}: ${describe(figures)}; largest paint: ${figures.lcp_element ?? 'n/a'}`);
    }
  } finally {
    await browser.close();
  }
  const pick = (key) => median(runs.map((run) => run[key]));
  const medians = {
    fcp_ms: pick('fcp_ms'),
    lcp_ms: pick('lcp_ms'),
    hydrated_ms: pick('hydrated_ms'),
    transferred_bytes: pick('transferred_bytes'),
    responses: pick('responses'),
    failed_requests: runs.reduce((sum, run) => sum + run.failed_requests, 0),
  };
  console.log(`median: ${describe(medians)}`);
  console.log(JSON.stringify({ runs, median: medians }));
}

main().catch((error) => {
  console.error(error?.stack ?? String(error));
  process.exit(1);
});
