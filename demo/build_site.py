#!/usr/bin/env python3
"""Build the bundled demo site (demo/site/) and its oracle (demo/expected.json).

    .venv/bin/python demo/build_site.py            # rewrite demo/site + expected.json
    .venv/bin/python demo/build_site.py --check    # rebuild in memory, compare, self-check

The generated files are committed; this script is how they were made. It needs
OpenCC (in requirements.txt) to write the Simplified clone of a Traditional
sample (a/1010.html) and to check expected.json against the pages, and reads
the two recorded samples from ../shared/samples/ (override with CUISHOU_SHARED).

Every page is written in its own encoding on purpose (see demo/README.md):
UTF-8, GBK, GB18030 and Big5, declared or not. The web root is demo/site/.
"""
from __future__ import annotations

import csv
import html
import json
import os
import re
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urldefrag, urlsplit

HERE = Path(__file__).resolve().parent
SITE = HERE / "site"
SHARED = Path(os.environ.get("CUISHOU_SHARED", HERE.parent.parent / "shared"))
SAMPLES = SHARED / "samples"
LENDERS_CSV = SHARED / "data" / "lenders.csv"
TACTICS_CSV = SHARED / "data" / "tactics.csv"

esc = html.escape

# --------------------------------------------------------------------------
# site chrome, in both scripts (the Big5 pages and the Traditional sample get
# Traditional chrome, as a real converted content farm would)
# --------------------------------------------------------------------------
CHROME = {
    "s": {
        "site": "理财知识网",
        "nav": [("/index.html", "首页"), ("/tag/cuishou.html", "催收投诉"),
                ("/list_2.html", "网贷知识"), ("/about.html", "关于我们")],
        "search": "搜索",
        "home": "首页", "tag": "催收投诉", "here": "正文",
        "hot": "热门文章", "related": "相关推荐",
        "prev": "上一篇", "next": "下一篇", "none": "没有了",
        "footer_links": [("/about.html", "关于我们"), ("/about.html#contact", "联系方式"),
                         ("/about.html#disclaimer", "免责声明"), ("/index.html", "网站地图")],
        "copyright": "Copyright &copy; 2019-2025 理财知识网 版权所有 未经授权禁止转载",
        "icp": "京ICP备19023456号-1 | 联系邮箱：editor@licaizhishi.example",
    },
    "t": {
        "site": "理財知識網",
        "nav": [("/index.html", "首頁"), ("/tag/cuishou.html", "催收投訴"),
                ("/list_2.html", "網貸知識"), ("/about.html", "關於我們")],
        "search": "搜索",
        "home": "首頁", "tag": "催收投訴", "here": "正文",
        "hot": "熱門文章", "related": "相關推薦",
        "prev": "上一篇", "next": "下一篇", "none": "沒有了",
        "footer_links": [("/about.html", "關於我們"), ("/about.html#contact", "聯繫方式"),
                         ("/about.html#disclaimer", "免責聲明"), ("/index.html", "網站地圖")],
        "copyright": "Copyright &copy; 2019-2025 理財知識網 版權所有 未經授權禁止轉載",
        "icp": "京ICP備19023456號-1 | 聯繫郵箱：editor@licaizhishi.example",
    },
}

# "相关推荐": other lenders' how-to posts; this demo has no such pages, so they
# point at the 专题 block of the tag page (a fragment: no extra request, no 404).
RELATED = {
    "jdjt": ("京东金条贷款怎样借", "京東金條貸款怎樣借"),
    "jiebei": ("借呗逾期一天有影响吗", "借唄逾期一天有影響嗎"),
    "weilidai": ("微粒贷额度怎么提升", "微粒貸額度怎麼提升"),
    "haoqidai": ("招联好期贷提前还款划算吗", "招聯好期貸提前還款划算嗎"),
    "huabei": ("花呗分期怎么提前还清", "花唄分期怎麼提前還清"),
}


def header(sc: str) -> str:
    c = CHROME[sc]
    nav = "\n".join(f'      <li><a href="{u}">{t}</a></li>' for u, t in c["nav"])
    return f"""<header class="site-header">
  <div class="logo"><a href="/index.html">{c['site']}</a></div>
  <nav class="main-nav">
    <ul>
{nav}
    </ul>
  </nav>
  <form class="search" action="/index.html" method="get"><input type="text" name="q"><button type="submit">{c['search']}</button></form>
</header>"""


def footer(sc: str) -> str:
    c = CHROME[sc]
    links = " | ".join(f'<a href="{u}">{t}</a>' for u, t in c["footer_links"])
    return f"""<footer class="site-footer">
  <p>{links}</p>
  <p>{c['copyright']}</p>
  <p>{c['icp']}</p>
</footer>"""


def breadcrumb(sc: str) -> str:
    c = CHROME[sc]
    return (f'<div class="breadcrumb"><a href="/index.html">{c["home"]}</a> &gt; '
            f'<a href="/tag/cuishou.html">{c["tag"]}</a> &gt; {c["here"]}</div>')


def head(title: str, charset_meta: str, extra: str = "", description: str = "") -> str:
    lines = ["<!DOCTYPE html>", '<html lang="zh">', "<head>"]
    if charset_meta:
        lines.append(charset_meta)
    lines.append(f"<title>{esc(title)}</title>")
    lines.append('<meta name="viewport" content="width=device-width, initial-scale=1">')
    if description:
        lines.append(f'<meta name="description" content="{esc(description)}">')
    if extra:
        lines.append(extra)
    lines.append('<link rel="stylesheet" href="/static/style.css">')
    lines.append("</head>")
    return "\n".join(lines)


# --------------------------------------------------------------------------
# article texts
# --------------------------------------------------------------------------
def read_sample(name: str) -> list[str]:
    text = (SAMPLES / name).read_text(encoding="utf-8")
    return text.split("\n")


HEADING2 = re.compile(r"^[一二三四五六七八九十]+、")
HEADING3 = re.compile(r"^\d+\.\d+ ")


