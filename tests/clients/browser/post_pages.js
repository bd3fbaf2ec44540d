// Loads post pages in Debian's chromium (playwright-core) and reports, as JSON, every script that
// ran and where each post's nodes landed; tests/clients/test_post_pages.py judges the report.
//   NODE_PATH=<cache>/node_modules node post_pages.js JOBS.json REPORT.json
// JOBS.json: {"pages": [{"name", "url", "kind": "blog" | "reader"}]}; every URL is on 127.0.0.1.
// A payload that runs calls pwned(id) (a binding in every frame) or alert(id) (any dialog): both
// are recorded against the page being loaded. Requests that leave 127.0.0.1 are aborted, and the
// resolver maps every other host to nothing, so no test traffic leaves the machine. Exit 0 when
// the report is written (even if it shows payloads running), 1 otherwise.
'use strict';
const fs = require('fs');
const { launch } = require('./chromium');

const [jobsPath, reportPath] = process.argv.slice(2);
const SETTLE_MS = 600;  // after load, and after the clicks: image errors, timers, iframes, popups

// Where a post is printed, per kind of page. blog: hexo-theme-landscape's
// layout/_partial/article.ejs (one <article> per page; the body in div.article-entry, followed
// by footer.article-footer; post.link in the header's <a href>; headimg/thumbnail in <img src>).
// reader: tests/clients/browser/reader.html.
const LAYOUTS = {
  blog: {
    article: 'article.h-entry', entry: 'div.article-entry', sentinel: 'footer.article-footer',
    title: '.article-header h1', frontImages: 'img.feedd-headimg, img.feedd-thumbnail', fromSource: true,
  },
  reader: {
    article: 'article.entry', entry: 'div.entry-content', sentinel: 'footer.entry-footer',
    title: 'h2.entry-title', frontImages: null, fromSource: false,
  },
};

// In the page: the facts about every post on it. For a blog page the document is the served HTML
// as Chromium parses it (DOMParser, so that the theme's scripts have not touched it); for the
// reader it is the live document that innerHTML built. Self-contained: playwright sends only the
// source of this function.
async function inspect(layout) {
  const doc = layout.fromSource
    ? new DOMParser().parseFromString(await (await fetch(location.href)).text(), 'text/html')
    : document;
  const MARKER = /feedd-case:([a-z0-9-]+):(begin|end)/g;
  const XHTML = 'http://www.w3.org/1999/xhtml';
  // Elements that run, load or host code, change the page, or collect input.
  const DANGEROUS = new Set(['script', 'iframe', 'frame', 'frameset', 'object', 'embed', 'applet', 'base', 'meta',
    'link', 'style', 'form', 'input', 'button', 'textarea', 'select', 'template', 'noscript', 'portal',
    'fencedframe', 'svg', 'math']);
  // DESIGN.md: the only data-* attributes a body keeps.
  const INERT_DATA = new Set(['data-src', 'data-original', 'data-actualsrc', 'data-lazy-src', 'data-ratio', 'data-w',
    'data-width', 'data-height', 'data-type']);
  const URL_ATTRIBUTES = new Set(['href', 'src', 'poster', 'action', 'formaction', 'data', 'background', 'xlink:href']);
  const clip = (s) => (s.length > 160 ? s.slice(0, 160) + '…' : s);
  const squash = (s) => s.replace(/\s+/g, ' ').trim();
  const describe = (el) => (el ? el.localName + (el.className && typeof el.className === 'string'
    ? '.' + el.className.trim().split(/\s+/).join('.') : '') : null);
  const pathOf = (node) => {
    const parts = [];
    for (let el = node.nodeType === 1 ? node : node.parentElement; el && parts.length < 8; el = el.parentElement) {
      parts.unshift(describe(el));
    }
    return parts.join(' > ');
  };
  // The URL candidates of a srcset, by the HTML spec's grammar (descriptors may hold commas
  // only inside parentheses).
  const srcsetUrls = (value) => {
    const urls = [];
    let i = 0;
    while (i < value.length) {
      while (i < value.length && /[\s,]/.test(value[i])) i++;
      if (i >= value.length) break;
      let j = i;
      while (j < value.length && !/\s/.test(value[j])) j++;
      let url = value.slice(i, j);
      i = j;
      if (/,+$/.test(url)) {
        url = url.replace(/,+$/, '');
      } else {
        let depth = 0;
        for (; i < value.length; i++) {
          if (value[i] === '(') depth++;
          else if (value[i] === ')') depth = Math.max(0, depth - 1);
          else if (value[i] === ',' && depth === 0) break;
        }
      }
      urls.push(url);
    }
    return urls;
  };
  // Everything in a post's body that must not be there, as readable strings. URLs are judged by
  // the test (raw attribute values are returned in `urls`).
  const scan = (entry) => {
    const violations = [];
    const urls = [];
    for (const el of entry.querySelectorAll('*')) {
      const name = el.localName;
      if (el.namespaceURI !== XHTML) violations.push('foreign element <' + name + '> (' + el.namespaceURI + ')');
      else if (DANGEROUS.has(name)) violations.push('element <' + name + '>');
      for (const attr of el.attributes) {
        const a = attr.name.toLowerCase();
        const where = '<' + name + ' ' + attr.name + '="' + clip(attr.value) + '">';
        if (a.startsWith('on')) violations.push('event handler ' + where);
        else if (a.startsWith('data-') && !INERT_DATA.has(a)) violations.push('data attribute ' + where);
        else if (a === 'srcdoc') violations.push('srcdoc ' + where);
        else if (URL_ATTRIBUTES.has(a)) urls.push({ attr: name + '[' + a + ']', value: attr.value });
        else if (a === 'srcset') srcsetUrls(attr.value).forEach((u) => urls.push({ attr: name + '[srcset]', value: u }));
      }
    }
    return { violations, urls };
  };

  const entriesInDoc = [...doc.querySelectorAll(layout.entry)];
  const articles = [...doc.querySelectorAll(layout.article)].map((article) => {
    const entries = [...article.querySelectorAll(layout.entry)];
    const entry = entries[0] || null;
    const next = entry ? entry.nextElementSibling : null;
    const markers = [];
    if (entry) {
      const walker = doc.createTreeWalker(entry, NodeFilter.SHOW_TEXT);
      for (let t = walker.nextNode(); t; t = walker.nextNode()) {
        for (const m of t.data.matchAll(MARKER)) markers.push(m[1] + ':' + m[2]);
      }
    }
    const title = article.querySelector(layout.title);
    const found = entry ? scan(entry) : { violations: [], urls: [] };
    return {
      entries: entries.length,
      sentinels: article.querySelectorAll(layout.sentinel).length,
      next: describe(next),
      sentinelNext: !!next && next.matches(layout.sentinel),
      title: title ? squash(title.textContent) : null,
      titleLinks: title ? [...title.querySelectorAll('a')].map((a) => a.getAttribute('href')) : [],
      frontImages: layout.frontImages
        ? [...article.querySelectorAll(layout.frontImages)].map((img) => ({ cls: img.className, src: img.getAttribute('src') }))
        : [],
      markers,
      text: entry ? squash(entry.textContent).slice(0, 2000) : null,
      violations: found.violations,
      urls: found.urls,
    };
  });
  // Marker text anywhere in the body but inside a post's wrapper: a post that got out.
  const outside = [];
  const walker = doc.createTreeWalker(doc.body || doc.documentElement, NodeFilter.SHOW_TEXT);
  for (let t = walker.nextNode(); t; t = walker.nextNode()) {
    if (entriesInDoc.some((e) => e.contains(t))) continue;
    for (const m of t.data.matchAll(MARKER)) outside.push({ marker: m[1] + ':' + m[2], path: pathOf(t) });
  }
  return { articles, entries: entriesInDoc.length, outside, state: document.body.dataset.state || null };
}

