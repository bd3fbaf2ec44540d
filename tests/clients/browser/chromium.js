// Debian's chromium, headless, as every driver in this folder launches it (playwright-core from
// NODE_PATH; FEEDD_CHROMIUM overrides the executable). No browser is downloaded.
'use strict';
const { chromium } = require('playwright-core');

const EXECUTABLE = process.env.FEEDD_CHROMIUM || '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-quic'];

// launch({extraArgs}) → a playwright Browser.
function launch({ extraArgs = [] } = {}) {
  return chromium.launch({ executablePath: EXECUTABLE, headless: true, timeout: 60000, args: [...ARGS, ...extraArgs] });
}

module.exports = { launch };