def sample_body_html(lines: list[str]) -> str:
    """Sample lines -> content-farm markup; every character kept as recorded."""
    out = []
    for line in lines:
        if not line:
            continue
        e = esc(line, quote=False)
        if line.startswith("小編導"):
            out.append(f'<p class="daoyu"><strong>{e}</strong></p>')
        elif HEADING2.match(line):
            out.append(f"<h2>{e}</h2>")
        elif HEADING3.match(line):
            out.append(f"<h3>{e}</h3>")
        elif line.startswith("責"):
            out.append(f'<p class="editor">{e}</p>')
        elif line.startswith(("特別聲明", "內")) and ("聲明" in line or "侵權" in line):
            out.append(f'<p class="statement">{e}</p>')
        else:
            out.append(f"<p>{e}</p>")
    return "\n".join(out)


def paras_html(paras: list[str]) -> str:
    return "\n".join(f"<p>{esc(p, quote=False)}</p>" for p in paras)


A1003 = [
    "去年三月，我在安逸花上借了一万二，分十二期还。前面半年一直按时还款，今年八月工厂停工，收入一下子断了，从九月开始逾期。说实话我也想还，只是手头确实拿不出这笔钱。",
    "逾期第三天起，催收就打电话来要求还款。我解释了自己的情况，希望能延期或者协商分期，对方根本不听，只说让我当天之内结清。",
    "逾期二十天左右，我发现自己的通讯录被爆了。我表哥、高中同学、以前的房东，甚至只存了号码从没联系过的人，都收到了短信，内容是说我欠款逾期，让他们转告我尽快处理。好几个亲戚打电话来问我是不是出了什么事，我真的抬不起头。",
    "上个月更过分。一个陌生号码打过来，对方自称是公安局经侦大队的警官，说安逸花已经向他们报案，要派警察上门找我了解情况，还报了一个警号。我去派出所问过，民警说根本没有这回事，公安机关也不会替网贷公司催收，这就是冒充公检法。",
    "前几天，两个自称外访专员的人真的上门了，在我家楼下等了整整一个下午，我不敢下楼，孩子放学都是托邻居接回来的。",
    "我在借呗的几笔欠款都已经按时还清了，只有安逸花这一笔逾期。我承认欠钱要还，但这样的催收方式已经严重影响了我和家人的生活。目前我已经向黑猫投诉平台和当地监管部门反映了情况，希望平台能停止这些做法，给我一个协商还款的机会。",
]

A1004 = [
    "2022年底，我在有钱花金融借了三万块钱，当时是为了给母亲交住院押金。刚开始每个月都能按时还，去年厂里裁员，我失业了将近半年，那段时间真的是没有钱花，连房租都是找朋友凑的，贷款自然就逾期了。",
    "逾期一个多月后，催收开始打电话到单位。第一次是打到前台，说找我有急事，前台把电话转给了我们部门领导。对方直接跟领导说我欠钱不还，让领导督促我还款。后来几乎每周都要打一两次，领导找我谈了好几次话，同事看我的眼神也变了。",
    "我跟催收协商过，问能不能先停息挂账，每个月先还一千，等找到稳定的工作再多还一些。对方说公司没有这个政策，语气很冲，说这个月再不还清，就让我在单位待不下去，到时候后果自负。",
    "我不否认这笔欠款，也一直在想办法还。只是希望有钱花金融能管一管外包的催收，不要再打扰我的领导和同事。现在我已经通过官方客服申请了协商还款，还在等回复，真的心累\U0001F61E。",
]

A1005 = [
    "今年四月，手机上弹出一个广告，说金狐贷“新用户秒批、最高五万”。我当时急用钱，就下载了这个App，申请了八千块，分三期还。审核通过后平台扣了一笔所谓的服务费，实际到账只有六千出头。",
    "第二期我晚了两天，逾期的当天晚上，金狐贷的催收就来了。",
    "最让人受不了的是时间。他们专挑半夜打，凌晨一两点、三四点，一个号码挂了马上换一个号码接着打，不停地打，一晚上二十多个电话，手机都快打爆了，老婆和孩子全被吵醒。",
    "电话一接通，对方张口就是脏话，辱骂我全家，那些话不堪入耳，我在这里没法写出来。我问他们是哪家公司的，对方只说是金狐贷的合作机构，不肯报名字，说完又是一通骂。",
    "第二天我把剩下的钱凑齐还上了，可是这几个晚上的经历到现在想起来还心慌。后来在网上一搜，被金狐贷半夜打电话、辱骂的人不在少数。我已经把通话录音都保存了下来，准备向有关部门投诉，也提醒大家不要随便点手机里弹出来的借款广告。",
]

A1006 = [
    "我在分*乐买了一部手机，分十二期付款，后来又借了两笔现金，加起来一万出头。今年过年前后家里出了事，三笔都逾期了，到现在差不多三个月。",
    "先说句公道话，他们倒是没有爆通讯录，我的家人和朋友到现在都没接到过他们的电话，这一点比我之前以为的要好。",
    "但是打给我本人的电话实在太多了。从早上八点半开始，一个接一个，我刚挂掉马上又打进来，上班的时候手机在口袋里一直震，一天下来少说也有几十个电话，短信也没停过。",
    "我跟客服说过，我不是不还，只是需要一点时间，能不能每个月先还一部分。客服说可以申请，但要先还清一期才能谈，我现在连一期都凑不出来。",
    "网上有人说分*乐的催收会去家里，听说有人会上门，我们小区也有人说见过外地来的催收员，我不知道是真是假，至少到现在还没有人来找过我。",
    "我现在每天都很焦虑，只想赶紧把钱还上，不要再被这样轰炸了。如果有同样情况的朋友，可以说说你们是怎么和平台协商的。",
]

