// Debian's chromium and the flags it needs on this project's machines (`npx playwright install` cannot
// download a browser here; without the background-networking flags chromium keeps dialing closed hosts).
// One place for every launcher: Playwright tests, vitest browser mode, the bench and the demo's checks.
// CHROMIUM_PATH overrides the binary.

export const chromiumExecutablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export const chromiumLaunchOptions = { executablePath: chromiumExecutablePath, args: chromiumArgs };
