#!/usr/bin/python3
"""Seeded benchmark corpus: N feeds x M items shaped like RSSHub output for Chinese new media.

Layout under --out:
  www/feeds/fNNNN.rss.xml | fNNNN.atom.xml   the feeds (two in three RSS 2.0, one in three Atom)
  feeds.yaml                                 one channel per feed, under a few categories/sources
  manifest.json                              feeds, items, seed, files, bytes

Bodies are a few KB of Chinese text in CDATA with lazy-loaded http:// images: ZAKER-like
`data-original` (no src or a placeholder src) and WeChat-like `data-src`. A small share of
titles recurs in a later feed, as when one story runs in several channels. The same arguments
give the same bytes, so runs are repeatable and warm cycles see unchanged upstream files.
"""
import argparse
import datetime as dt
import json
import os
import random
import sys

# Our own word pool (not taken from any article): the generator strings these together.
WORDS = """
我们 他们 今天 记者 表示 发现 研究 数据 市场 用户 产品 平台 公司 城市 技术 科学 医生 患者
手术 风险 健康 运动 饮食 教育 学生 老师 学校 家长 孩子 工作 生活 时间 问题 方法 经验 行业
发展 经济 增长 下降 上涨 价格 消费 投资 资本 企业 团队 创始人 模式 服务 内容 视频 直播 社区
互联网 手机 应用 系统 软件 芯片 电池 汽车 新能源 能源 环境 气候 天气 夏天 冬天 北京 上海
广州 深圳 成都 杭州 武汉 南京 西安 重庆 地铁 交通 房价 租金 政策 监管 规定 法律 标准 报告
调查 统计 显示 超过 达到 约 左右 可能 已经 正在 开始 继续 需要 应该 认为 指出 强调 建议 提醒
专家 机构 部门 官方 消息 新闻 信息 文章 作者 读者 故事 历史 文化 艺术 电影 音乐 游戏 体育
比赛 冠军 球队 训练 身体 肌肉 睡眠 心理 情绪 压力 焦虑 快乐 朋友 家庭 父母 社会 人口 年轻人
老年人 消费者 设计 体验 功能 更新 版本 发布 上线 测试 安全 隐私 算法 模型 人工智能 机器人
实验 结果 样本 论文 期刊 大学 实验室 细胞 基因 病毒 疫苗 药物 治疗 医院 门诊 手机壳 咖啡
奶茶 餐厅 外卖 快递 电商 直播间 品牌 营销 广告 流量 增长率 季度 财报 营收 利润 亏损 估值
""".split()
PUNCT_MID = ["，", "，", "，", "、", "；"]
PUNCT_END = ["。", "。", "。", "！", "？"]

# (top name, top slug, source name, source slug, image style)
SOURCES = [
    ("新媒体", "xinmeiti", "ZAKER", "zaker", "zaker"),
    ("新媒体", "xinmeiti", "微信公众号", "wechat", "wechat"),
    ("新媒体", "xinmeiti", "果壳网", "guokr", "wechat"),
    ("科技", "keji", "36氪", "36kr", "zaker"),
    ("科技", "keji", "少数派", "sspai", "wechat"),
    ("财经", "caijing", "虎嗅", "huxiu", "zaker"),
]

BASE_TIME = dt.datetime(2021, 7, 12, 10, 0, 0, tzinfo=dt.timezone.utc)
DEFAULT_BASE_URL = "http://127.0.0.1:8080/"


def feed_file(i):
    return "f%04d.%s.xml" % (i, "atom" if i % 3 == 2 else "rss")


def sentence(rng):
    n = rng.randint(6, 16)
    words = rng.choices(WORDS, k=n)
    cut = rng.randint(2, n - 2)
    return "".join(words[:cut]) + rng.choice(PUNCT_MID) + "".join(words[cut:]) + rng.choice(PUNCT_END)


def paragraph(rng):
    return "".join(sentence(rng) for _ in range(rng.randint(2, 5)))


def hexid(rng, n):
    return "%0*x" % (n, rng.getrandbits(4 * n))


def zaker_img(rng, k):
    url = "http://zkres%d.myzaker.com/2021%02d/%s_1024.jpg" % (
        rng.randint(1, 3), rng.randint(1, 7), hexid(rng, 24))
    # Some carry no src at all, some a placeholder gif: both must get src from data-original.
    src = "" if rng.random() < 0.5 else ' src="http://zkres.myzaker.com/static/img/loading.gif"'
    return ('<div class="img_box" id="id_imagebox_%d" onclick><div class="content_img_div '
            'perview_img_div"><img class="lazy opacity_0 " id="img_%d" data-original="%s" '
            'data-height="%d" data-width="%d"%s></div></div>' % (
                k, k, url, rng.randint(400, 1200), rng.randint(600, 1280), src))