PII_ID = "110105199003071239"       # 18 digits, valid check digit
PII_CARD = "6222021234567890128"    # 19 digits, Luhn-valid
PII_PHONE = "13812345678"
PII_QQ = "123456789"
PII_MAIL = "zhangsan_demo@163.com"

A1007 = [
    f"2023年6月，我在拍拍贷借了6000元，分6期，绑定的还款卡是我的工资卡，卡号{PII_CARD}。前三期都按时自动扣款，第四期因为工资晚发了半个月没扣上，就逾期了。",
    f"逾期第五天起，我的手机{PII_PHONE}就没消停过。有一个催收员在电话里把我的身份证号{PII_ID}一字不差地念了一遍，又念了我的银行卡号，说这些资料他们都有，如果月底前不还，就以涉嫌诈骗把材料交上去，让我去坐牢。",
    "我上网查了，正常的借款逾期属于民事纠纷，和诈骗根本不沾边，他这就是在吓人。",
    f"后来他们又在QQ上加我，我的QQ: {PII_QQ} 是上学时注册的，早就不用了，也不知道他们从哪里查到的。邮箱{PII_MAIL} 里也收到了好几封催款邮件，每一封都抄送了一个我不认识的地址。",
    "我已经把通话录音、聊天截图和邮件都保存下来了。欠的钱我会还，但拍拍贷的催收拿着我的身份证号和银行卡号这样逼我，我觉得已经越界了，希望平台给个说法。也提醒大家，身份证号和银行卡号这些信息不要随便发给陌生人。",
]

A1008 = [
    "去年我在微信裡開通了微粒貸，前後借了兩萬元，分二十期還款。今年初因為生意失敗，從三月份開始逾期，到現在已經五個月了。",
    "上個月我收到一封快遞，信封上印著某某律師事務所，裡面是一份律師函，說我惡意拖欠，限我七天內還清全部欠款，否則將向法院提起訴訟。我拿去問了一位做律師的朋友，他說這份律師函上沒有律師簽名和執業證號，律所的名字也查不到，多半是催收公司自己做的。",
    "不久之後，催收又直接打到公司，前台接的電話，對方說是微眾銀行法務部的，要找我核實欠款。前台把話傳到了部門主管那裡，現在公司裡不少人都知道我欠了網貸。",
    "我承認逾期是我的責任，也願意分期慢慢還，但偽造律師函、把電話打到工作單位這種做法，已經讓我在公司抬不起頭。希望微粒貸能管好合作的催收機構，也提醒大家收到類似的信件先去核實，不要被嚇到。現在我已經把信件和通話錄音都保存好了，準備向監管部門反映。",
]

A1009 = [
    "我是2023年在360借条借的钱，现在这个产品已经改名叫奇富借条了。当时借了一万五，分十二期。去年十月开始逾期，一直到现在。",
    "今年二月，催收在电话里说，如果再不还，就把我的照片做成“通缉令”。我以为只是说说而已，没想到三天后，一个初中同学把一张图片转给我看：上面是我的照片，被P图加上了“通缉令”三个大字，下面写着我的名字、身份证号和欠款金额，说我是“老赖”，已经发到群里了。",
    "我打电话质问催收，对方说图是外包公司做的，和他们没有关系，让我有意见先把钱还了再说。",
    "那几天我不停收到同学的消息，有人关心我，也有人说风凉话。我翻了翻群里的记录，图片是一个陌生账号发的，发完就退群了。群主说已经把图删掉，可是截图早就传开了。",
    "我现在每个月工资只有四千多，房租就要一千五，实在没有能力一次性还清。我愿意协商分期，但是这种把人P成通缉犯的做法，真的让我在同学面前抬不起头，我也不知道",
]
# 1009 is cut inside the last word of the last paragraph (in the middle of a
# UTF-8 sequence): the stored body ends with A1009_LAST_WHOLE.
A1009_LAST_WHOLE = "真的让我在同学面前抬不起头"

# --------------------------------------------------------------------------
# page registry
# --------------------------------------------------------------------------
TITLES_S = {  # the Simplified title every list page shows
    1001: "极融借款催收态度恶劣",
    1002: "众信金融疯狂催收",
    1003: "安逸花逾期两个月，催收爆通讯录还冒充公安说要派警察上门",
    1004: "借了三万逾期半年，催收天天把电话打到单位",
    1005: "金狐贷暴力催收，半夜打电话辱骂",
    1006: "分*乐逾期三个月，催收每天不停打电话",
    1007: "拍拍贷逾期后，催收念出我的身份证号说要让我坐牢",
    1008: "微粒贷逾期后收到假律师函，催收还打到公司",
    1009: "360借条逾期后，催收P图做成通缉令发到群里",
    1010: "厚本金融疯狂催收",
}
TEASERS = {
    1001: "极融借款的催收态度为何饱受诟病？原因、影响与应对。",
    1002: "众信金融催收引发争议，本文从多个角度分析。",
    1003: "网友投诉：逾期后亲戚同学都收到了短信……",
    1004: "失业后贷款逾期，领导接到了催收的电话。",
    1005: "凌晨一两点接到催收电话，对方张口就骂。",
    1006: "网友说：电话太多了，一天几十个。",
    1007: "逾期一个月，催收把身份证号念了出来。",
    1008: "一封查不到律所的律师函，一通打到前台的电话。",
    1009: "照片被做成“通缉令”发到了同学群。",
    1010: "厚本金融催收引发争议，本文从多个角度分析。",
}
DATES = {1001: "2025-06-03", 1002: "2025-08-17", 1003: "2024-11-05", 1004: "2024-09-12",
         1005: "2025-07-21", 1006: "2025-03-09", 1007: "2025-01-15", 1008: "2024-12-20",
         1009: "2025-04-02", 1010: "2025-09-02"}

_t2s = _s2t = None


def s2t(text: str) -> str:
    global _s2t
    if _s2t is None:
        import opencc
        _s2t = opencc.OpenCC("s2tw")
    return _s2t.convert(text)


