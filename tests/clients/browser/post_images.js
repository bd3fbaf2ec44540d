// Loads one page in Debian's chromium (playwright-core) and reports, as JSON, every <img> on it
// and every image request the page made; tests/clients/test_post_images.py judges the report.
//   NODE_PATH=<cache>/node_modules node post_images.js URL REPORT.json
// Requests that leave 127.0.0.1 are aborted. Exit 0 when the report is written, 1 otherwise.
'use strict';
const fs = require('fs');
const { launch } = require('./chromium');

const [url, reportPath] = process.argv.slice(2);

(async () => {
  const browser = await launch();
  try {
    const page = await browser.newPage();
    const requests = [];
    await page.route('**/*', (route) => {
      const u = new URL(route.request().url());
      if (u.hostname !== '127.0.0.1') return route.abort();
      if (route.request().resourceType() === 'image') requests.push(u.href);
      return route.continue();
    });
    const response = await page.goto(url, { waitUntil: 'load', timeout: 60000 });
    const images = await page.$$eval('img', (imgs) => imgs.map((img) => ({
      src: img.getAttribute('src'), currentSrc: img.currentSrc, complete: img.complete,
      naturalWidth: img.naturalWidth, naturalHeight: img.naturalHeight,
    })));
    fs.writeFileSync(reportPath, JSON.stringify({ status: response.status(), images, requests }, null, 1));
  } finally {
    await browser.close();
  }
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