def wechat_img(rng, _k):
    kind = rng.choice(["jpg", "png", "gif"])
    url = "http://mmbiz.qpic.cn/mmbiz_%s/%s/640?wx_fmt=%s" % (
        kind, hexid(rng, 40), "jpeg" if kind == "jpg" else kind)
    return ('<section style="text-align: center;margin-top: 10px;box-sizing: border-box;">'
            '<img class="rich_pages wxw-img" data-ratio="%.4f" data-s="300,640" data-src="%s" '
            'data-type="%s" data-w="1080" style="width: 100%%;vertical-align: middle;">'
            '</section>' % (rng.uniform(0.5, 1.5), url, kind))


def body(rng, style):
    target = rng.randint(1800, 4600)  # bytes of HTML: "a few KB"
    parts, size, k = [], 0, 0
    img = zaker_img if style == "zaker" else wechat_img
    while size < target:
        if style == "zaker":
            p = "<p>%s</p>" % paragraph(rng)
            if rng.random() < 0.2:
                p = "<p><strong>%s</strong></p>" % sentence(rng)
        else:
            p = ('<p style="white-space: normal;box-sizing: border-box;"><span style="font-size: '
                 '15px;letter-spacing: 1px;">%s</span></p>' % paragraph(rng))
        parts.append(p)
        size += len(p.encode())
        if rng.random() < 0.3:
            p = img(rng, k)
            k += 1
            parts.append(p)
            size += len(p.encode())
    if k == 0:
        parts.insert(1, img(rng, 0))
    html = "".join(parts)
    if style == "wechat":
        html = '<section style="color: rgb(62, 62, 62);line-height: 1.75;">%s</section>' % html
    return html


def title(rng):
    t = "".join(rng.choices(WORDS, k=rng.randint(4, 9)))
    if rng.random() < 0.3:
        t += "：" + "".join(rng.choices(WORDS, k=rng.randint(2, 5)))
    if rng.random() < 0.2:
        t = "“%s”%s" % ("".join(rng.choices(WORDS, k=2)), t)
    return t


def link(rng, style):
    if style == "zaker":
        return "http://www.myzaker.com/article/%s" % hexid(rng, 24)
    return "https://mp.weixin.qq.com/s/%s" % hexid(rng, 22)


def cdata(s):
    return "<![CDATA[" + s.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def rss_doc(name, upstream, self_url, items):
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n'
           '<rss xmlns:atom="http://www.w3.org/2005/Atom" version="2.0">\n<channel>\n'
           '<title>%s</title>\n<link>%s</link>\n'
           '<atom:link href="%s" rel="self" type="application/rss+xml" />\n'
           '<description>%s</description>\n<generator>RSSHub</generator>\n'
           '<webMaster>i@diygod.me (DIYgod)</webMaster>\n<language>zh-cn</language>\n'
           '<lastBuildDate>%s</lastBuildDate>\n<ttl>5</ttl>\n' % (
               cdata(name), upstream, self_url, cdata(name + " - Made with love by RSSHub"),
               rfc822(BASE_TIME))]
    for it in items:
        out.append('<item>\n<title>%s</title>\n<description>%s</description>\n'
                   '<pubDate>%s</pubDate>\n<guid isPermaLink="false">%s</guid>\n'
                   '<link>%s</link>\n</item>\n' % (
                       cdata(it["title"]), cdata(it["html"]), rfc822(it["date"]), it["link"],
                       it["link"]))
    out.append("</channel>\n</rss>\n")
    return "".join(out)


def atom_doc(name, upstream, self_url, items, author):
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n'
           '<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="zh-cn">\n'
           '<id>%s</id>\n<title>%s</title>\n<updated>%s</updated>\n'
           '<generator>RSSHub</generator>\n<author><name>RSSHub</name></author>\n'
           '<link href="%s" rel="alternate"/>\n<link href="%s" rel="self"/>\n' % (
               self_url, cdata(name), rfc3339(BASE_TIME), upstream, self_url)]
    for it in items:
        out.append('<entry>\n<title>%s</title>\n<id>%s</id>\n<published>%s</published>\n'
                   '<updated>%s</updated>\n<link href="%s" rel="alternate"/>\n'
                   '<content type="html">%s</content>\n<author><name>%s</name></author>\n'
                   '</entry>\n' % (
                       cdata(it["title"]), it["link"], rfc3339(it["date"]), rfc3339(it["date"]),
                       it["link"], cdata(it["html"]), author))
    out.append("</feed>\n")
    return "".join(out)