def t2s(text: str) -> str:
    global _t2s
    if _t2s is None:
        import opencc
        _t2s = opencc.OpenCC("t2s")
    return _t2s.convert(text)


def art_link(n: int, sc: str) -> str:
    title = TITLES_S[n] if sc == "s" else s2t(TITLES_S[n])
    return f'<a href="/a/{n}.html">{esc(title)}</a>'


def sidebar(sc: str, hot: list[int], related: list[str]) -> str:
    c = CHROME[sc]
    i = 0 if sc == "s" else 1
    hot_li = "\n".join(f"      <li>{art_link(n, sc)}</li>" for n in hot)
    rel_li = "\n".join(f'      <li><a href="/tag/cuishou.html#{k}">{RELATED[k][i]}</a></li>'
                       for k in related)
    return f"""<aside class="sidebar">
  <div class="widget hot">
    <h3>{c['hot']}</h3>
    <ul>
{hot_li}
    </ul>
  </div>
  <div class="widget related">
    <h3>{c['related']}</h3>
    <ul>
{rel_li}
    </ul>
  </div>
</aside>"""


def prev_next(sc: str, prev: int | None, nxt) -> str:
    c = CHROME[sc]
    p = art_link(prev, sc) if prev else c["none"]
    if isinstance(nxt, int):
        n = art_link(nxt, sc)
    elif isinstance(nxt, str):  # a key of RELATED (the recorded 下一篇 of a sample)
        n = f'<a href="/tag/cuishou.html#{nxt}">{RELATED[nxt][0 if sc == "s" else 1]}</a>'
    else:
        n = c["none"]
    return f"""<div class="pre-next">
  <p>{c['prev']}:{p}</p>
  <p>{c['next']}:{n}</p>
</div>"""


def article_page(*, sc: str, title: str, charset_meta: str, meta_line: str, content: str,
                 hot: list[int], related: list[str], prev, nxt, extra_head: str = "",
                 description: str = "") -> str:
    c = CHROME[sc]
    meta_html = f'<div class="article-meta">{meta_line}</div>\n' if meta_line else ""
    return f"""{head(f"{title}_{c['site']}", charset_meta, extra_head, description)}
<body>
{header(sc)}
{breadcrumb(sc)}
<div class="container">
<main class="main">
<article class="article">
<h1 class="article-title">{esc(title, quote=False)}</h1>
{meta_html}<div class="article-content">
{content}
</div>
{prev_next(sc, prev, nxt)}
</article>
</main>
{sidebar(sc, hot, related)}
</div>
{footer(sc)}
</body>
</html>
"""


META_UTF8 = '<meta charset="utf-8">'


