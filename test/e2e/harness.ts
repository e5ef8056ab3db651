/**
 * End-to-end harness: the real renderer (dist-renderer/, built by `npm run build:renderer`)
 * served by the real web host, driven in Debian's Chromium through playwright-core.
 * When no Chromium is installed the e2e suites skip with a notice (CI installs it).
 * Screenshots of each step go to test-results/e2e/<suite>/ as test artifacts; the manual's
 * pictures (`docsShot`) go to docs/screenshots/<name>.png, so every test run keeps them true.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { startWebHost, type WebHost, type WebHostOptions } from '../../main/web/host.ts';
import { AppCollector } from '../../main/app/collector-host.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
export const rendererDir = join(root, 'dist-renderer');
/** Where the manual's screenshots live (see `App.docsShot`). */
export const docsShots = join(root, 'docs', 'screenshots');

/** The Chromium binary to drive, or null (then the suite skips). */
export function chromiumPath(): string | null {
  for (const p of [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/lib/chromium/chromium']) {
    if (p && existsSync(p)) return p;
  }
  return null;
}

/** `skip` option for an e2e describe(): a reason string when it cannot run here, else false. */
export function e2eSkip(): string | false {
  if (!chromiumPath()) {
    const msg = 'e2e: no Chromium found (apt-get install -y chromium, or set CHROMIUM_PATH): browser tests skipped';
    console.log(`# ${msg}`);
    return msg;
  }
  if (!existsSync(join(rendererDir, 'index.html'))) {
    throw new Error('e2e: dist-renderer/ is not built: run `npm run build:renderer` first (npm test does)');
  }
  return false;
}

export interface App {
  page: Page;
  context: BrowserContext;
  host: WebHost;
  /** The temp directory holding user artifacts (artifacts/) and the datastore (datastore/). */
  dir: string;
  /** The app's collector over <dir>/datastore, when asked for (`{ collector: true }`). */
  collector?: AppCollector;
  /** Page errors and console errors seen so far (a test can assert none). */
  errors: string[];
  screenshot(step: string): Promise<void>;
  /** A picture for the manual: docs/screenshots/<name>.png at the current viewport (name it with its size, e.g. `logs-1024x700`). */
  docsShot(name: string): Promise<void>;
  close(): Promise<void>;
}

/** Extra parts of the app under test. */
export interface AppParts {
  /** Give the host the app's collector (live events, monitoring logs) over <dir>/datastore. */
  collector?: boolean;
}

/** Starts a web host over a fresh temp folder and opens the app in a fresh Chromium profile. */
export async function openApp(suite: string, hostOptions: Partial<WebHostOptions> = {}, parts: AppParts = {}): Promise<App> {
  const dir = mkdtempSync(join(tmpdir(), 'vql-e2e-'));
  const collector = parts.collector ? await AppCollector.open({ datastore: join(dir, 'datastore'), userArtifacts: join(dir, 'artifacts') }) : undefined;
  const host = await startWebHost({
    staticDir: rendererDir,
    userArtifacts: join(dir, 'artifacts'),
    ...(collector ? { collector } : {}),
    ...hostOptions,
  });
  const profile = mkdtempSync(join(tmpdir(), 'chromium-profile-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath()!,
    headless: true,
    acceptDownloads: true,
    viewport: { width: 1440, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-quic', '--disable-sync'],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  await page.goto(host.url);
  const shots = join(root, 'test-results', 'e2e', suite);
  mkdirSync(shots, { recursive: true });
  let n = 0;
  return {
    page, context, host, dir, errors, collector,
    async screenshot(step) {
      n++;
      await page.screenshot({ path: join(shots, `${String(n).padStart(2, '0')}-${step}.png`) });
    },
    async docsShot(name) {
      if (!/^[a-z0-9][a-z0-9.-]*$/.test(name)) throw new Error(`docsShot: ${name}: use lowercase letters, digits, dots and dashes`);
      mkdirSync(docsShots, { recursive: true });
      await page.screenshot({ path: join(docsShots, `${name}.png`) });
    },
    async close() {
      await context.close();
      await host.close();
      await collector?.close();
      rmSync(profile, { recursive: true, force: true });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Polls `cond` every 100 ms until it holds; throws naming `what` after `ms`. Returns the time it took. */
export async function until(cond: () => Promise<boolean>, ms: number, what: string): Promise<number> {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return Date.now() - t0;
}