def rfc822(t):
    return t.strftime("%a, %d %b %Y %H:%M:%S GMT")


def rfc3339(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def source_of(i):
    return SOURCES[i % len(SOURCES)]


def feeds_yaml(n, base_url, output="output", state="output/feedd.db", listen="127.0.0.1:8080",
               public_url=None):
    """feeds.yaml text with one channel per feed, grouped top > source as in SOURCES."""
    base_url = base_url if base_url.endswith("/") else base_url + "/"
    lines = ["# Generated by bench/gen_corpus.py: one channel per corpus feed.",
             "output: %s" % json.dumps(str(output)),
             "state: %s" % json.dumps(str(state)),
             "listen: %s" % listen,
             "base_url: %s" % (public_url or "http://%s/" % listen),
             "interval: 30m",
             "feed_entries: 50",
             'image_proxy: "https://cors.zfour.workers.dev/?"',
             "timezone: Asia/Shanghai",
             "categories:"]
    tops = {}
    for i in range(n):
        top, top_slug, src, src_slug, _ = source_of(i)
        tops.setdefault((top, top_slug), {}).setdefault((src, src_slug), []).append(i)
    for (top, top_slug), sources in tops.items():
        lines += ["  - name: %s" % top, "    slug: %s" % top_slug, "    sources:"]
        for (src, src_slug), feeds in sources.items():
            lines += ["      - name: %s" % src, "        slug: %s" % src_slug,
                      "        channels:"]
            for i in feeds:
                lines += ["          - name: 频道 %04d" % i, "            slug: c%04d" % i,
                          "            url: %sfeeds/%s" % (base_url, feed_file(i))]
    return "\n".join(lines) + "\n"


def generate(n, m, seed, out, base_url=DEFAULT_BASE_URL, dup_rate=0.03):
    rng = random.Random(seed)
    www = os.path.join(out, "www", "feeds")
    os.makedirs(www, exist_ok=True)
    files, total, titles = [], 0, []
    for i in range(n):
        top, _, src, src_slug, style = source_of(i)
        name = "%s - 频道 %04d" % (src, i)
        upstream = ("http://www.myzaker.com/source/%d" % (10000 + i) if style == "zaker"
                    else "https://weixin.sogou.com/weixin?query=%04d" % i)
        self_url = "https://rsshub.app/%s/channel/%d" % (src_slug, i)
        items = []
        for j in range(m):
            if titles and rng.random() < dup_rate:
                t = rng.choice(titles)  # the same story in another channel
            else:
                t = title(rng)
                titles.append(t)
            items.append({
                "title": t,
                "html": body(rng, style),
                "link": link(rng, style),
                "date": BASE_TIME - dt.timedelta(minutes=37 * j + (i % 53), seconds=rng.randint(0, 59)),
            })
        fname = feed_file(i)
        doc = (atom_doc(name, upstream, self_url, items, src) if fname.endswith(".atom.xml")
               else rss_doc(name, upstream, self_url, items))
        data = doc.encode()
        path = os.path.join(www, fname)
        # Keep the mtime of unchanged files: nginx's ETag/Last-Modified stay valid across
        # regenerations, so a warm cycle stays a 304 cycle.
        try:
            with open(path, "rb") as f:
                same = f.read() == data
        except OSError:
            same = False
        if not same:
            with open(path + ".tmp", "wb") as f:
                f.write(data)
            os.replace(path + ".tmp", path)
        files.append(fname)
        total += len(data)
    with open(os.path.join(out, "feeds.yaml"), "w", encoding="utf-8") as f:
        f.write(feeds_yaml(n, base_url))
    manifest = {"feeds": n, "items": m, "seed": seed, "bytes": total, "files": files}
    with open(os.path.join(out, "manifest.json"), "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=1)
    return manifest


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--feeds", type=int, default=300)
    ap.add_argument("--items", type=int, default=30)
    ap.add_argument("--seed", type=int, default=20210712)
    ap.add_argument("--out", required=True)
    ap.add_argument("--base-url", default=DEFAULT_BASE_URL,
                    help="where www/ is served; used in feeds.yaml (default %(default)s)")
    ap.add_argument("--dup-rate", type=float, default=0.03,
                    help="share of items whose title recurs from an earlier item")
    a = ap.parse_args()
    if a.feeds < 1 or a.items < 1:
        ap.error("--feeds and --items must be positive")
    m = generate(a.feeds, a.items, a.seed, a.out, a.base_url, a.dup_rate)
    print("corpus: %d feeds x %d items, %.1f MB in %s" % (
        m["feeds"], m["items"], m["bytes"] / 1e6, os.path.join(a.out, "www")), file=sys.stderr)


if __name__ == "__main__":
    main()