def build_pages() -> dict[str, bytes]:
    """Return {relative path: bytes} for the whole site."""
    pages: dict[str, bytes] = {}

    # ---- a/1001.html: Traditional sample with pinyin, UTF-8, declared ----
    lines = read_sample("jirong-cuishou-taidu.txt")
    title = lines[0]
    body = sample_body_html(lines[1:])
    pages["a/1001.html"] = article_page(
        sc="t", title=title, charset_meta=META_UTF8,
        meta_line='<span class="date">2025-06-03 14:22:10</span> <span class="author">作者:小編</span> <span class="views">閱讀:1386</span>',
        content=body, hot=[1003, 1005, 1008, 1009], related=["jdjt", "jiebei", "weilidai"],
        prev=None, nxt=1002,
        extra_head='<meta name="keywords" content="催收,網貸,逾期,借款">',
    ).encode("utf-8")

    # ---- a/1002.html: Traditional sample, Big5, NO declaration ----
    lines = read_sample("zhongxin-fengkuang-cuishou.txt")
    title, info = lines[0], lines[1]
    assert info.startswith("發") and lines[-1].startswith("下一篇:京東金條貸款怎樣借")
    body = sample_body_html([x for x in lines[2:-1]])
    html_1002 = article_page(
        sc="t", title=title, charset_meta="",
        meta_line=f'<span class="info">{esc(info, quote=False)}</span>',
        content=body, hot=[1001, 1004, 1006, 1007], related=["jiebei", "huabei", "weilidai"],
        prev=1001, nxt="jdjt",
    )
    pages["a/1002.html"] = html_1002.encode("big5", errors="xmlcharrefreplace")

    # ---- a/1003.html: Simplified, GBK, http-equiv declaration ----
    pages["a/1003.html"] = article_page(
        sc="s", title=TITLES_S[1003],
        charset_meta='<meta http-equiv="Content-Type" content="text/html; charset=gbk">',
        meta_line='<span class="date">2024年11月05日</span> <span class="source">来源：网友投稿</span>',
        content=paras_html(A1003), hot=[1004, 1006, 1007, 1008], related=["jdjt", "weilidai", "haoqidai"],
        prev=1002, nxt=1004, description=TEASERS[1003],
    ).encode("gbk")

    # ---- a/1004.html: Simplified, GB18030 (one 4-byte char), NO declaration;
    #      date only in article:published_time; lender only in the body ----
    pages["a/1004.html"] = article_page(
        sc="s", title=TITLES_S[1004], charset_meta="",
        meta_line='<span class="views">阅读 2471</span>',
        content=paras_html(A1004), hot=[1003, 1005, 1007, 1009], related=["jiebei", "haoqidai", "huabei"],
        prev=1003, nxt=1005,
        extra_head='<meta property="og:type" content="article">\n'
                   '<meta property="article:published_time" content="2024-09-12T08:30:00+08:00">',
    ).encode("gb18030")

    # ---- a/1005.html: unknown lender 金狐贷, UTF-8 declared ----
    pages["a/1005.html"] = article_page(
        sc="s", title=TITLES_S[1005], charset_meta=META_UTF8,
        meta_line='<time datetime="2025-07-21T23:05:00+08:00">2025-07-21 23:05</time> <span class="author">作者：匿名网友</span>',
        content=paras_html(A1005), hot=[1003, 1006, 1008, 1009], related=["jdjt", "jiebei", "weilidai"],
        prev=1004, nxt=1006, description=TEASERS[1005],
    ).encode("utf-8")

    # ---- a/1006.html: masked 分*乐, negated/hearsay tactics, UTF-8 NOT declared ----
    pages["a/1006.html"] = article_page(
        sc="s", title=TITLES_S[1006], charset_meta="",
        meta_line='<span class="date">发布日期：2025/03/09 10:12</span>',
        content=paras_html(A1006), hot=[1003, 1004, 1005, 1007], related=["jiebei", "huabei", "weilidai"],
        prev=1005, nxt=1007,
    ).encode("utf-8")

    # ---- a/1007.html: PII in the body, UTF-8 declared ----
    pages["a/1007.html"] = article_page(
        sc="s", title=TITLES_S[1007], charset_meta=META_UTF8,
        meta_line='<span class="date">2025-01-15 09:40</span> <span class="source">来源：用户投稿</span>',
        content=paras_html(A1007), hot=[1003, 1005, 1006, 1009], related=["jdjt", "weilidai", "haoqidai"],
        prev=1006, nxt=1008,
    ).encode("utf-8")

    # ---- a/1008.html: own Traditional text, Big5, <meta charset="big5"> ----
    title_1008 = "微粒貸逾期後收到假律師函，催收還打到公司"
    html_1008 = article_page(
        sc="t", title=title_1008, charset_meta='<meta charset="big5">',
        meta_line='<span class="date">發佈時間：2024-12-20</span> <span class="source">來源：用戶投稿</span>',
        content=paras_html(A1008), hot=[1003, 1005, 1006, 1007], related=["jdjt", "jiebei", "haoqidai"],
        prev=1007, nxt=1009,
    )
    raw_1008 = html_1008.encode("big5", errors="strict")  # own text: must be pure Big5
    pages["a/1008.html"] = raw_1008

    # ---- a/1009.html: truncated transfer, UTF-8 declared ----
    full_1009 = article_page(
        sc="s", title=TITLES_S[1009], charset_meta=META_UTF8,
        meta_line='<span class="date">2025-04-02 16:08:33</span> <span class="author">作者：网友投稿</span>',
        content=paras_html(A1009), hot=[1003, 1004, 1007, 1008], related=["jiebei", "weilidai", "huabei"],
        prev=1008, nxt=1010,
    ).encode("utf-8")
    cut_after = full_1009.index(A1009_LAST_WHOLE.encode("utf-8")) + len(A1009_LAST_WHOLE.encode("utf-8"))
    # keep the last whole word, then one byte of the next character (a broken sequence)
    pages["a/1009.html"] = full_1009[:cut_after + 1]

    # ---- a/1010.html: the 1002 template with the lender swapped, Simplified, UTF-8 ----
    lines = read_sample("zhongxin-fengkuang-cuishou.txt")
    conv = [t2s(x).replace("众信金融", "厚本金融") for x in lines]
    assert conv[0] == TITLES_S[1010], conv[0]
    pages["a/1010.html"] = article_page(
        sc="s", title=conv[0], charset_meta=META_UTF8,
        meta_line='<span class="info">发布时间:2025-09-02 | 来源:网络整理</span>',
        content=sample_body_html(conv[2:-1]), hot=[1003, 1005, 1006, 1008], related=["jdjt", "jiebei", "huabei"],
        prev=1009, nxt="weilidai",
    ).encode("utf-8")

    # ---- non-article pages (UTF-8) ----
    pages["index.html"] = list_page(
        "理财知识网 - 网贷催收投诉_逾期协商_贷款知识", "最新文章",
        [(f"a/{n}.html" + ("?from=index" if n == 1003 else ""), n) for n in range(1001, 1009)],
        pager='<span class="current">1</span> <a href="list_2.html">2</a> <a href="list_2.html">下一页</a>',
        base_prefix="",
    ).encode("utf-8")
    pages["list_2.html"] = list_page(
        "最新文章_第2页_理财知识网", "最新文章（第2页）",
        [("a/1009.html", 1009), ("a/1010.html", 1010), ("a/1003.html", 1003),
         ("a/9999.html", None)],
        pager='<a href="index.html">上一页</a> <a href="index.html">1</a> <span class="current">2</span>',
        base_prefix="",
        friends='<div class="friend-links"><h3>友情链接</h3><ul><li><a href="http://example.com/news/2025/0101.html">示例财经网</a></li></ul></div>',
    ).encode("utf-8")
    pages["tag/cuishou.html"] = list_page(
        "催收投诉_标签_理财知识网", "标签：催收投诉",
        [("../a/1001.html", 1001), ("../a/1002.html", 1002),
         ("../a/1005.html?utm_source=tag&utm_medium=list", 1005), ("../a/1006.html", 1006),
         ("../a/1008.html", 1008), ("../a/1010.html", 1010)],
        pager='<span class="current">1</span>',
        base_prefix="../",
        extra=TOPICS_BLOCK,
    ).encode("utf-8")
    pages["about.html"] = ABOUT.encode("utf-8")
    pages["static/style.css"] = STYLE.encode("utf-8")
    return pages


TOPICS_BLOCK = "\n".join(
    ['<div class="topics" id="more"><h3>专题（即将上线）</h3><ul>']
    + [f'<li id="{k}">{v[0]}</li>' for k, v in RELATED.items()]
    + ["</ul></div>"])

DEAD_TITLE = "宜人贷逾期协商成功经验分享"