// In the page: what a reader does with a post's links: hover over everything in the posts, then
// activate every link and button whose URL is not http(s) (an http(s) link cannot run script and
// would only navigate away), in this tab: Chromium runs no javascript: URL in a target=_blank
// window, and many themes print no target. Returns what it clicked.
function interact(layout) {
  const clicked = [];
  for (const article of document.querySelectorAll(layout.article)) {
    for (const el of article.querySelectorAll('*')) {
      for (const type of ['mouseover', 'mouseenter', 'focus']) el.dispatchEvent(new Event(type));
    }
    for (const el of article.querySelectorAll('a[href], area[href], button, input[type=submit]')) {
      const target = el.href !== undefined && el.href !== '' ? el.href : el.formAction || '';
      let protocol = '';
      try { protocol = new URL(target, location.href).protocol; } catch (e) { protocol = 'invalid'; }
      if (protocol === 'http:' || protocol === 'https:') continue;
      clicked.push(el.localName + ' ' + String(target).slice(0, 120));
      el.removeAttribute('target');
      if (el.form) el.form.removeAttribute('target');
      try { el.click(); } catch (e) { /* a click that throws ran nothing */ }
    }
  }
  return clicked;
}

async function main() {
  const jobs = JSON.parse(fs.readFileSync(jobsPath, 'utf8'));
  const browser = await launch({ extraArgs: ['--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1'] });
  const report = { version: browser.version(), pages: [] };
  let current = null;
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.exposeBinding('pwned', (source, id) => {
      if (current) current.ran.push({ id: String(id), via: 'pwned()', frame: source.frame.url().slice(0, 200) });
    });
    context.on('dialog', (dialog) => {
      if (current) current.ran.push({ id: dialog.message(), via: dialog.type(), frame: dialog.page() ? dialog.page().url() : '' });
      dialog.dismiss().catch(() => {});
    });
    context.on('page', (page) => {
      if (current) current.popups.push(page);
    });
    await context.route('**/*', (route) => {
      const url = route.request().url();
      let host = '';
      try { host = new URL(url).hostname; } catch (e) { /* not a URL: blocked */ }
      if (host === '127.0.0.1') return route.continue();
      if (current) current.blocked.push(url.slice(0, 200));
      return route.abort();
    });

    for (const job of jobs.pages) {
      const layout = LAYOUTS[job.kind];
      current = { name: job.name, url: job.url, kind: job.kind, ran: [], blocked: [], errors: [], popups: [] };
      const record = current;
      const page = await context.newPage();
      page.on('pageerror', (err) => record.errors.push(String(err.message).slice(0, 300)));
      try {
        const response = await page.goto(job.url, { waitUntil: 'load', timeout: 20000 });
        record.status = response ? response.status() : null;
        if (job.kind === 'reader') {
          await page.waitForFunction(() => document.body.dataset.state, null, { timeout: 15000 });
        }
        await page.waitForTimeout(SETTLE_MS);
        record.clicked = await page.evaluate(interact, layout);
        await page.waitForTimeout(SETTLE_MS);
        record.dom = await page.evaluate(inspect, layout);
      } catch (err) {
        record.error = String(err && err.message ? err.message : err).slice(0, 1000);
      }
      record.popups = record.popups.filter((p) => p !== page).map((p) => p.url());
      for (const p of context.pages()) await p.close();
      report.pages.push(record);
      current = null;
    }
    await context.close();
  } finally {
    await browser.close();
  }
  fs.writeFileSync(reportPath, JSON.stringify(report, null, 1));
}

main().catch((err) => {
  console.error(err && err.stack ? err.stack : String(err));
  process.exit(1);
});
