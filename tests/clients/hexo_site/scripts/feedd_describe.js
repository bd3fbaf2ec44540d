/* global hexo */
'use strict';

// feedd_describe(post) → what the client test compares with feedd's front-matter: a plain
// object, the same for the API loader (hexo_load.js) and for `hexo generate` (the post layout
// writes it into every page), so both paths are checked by one set of assertions.
function describe(post) {
  const Category = hexo.model('Category');
  const cats = post.categories.toArray();
  const parents = new Set(cats.map(c => c.parent).filter(Boolean));
  // Hexo turns a front-matter list into a chain (新媒体 › source › channel) and gives the post
  // every level; walking each leaf up through `parent` recovers the order feedd wrote.
  const paths = cats.filter(c => !parents.has(c._id)).map(leaf => {
    const path = [];
    for (let c = leaf; c; c = c.parent ? Category.findById(c.parent) : null) {
      path.unshift(c.name);
      if (path.length > 16) break;  // a cycle would be a Hexo bug; do not hang on it
    }
    return path;
  });
  const value = v => (v === undefined ? null : v);
  return {
    source: post.source,
    path: post.path,
    title: post.title,
    date: post.date.toISOString(),
    categories: paths,
    headimg: value(post.headimg),
    thumbnail: value(post.thumbnail),
    author: value(post.author),
    link: value(post.link),
    content: post.content
  };
}

hexo.extend.helper.register('feedd_describe', describe);