def list_page(title: str, heading: str, items, pager: str, base_prefix: str,
              friends: str = "", extra: str = "") -> str:
    lis = []
    for href, n in items:
        if n is None:
            lis.append(f'  <li><a href="{esc(href)}">{DEAD_TITLE}</a><p class="teaser">网友分享的协商经验。</p><span class="date">2024-08-30</span></li>')
        else:
            lis.append(f'  <li><a href="{esc(href)}">{esc(TITLES_S[n])}</a><p class="teaser">{esc(TEASERS[n])}</p><span class="date">{DATES[n]}</span></li>')
    items_html = "\n".join(lis)
    crumb = f'<div class="breadcrumb"><a href="/index.html">首页</a> &gt; {heading}</div>'
    return f"""{head(title, META_UTF8, '<meta name="keywords" content="网贷,催收,逾期,协商还款">')}
<body>
{header('s')}
{crumb}
<div class="container">
<main class="main">
<h1>{heading}</h1>
<ul class="article-list">
{items_html}
</ul>
<div class="pager">{pager}</div>
{extra}
</main>
<aside class="sidebar">
  <div class="widget tags"><h3>热门标签</h3><p><a href="{base_prefix}tag/cuishou.html">催收投诉</a> <a href="{base_prefix}list_2.html">网贷知识</a> <a href="{base_prefix}about.html">投稿须知</a></p></div>
{friends}
</aside>
</div>
{footer('s')}
</body>
</html>
"""


ABOUT = f"""{head("关于我们_理财知识网", META_UTF8)}
<body>
{header('s')}
<div class="breadcrumb"><a href="/index.html">首页</a> &gt; 关于我们</div>
<div class="container">
<main class="main">
<h1>关于我们</h1>
<div class="page-content">
<p>理财知识网是一个分享个人理财和借贷常识的网站，内容来自编辑整理和网友投稿。</p>
<p id="contact">投稿和合作请发邮件，我们会在三个工作日内回复。</p>
<p id="disclaimer">本站文章仅供参考，不构成任何建议。</p>
</div>
</main>
</div>
{footer('s')}
</body>
</html>
"""

STYLE = """body{margin:0;font:15px/1.7 "PingFang SC","Microsoft YaHei",sans-serif;color:#333;background:#f5f5f5}
a{color:#1a5fb4;text-decoration:none}
.site-header{display:flex;align-items:center;gap:24px;padding:10px 24px;background:#c8102e}
.site-header a{color:#fff}.logo{font-size:20px;font-weight:bold}
.main-nav ul{display:flex;gap:16px;list-style:none;margin:0;padding:0}
.breadcrumb{padding:8px 24px;font-size:13px;color:#888}
.container{display:flex;gap:24px;padding:0 24px}
.main{flex:3;background:#fff;padding:16px 24px}.sidebar{flex:1}
.widget{background:#fff;padding:8px 16px;margin-bottom:16px}
.article-meta,.date{color:#999;font-size:13px}
.teaser{margin:2px 0;color:#666;font-size:13px}
.site-footer{margin-top:24px;padding:16px;text-align:center;font-size:12px;color:#999;background:#eee}
"""

