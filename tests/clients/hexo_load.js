'use strict';
// Usage: node hexo_load.js SITE_DIR OUT_JSON
// Loads SITE_DIR with Hexo's API (as a plugin or deployer would) and writes
// [feedd_describe(post), ...] for every post to OUT_JSON. Hexo is resolved from
// SITE_DIR/node_modules. Exits 1, with the error on stderr, when Hexo rejects the site.
const fs = require('fs');
const path = require('path');

async function main() {
  const [site, out] = process.argv.slice(2);
  const Hexo = require(path.join(site, 'node_modules', 'hexo'));
  const hexo = new Hexo(site, { silent: true });
  await hexo.init();
  await hexo.load();
  const describe = hexo.extend.helper.get('feedd_describe');
  if (!describe) throw new Error('scripts/feedd_describe.js was not loaded');
  const posts = hexo.locals.get('posts').map(post => describe(post));
  fs.writeFileSync(out, JSON.stringify(posts, null, 1));
  await hexo.exit();
}

main().catch(err => {
  console.error(err && err.stack ? err.stack : err);
  process.exit(1);
});
