// Drives Debian's chromium with playwright-core through feedd's status page and writes what it
// saw as JSON; tests/clients/test_browser.py judges it. Usage:
//   NODE_PATH=<cache>/node_modules node status_page.js BASE_URL OUT_DIR REPORT.json
// BASE_URL is a running `feedd run` on loopback; screenshots go to OUT_DIR. Every wait is
// bounded. Exit 0 when the report is written (even if what it shows is wrong), 1 otherwise.
'use strict';
const fs = require('fs');
const path = require('path');
const { launch } = require('./chromium');

const [base, outDir, reportPath] = process.argv.slice(2);
const REFRESH_DEADLINE_MS = 20000;

// What the page shows, read from the DOM as a reader would see it.
function readPage() {
  const text = (el) => (el ? el.textContent.trim() : null);
  const feeds = [...document.querySelectorAll('#feeds li.feed')].map((li) => {
    const a = li.querySelector(':scope > a');
    const parent = li.parentElement.closest('li.feed');
    return {
      path: li.dataset.path,
      href: a ? a.href : null,
      text: text(a),
      parent: parent ? parent.dataset.path : null,
    };
  });
  const alternates = [...document.querySelectorAll('link[rel="alternate"][type="application/atom+xml"]')].map(
    (l) => ({ href: l.href, title: l.title }));
  const channels = [...document.querySelectorAll('tr.channel')].map((tr) => {
    const time = tr.querySelector('td.last-poll time');
    return {
      path: tr.dataset.path,
      title: text(tr.querySelector('td.title')),
      lastPoll: time ? time.getAttribute('datetime') : null,
      lastPollText: text(tr.querySelector('td.last-poll')),
      result: text(tr.querySelector('td.result')),
      polling: !!tr.querySelector('.polling'),
    };
  });
  return { title: document.title, feeds, alternates, channels };
}

// Layout facts for the viewport the page is open in.
function measure() {
  const rgb = (el, prop) => getComputedStyle(el)[prop];
  // Anything past the right edge, scroll containers included: a column that can only be reached
  // by scrolling a table sideways is not readable on a phone either.
  const wide = [];
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width > 0 && r.right > innerWidth + 0.5) {
      wide.push(el.tagName.toLowerCase() + (el.className ? '.' + el.className : '') + ' right=' + r.right);
    }
  }
  // Lines per channel cell: a cell squeezed to a few characters wraps a URL a character a line.
  const lineHeight = parseFloat(getComputedStyle(document.body).lineHeight);
  const cellLines = [...document.querySelectorAll('tr.channel td')].map(
    (td) => ({ cls: td.className, lines: Math.round(td.getBoundingClientRect().height / lineHeight) }));
  const button = document.querySelector('#refresh-all').getBoundingClientRect();
  const link = document.querySelector('#feeds a');
  return {
    innerWidth,
    scrollWidth: document.documentElement.scrollWidth,
    wide: wide.slice(0, 10),
    maxCellLines: Math.max(0, ...cellLines.map((c) => c.lines)),
    cellLines,
    background: rgb(document.body, 'backgroundColor'),
    rootBackground: rgb(document.documentElement, 'backgroundColor'),
    color: rgb(document.body, 'color'),
    linkColor: link ? rgb(link, 'color') : null,
    fontSizePx: parseFloat(getComputedStyle(document.body).fontSize),
    refreshButton: { width: button.width, height: button.height, top: button.top, left: button.left },
  };
}

async function main() {
  fs.mkdirSync(outDir, { recursive: true });
  const browser = await launch();
  const report = { version: browser.version() };
  try {
    // Desktop, light: the feed tree, then "Refresh now" until every last-poll time moves on.
    const desktop = await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme: 'light' });
    const page = await desktop.newPage();
    const first = await page.goto(base + '/', { timeout: 15000 });
    report.status = first.status();
    report.before = await page.evaluate(readPage);
    report.light = await page.evaluate(measure);

    // Times on the page have one-second resolution: press the button at least a second after
    // the newest poll, or an unchanged time could not be told from a poll that did not happen.
    const newest = Math.max(...report.before.channels.map((c) => Date.parse(c.lastPoll) || 0));
    const wait = newest + 1100 - Date.now();
    if (wait > 0) await page.waitForTimeout(wait);
    const [nav] = await Promise.all([
      page.waitForNavigation({ timeout: 15000 }),
      page.click('#refresh-all', { timeout: 5000 }),
    ]);
    report.afterClick = { url: page.url(), status: nav ? nav.status() : null };

    const deadline = Date.now() + REFRESH_DEADLINE_MS;
    const moved = (after) => after.channels.length === report.before.channels.length &&
      after.channels.every((c, i) => !c.polling && c.lastPoll && c.lastPoll > (report.before.channels[i].lastPoll || ''));
    report.reloads = 0;
    for (;;) {
      report.after = await page.evaluate(readPage);
      if (moved(report.after) || Date.now() > deadline) break;
      await page.waitForTimeout(250);
      await page.reload({ timeout: 15000 });
      report.reloads += 1;
    }
    report.screenshots = [path.join(outDir, 'status-desktop.png')];
    await page.screenshot({ path: report.screenshots[0], fullPage: true });
    await desktop.close();

    // A phone (390×844 CSS px, as an iPhone 12–14), light.
    const phone = await browser.newContext({
      viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true,
      colorScheme: 'light' });
    const phonePage = await phone.newPage();
    await phonePage.goto(base + '/', { timeout: 15000 });
    report.phone = await phonePage.evaluate(measure);
    report.screenshots.push(path.join(outDir, 'status-phone.png'));
    await phonePage.screenshot({ path: report.screenshots[1], fullPage: true });
    await phone.close();

    // Dark mode, desktop size.
    const dark = await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme: 'dark' });
    const darkPage = await dark.newPage();
    await darkPage.goto(base + '/', { timeout: 15000 });
    report.dark = await darkPage.evaluate(measure);
    report.screenshots.push(path.join(outDir, 'status-dark.png'));
    await darkPage.screenshot({ path: report.screenshots[2], fullPage: true });
    await dark.close();
  } finally {
    await browser.close();
  }
  fs.writeFileSync(reportPath, JSON.stringify(report, null, 2));
}

main().catch((err) => {
  console.error(err && err.stack ? err.stack : String(err));
  process.exit(1);
});