# --------------------------------------------------------------------------
# the oracle
# --------------------------------------------------------------------------
ARTICLES = {
    1001: dict(
        title="极融借款催收态度恶劣", published_at="2025-06-03",
        subject=["极融借款"], tactics=["T05", "T06", "T11"], not_tactics=[],
        optional_tactics=["T01"],
        encoding="utf-8", charset_declared=True,
        body_must_contain=["极融借款作为其中的一员", "催收问也逐渐浮出水面", "催收、短信催收、上门催收等"],
        body_must_not_contain=["(tài)", "小编导语", "小编总结", "责任编辑", "特别声明", "内容侵权", "15070879527",
                               "热门文章", "下一篇", "问题也逐渐", "电话催收、短信催收"],
        pii=["15070879527", "3590931873@qq.com"],
        tests="Traditional sample with inline pinyin and censored gaps, content-farm boilerplate, UTF-8 declared",
    ),
    1002: dict(
        title="众信金融疯狂催收", published_at="2025-08-17",
        subject=["众信金融"], tactics=["T02", "T06"], not_tactics=[],
        optional_tactics=["T01", "T03", "T10"],
        encoding="big5", charset_declared=False,
        body_must_contain=["众信金融作为一家知名的互联网金融公司", "可能引发法律***"],
        body_must_not_contain=["发布时间", "来源:", "小编总结", "下一篇", "京东金条", "&#"],
        tests="Traditional sample in Big5 without any charset declaration; 下一篇 names 京东金条",
    ),
    1003: dict(
        title=TITLES_S[1003], published_at="2024-11-05",
        subject=["安逸花"], tactics=["T03", "T08", "T11"], not_tactics=[],
        encoding="gbk", charset_declared=True,
        body_must_contain=["对方自称是公安局经侦大队的警官", "我在借呗的几笔欠款都已经按时还清了"],
        body_must_not_contain=["热门文章", "相关推荐", "上一篇", "微粒贷额度怎么提升"],
        tests="GBK via http-equiv; Chinese date format; 借呗 named in passing; reached with and without ?from=index",
    ),
    1004: dict(
        title=TITLES_S[1004], published_at="2024-09-12",
        subject=["有钱花"], tactics=["T04", "T06"], not_tactics=[],
        optional_tactics=["T01"],  # the title says the workplace was called 天天 (daily)
        encoding="gb18030", charset_declared=False,
        body_must_contain=["我在有钱花金融借了三万块钱", "那段时间真的是没有钱花"],
        body_must_not_contain=["热门文章", "阅读 2471"],
        lender_surfaces={"有钱花": ["有钱花"]},
        must_not_discover=["有钱花金融"],
        hazard_phrases=["没有钱花"],
        tests="GB18030 (one 4-byte emoji) without declaration; date only in article:published_time; subject only in the body as 有钱花金融; hazard 没有钱花",
    ),
    1005: dict(
        title=TITLES_S[1005], published_at="2025-07-21",
        subject=["金狐贷"], subject_known=False, tactics=["T01", "T02", "T05", "T13"], not_tactics=[],
        encoding="utf-8", charset_declared=True,
        body_must_contain=["金狐贷的合作机构", "实际到账只有六千出头"],
        body_must_not_contain=["热门文章", "京东金条贷款怎样借"],
        tests="lender absent from lenders.csv (discovery from XX贷 + 催收 context); known lenders only in the sidebar; reached with and without utm_ parameters",
    ),
    1006: dict(
        title=TITLES_S[1006], published_at="2025-03-09",
        subject=["分期乐"], tactics=["T01"], not_tactics=["T03", "T11"],
        encoding="utf-8", charset_declared=False,
        body_must_contain=["他们倒是没有爆通讯录", "听说有人会上门"],
        body_must_not_contain=["热门文章"],
        lender_surfaces={"分期乐": ["分*乐"]},
        tests="masked lender 分*乐; negated (没有爆通讯录) and hearsay (听说有人会上门) tactics; UTF-8 undeclared",
    ),
    1007: dict(
        title=TITLES_S[1007], published_at="2025-01-15",
        subject=["拍拍贷"], tactics=["T07"], not_tactics=[],
        encoding="utf-8", charset_declared=True,
        body_must_contain=["正常的借款逾期属于民事纠纷"],
        body_must_not_contain=["热门文章"],
        pii=[PII_PHONE, PII_ID, PII_CARD, PII_QQ, PII_MAIL],
        tests="PII in the body: mobile, 18-digit ID (valid check digit), 19-digit bank card (Luhn-valid), QQ, e-mail",
    ),
    1008: dict(
        title="微粒贷逾期后收到假律师函，催收还打到公司", published_at="2024-12-20",
        subject=["微粒贷"], tactics=["T04", "T09"], not_tactics=[],
        encoding="big5", charset_declared=True,
        body_must_contain=["对方说是微众银行法务部的"],
        body_must_not_contain=["热门文章", "发布时间"],
        lender_surfaces={"微粒贷": ["微粒贷", "微众银行"]},
        tests="own Traditional text in Big5 with <meta charset=big5>; the subject also as its bank 微眾銀行",
    ),
    1009: dict(
        title=TITLES_S[1009], published_at="2025-04-02",
        subject=["360借条"], tactics=["T10"], not_tactics=[],
        encoding="utf-8", charset_declared=True, truncated=True,
        body_must_contain=["已经发到群里了", A1009_LAST_WHOLE],
        body_must_not_contain=[],
        lender_surfaces={"360借条": ["360借条", "奇富借条"]},
        tests="truncated transfer: cut inside the body in the middle of a UTF-8 character, no closing tags, no sidebar/footer",
    ),
    1010: dict(
        title=TITLES_S[1010], published_at="2025-09-02",
        subject=["厚本金融"], tactics=["T02", "T06"], not_tactics=[],
        optional_tactics=["T01", "T03", "T10"],
        encoding="utf-8", charset_declared=True,
        template_of="/a/1002.html",
        body_must_contain=["厚本金融作为一家知名的互联网金融公司"],
        body_must_not_contain=["众信金融", "下一篇", "微粒贷额度怎么提升"],
        tests="content-farm template: the text of 1002 in Simplified with the lender swapped (flag as template, keep as its own post)",
    ),
}
NON_ARTICLES = ["/index.html", "/list_2.html", "/tag/cuishou.html", "/about.html"]
MISSING = ["/a/9999.html"]
EXTERNAL = ["http://example.com/news/2025/0101.html"]


class _Links(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            for k, v in attrs:
                if k == "href" and v:
                    self.hrefs.append(v)


def decode_page(path: str, raw: bytes) -> str:
    n = int(re.search(r"(\d{4})\.html$", path).group(1)) if path.startswith("a/") else None
    enc = ARTICLES[n]["encoding"] if n else "utf-8"
    return raw.decode(enc, errors="replace" if n == 1009 else "strict")


def link_graph(pages: dict[str, bytes]) -> dict[str, set[str]]:
    """article path -> every URL (path + query) linking to it on the site."""
    found: dict[str, set[str]] = {}
    for path, raw in pages.items():
        if not path.endswith(".html"):
            continue
        p = _Links()
        p.feed(decode_page(path, raw))
        base = "http://demo.local/" + path
        for href in p.hrefs:
            url, _ = urldefrag(urljoin(base, href))
            parts = urlsplit(url)
            if parts.netloc != "demo.local":
                continue
            target = parts.path
            full = target + ("?" + parts.query if parts.query else "")
            found.setdefault(target, set()).add(full)
    return found


def load_registry() -> dict[str, str]:
    surf = {}
    with open(LENDERS_CSV, encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            names = [row["canonical"]] + [a for a in row["aliases"].split("|") if a]
            for a in names:
                surf[a.lower()] = row["canonical"]
    return surf


PINYIN = re.compile(r"(?<=[\u3400-\u9fff])[(（][a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]{1,7}[)）]")


class _Text(HTMLParser):
    """Split a page's text into body (h1 + article-content) and chrome."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.body: list[str] = []
        self.chrome: list[str] = []
        self.depth_body = None
        self.in_h1 = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in ("meta", "link", "br", "input", "img"):
            if tag == "meta" and a.get("name") == "description":
                self.chrome.append(a.get("content", ""))
            return
        self.stack.append(tag)
        if self.depth_body is None and "article-content" in (a.get("class") or ""):
            self.depth_body = len(self.stack)
        if tag == "h1":
            self.in_h1 = True

    def handle_endtag(self, tag):
        if self.stack and self.stack[-1] == tag:
            if self.depth_body == len(self.stack):
                self.depth_body = None
            self.stack.pop()
        if tag == "h1":
            self.in_h1 = False

    def handle_data(self, data):
        if "title" in self.stack[-1:] or "style" in self.stack[-1:]:
            return
        (self.body if (self.depth_body or self.in_h1) else self.chrome).append(data)


def simplify(text: str) -> str:
    return t2s(PINYIN.sub("", text))


def find_lenders(text: str, reg: dict[str, str]) -> dict[str, set[str]]:
    """Longest match, left to right; 有钱花 inside 没有钱花 is not a match."""
    low = text.lower()
    keys = sorted(reg, key=len, reverse=True)
    out: dict[str, set[str]] = {}
    i = 0
    while i < len(low):
        for k in keys:
            if low.startswith(k, i):
                if k == "有钱花" and i > 0 and low[i - 1] == "没":
                    continue
                out.setdefault(reg[k], set()).add(text[i:i + len(k)])
                i += len(k)
                break
        else:
            i += 1
    return out


def tactic_hits(text: str) -> dict[str, list[str]]:
    hits: dict[str, list[str]] = {}
    with open(TACTICS_CSV, encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            for kw in row["keywords"].split("|"):
                if kw and kw in text:
                    hits.setdefault(row["code"], []).append(kw)
    return hits


def expected(pages: dict[str, bytes], report: bool = False) -> dict:
    reg = load_registry()
    reg["金狐贷"] = "金狐贷"  # the discovered brand
    graph = link_graph(pages)
    problems = []
    arts = []
    for n, spec in ARTICLES.items():
        path = f"a/{n}.html"
        t = _Text()
        t.feed(decode_page(path, pages[path]))
        body = simplify("\n".join(t.body))
        chrome = simplify("\n".join(t.chrome))
        body_l = find_lenders(body, reg)
        chrome_l = find_lenders(chrome, reg)
        subject = spec["subject"]
        for s in subject:
            if s not in body_l:
                problems.append(f"{n}: subject {s} not found in body")
        in_body = sorted(set(body_l) - set(subject))
        mentioned = sorted((set(body_l) | set(chrome_l)) - set(subject))
        hits = tactic_hits(body)
        allowed = set(spec["tactics"]) | set(spec["not_tactics"]) | set(spec.get("optional_tactics", []))
        for code in hits:
            if code not in allowed and not (code == "T15" and spec["tactics"]):
                problems.append(f"{n}: keyword hit {code} {hits[code]} not accounted for")
        for code in spec["tactics"] + spec["not_tactics"]:
            if code not in hits:
                problems.append(f"{n}: {code} has no trigger phrase in the body")
        for s in spec["body_must_contain"]:
            if s not in body:
                problems.append(f"{n}: body lacks {s!r}")
        title = simplify("".join(_h1(pages, path)))
        if title != spec["title"]:
            problems.append(f"{n}: title {title!r} != {spec['title']!r}")
        cjk = len(re.findall(r"[\u4e00-\u9fff]", body))
        if report:
            print(f"{n}: {cjk} CJK chars; body lenders {dict((k, sorted(v)) for k, v in body_l.items())}; "
                  f"chrome lenders {sorted(chrome_l)}; keyword hits {hits}")
        item = {
            "path": "/" + path,
            "title": spec["title"],
            "published_at": spec["published_at"],
            "subject": subject,
            "mentioned": mentioned,
            "mentioned_in_body": in_body,
            "tactics": spec["tactics"],
            "not_tactics": spec["not_tactics"],
            "urls": sorted(graph.get("/" + path, set())),
        }
        for k in ("optional_tactics", "subject_known", "encoding", "charset_declared", "truncated",
                  "template_of", "lender_surfaces", "must_not_discover", "hazard_phrases", "body_must_contain",
                  "body_must_not_contain", "pii", "tests"):
            if k in spec:
                item[k] = spec[k]
        item.setdefault("subject_known", True)
        arts.append(item)
    for p in NON_ARTICLES:
        if p not in graph:
            problems.append(f"non-article {p} is not linked")
    for p in MISSING:
        if p not in graph or (SITE / p.lstrip("/")).exists() or p.lstrip("/") in pages:
            problems.append(f"missing page {p} must be linked and absent")
    return {
        "site": "demo/site (web root); serve with python -m http.server --directory demo/site",
        "articles": arts,
        "non_articles": NON_ARTICLES,
        "missing": MISSING,
        "external": EXTERNAL,
        "notes": [
            "subject/mentioned use canonical names from lenders.csv; 金狐贷 is not in the registry and must be discovered",
            "mentioned = every other lender named anywhere on the page (sidebar, 上一篇/下一篇, description, or the body in passing); "
            "mentioned_in_body = those named in the article text itself. None of them may be a subject.",
            "tactics are codes of tactics.csv the text supports; not_tactics are negated or hearsay and must not be tagged; "
            "optional_tactics are defensible either way (the censored word 电话, information passed to third parties) and are not scored",
            "T15 is never expected here: every article names a specific tactic",
            "pii strings must not appear in the public database",
        ],
    }, problems


def _h1(pages, path):
    class H(HTMLParser):
        def __init__(self):
            super().__init__(convert_charrefs=True)
            self.on = False
            self.out = []

        def handle_starttag(self, tag, attrs):
            self.on = self.on or tag == "h1"

        def handle_endtag(self, tag):
            if tag == "h1":
                self.on = False

        def handle_data(self, d):
            if self.on:
                self.out.append(d)
    h = H()
    h.feed(decode_page(path, pages[path]))
    return h.out


def main(argv: list[str]) -> int:
    check = "--check" in argv
    pages = build_pages()
    exp, problems = expected(pages, report=True)
    exp_bytes = (json.dumps(exp, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    if check:
        for rel, raw in pages.items():
            f = SITE / rel
            if not f.exists() or f.read_bytes() != raw:
                problems.append(f"{rel} differs from what build_site.py writes")
        if (HERE / "expected.json").read_bytes() != exp_bytes:
            problems.append("expected.json differs from what build_site.py writes")
    else:
        for rel, raw in pages.items():
            f = SITE / rel
            f.parent.mkdir(parents=True, exist_ok=True)
            f.write_bytes(raw)
        (HERE / "expected.json").write_bytes(exp_bytes)
        print(f"wrote {len(pages)} files under {SITE} and expected.json")
    for p in problems:
        print("PROBLEM:", p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
