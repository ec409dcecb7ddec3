"""Pure page parsing: HTML text -> title, date, main body, chrome and links.

No Scrapy here, so `pipelines.explain` and tests run it on a saved file. Whether a
page is an article is decided from its content (enough running text outside links,
a title, and a date or a long body), never from its URL.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import lxml.etree
import lxml.html

HAN = re.compile(r"[\u3400-\u9fff]")

# Elements that are never the article; their link texts are kept as chrome.
CHROME_TAGS = {"nav", "header", "footer", "aside", "form", "menu"}
DROP_TAGS = {"script", "style", "noscript", "iframe", "template", "svg", "select", "button", "textarea"}
CHROME_ATTR = re.compile(
    r"(^|[\s_-])(nav|navbar|menu|sidebar|side|aside|footer|header|topbar|breadcrumbs?|crumbs?|comments?|"
    r"related|recommend|tuijian|hot|rank|share|social|ads?|advert|banner|pagination|pager|copyright|"
    r"links|friendlink|tags?|prevnext|pre-next|widget)($|[\s_-])", re.I)
BLOCK_TAGS = {"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "section", "article",
              "blockquote", "pre", "dd", "dt", "ul", "ol", "table", "main", "hr", "figure", "figcaption"}
CANDIDATE_TAGS = {"div", "article", "section", "main", "td", "body"}

# Thresholds for "is this an article": Han characters of running text outside links.
MIN_ARTICLE_HAN = 150
LONG_ARTICLE_HAN = 500
MAX_LINK_DENSITY = 0.35

DATE_META = [
    "article:published_time", "og:published_time", "og:release_date", "pubdate", "publishdate",
    "publish_date", "publishtime", "datepublished", "date", "dc.date", "dc.date.issued", "sailthru.date",
]
DATE_PATTERNS = [
    # 发布时间: 2025-08-17 [12:00[:00]]
    re.compile(r"(?:发布时间|發布時間|發佈時間|发表时间|發表時間|时间|時間|日期)\s*[:：]\s*"
               r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:\s*(\d{1,2}):(\d{2})(?::(\d{2}))?)?"),
    # 2025-06-03 14:22:10 (author lines)
    re.compile(r"(?<!\d)(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?(?!\d)"),
    # 2024年11月05日 [14:22]
    re.compile(r"(?<!\d)(\d{4})年(\d{1,2})月(\d{1,2})日(?:\s*(\d{1,2}):(\d{2})(?::(\d{2}))?)?"),
    # bare 2025-08-17
    re.compile(r"(?<!\d)(20\d{2}|19\d{2})-(\d{1,2})-(\d{1,2})(?!\d)"),
]
ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?(.*)$")
TITLE_SPLIT = re.compile(r"\s*(?:[_|–—]|-\s)\s*")


@dataclass
class Page:
    title: str
    published_at: str | None
    body: str
    chrome: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    han_chars: int = 0
    link_density: float = 0.0
    is_article: bool = False
    why_not: str = ""


def parse_html(text: str) -> lxml.html.HtmlElement:
    text = re.sub(r"^\s*<\?xml[^>]*>", "", text)   # lxml refuses str input with an encoding declaration
    try:
        return lxml.html.document_fromstring(text or "<html></html>")
    except (lxml.etree.ParserError, ValueError):
        return lxml.html.document_fromstring("<html><body></body></html>")


def _tag(el) -> str:
    return el.tag.lower() if isinstance(el.tag, str) else ""


def block_text(el) -> str:
    """Text of an element with line breaks at block boundaries."""
    parts: list[str] = []

    def walk(node):
        tag = _tag(node)
        if tag in BLOCK_TAGS:
            parts.append("\n")
        if tag and node.text:
            parts.append(node.text)
        for child in node:
            walk(child)
            if child.tail:
                parts.append(child.tail)
        if tag in BLOCK_TAGS:
            parts.append("\n")

    walk(el)
    lines = (re.sub(r"[ \t\r\f\v\u00a0]+", " ", l).strip() for l in "".join(parts).split("\n"))
    return "\n".join(l for l in lines if l)


# Parts of the article itself, even when their class also says header/meta/tags:
# <div class="article-header"> holds the h1 and the date.
ARTICLE_ATTR = re.compile(r"article|post|entry|content|detail|main|text|arc|news", re.I)


def _is_chrome(el) -> bool:
    tag = _tag(el)
    attrs = " ".join(filter(None, (el.get("class"), el.get("id"), el.get("role"))))
    if tag in ("header", "footer") and any(_tag(a) == "article" for a in el.iterancestors()):
        return False          # <article><header><h1>…</h1><time>…</time></header>
    if tag in CHROME_TAGS:
        return True
    if not attrs or tag in ("body", "html") or ARTICLE_ATTR.search(attrs):
        return False
    return bool(CHROME_ATTR.search(attrs))


def _link_text_len(el) -> int:
    return sum(len(HAN.findall(a.text_content() or "")) for a in el.iter("a"))


def _own_text_len(el) -> int:
    """Han characters in the element's own paragraphs: text children and inline/p children,
    not nested containers (so the innermost block holding the article wins)."""
    total = len(HAN.findall(el.text or ""))
    for child in el:
        tag = _tag(child)
        if tag in ("p", "br", "span", "strong", "b", "em", "i", "font", "h2", "h3", "h4", "blockquote", "li", "ul", "ol"):
            text = child.text_content() or ""
            links = sum(len(HAN.findall(a.text_content() or "")) for a in child.iter("a")) if tag != "a" else 0
            total += len(HAN.findall(text)) - links
        total += len(HAN.findall(child.tail or ""))
    return total


def _iso(groups) -> str | None:
    y, mo, d, h, mi, s = (list(groups) + [None] * 6)[:6]
    try:
        y, mo, d = int(y), int(mo), int(d)
        if not (1990 <= y <= 2100 and 1 <= mo <= 12 and 1 <= d <= 31):
            return None
        if h is None:
            return f"{y:04d}-{mo:02d}-{d:02d}"
        return f"{y:04d}-{mo:02d}-{d:02d}T{int(h):02d}:{int(mi):02d}:{int(s or 0):02d}"
    except (TypeError, ValueError):
        return None


def date_from_text(text: str) -> str | None:
    """First date in running text: 发布时间 lines, author lines, 2024年11月05日, 2025-08-17."""
    for pattern in DATE_PATTERNS:
        m = pattern.search(text)
        if m:
            found = _iso(m.groups())
            if found:
                return found
    return None


def _date_from_meta(root) -> str | None:
    for meta in root.iter("meta"):
        key = (meta.get("property") or meta.get("name") or meta.get("itemprop") or "").lower()
        if key in DATE_META and meta.get("content"):
            value = meta.get("content").strip()
            m = ISO_DATE.match(value)
            if m:
                iso = _iso(m.groups()[:6])
                tz = (m.group(7) or "").strip()
                if iso and "T" in iso and re.fullmatch(r"Z|[+-]\d{2}:?\d{2}", tz):
                    iso += tz if tz != "Z" else "+00:00"
                return iso
            found = date_from_text(value)
            if found:
                return found
    for time_el in root.iter("time"):
        if time_el.get("datetime"):
            m = ISO_DATE.match(time_el.get("datetime").strip())
            if m:
                return _iso(m.groups()[:6])
    return None


def _title(root, main) -> str:
    for scope in (main, root):
        if scope is None:
            continue
        for h1 in scope.iter("h1"):
            text = " ".join((h1.text_content() or "").split())
            if text:
                return text
    for meta in root.iter("meta"):
        if (meta.get("property") or "").lower() == "og:title" and meta.get("content"):
            return meta.get("content").strip()
    title_el = root.find(".//title")
    if title_el is not None and title_el.text_content():
        return TITLE_SPLIT.split(title_el.text_content().strip())[0]
    return ""


def links(root, base_url: str) -> list[str]:
    out, seen = [], set()
    for a in root.iter("a"):
        href = (a.get("href") or "").strip()
        if not href or href.startswith(("javascript:", "mailto:", "tel:", "#")):
            continue
        url = urljoin(base_url, href).split("#")[0]
        if urlsplit(url).scheme in ("http", "https") and url not in seen:
            seen.add(url)
            out.append(url)
    return out


def extract_page(html: str, url: str) -> Page:
    """Everything the spider needs from one HTML page."""
    root = parse_html(html)
    page_links = links(root, url)
    for el in list(root.iter(*DROP_TAGS)):
        el.drop_tree()
    meta_date = _date_from_meta(root)
    chrome: list[str] = []
    for el in list(root.iter()):
        if _tag(el) and el.getparent() is not None and _is_chrome(el):
            chrome.extend(t for t in block_text(el).split("\n") if t)
            el.drop_tree()
    body_el = root.find(".//body") if root.find(".//body") is not None else root
    candidates = [el for el in body_el.iter() if _tag(el) in CANDIDATE_TAGS]
    main = max(candidates, key=_own_text_len, default=body_el)
    title = _title(root, main)
    text = block_text(main)
    han = len(HAN.findall(text))
    link_density = _link_text_len(main) / han if han else 1.0
    published = meta_date or date_from_text(text) or date_from_text(block_text(body_el))
    page = Page(title=title, published_at=published, body=text, chrome=chrome, links=page_links,
                han_chars=han, link_density=round(link_density, 3))
    page.is_article, page.why_not = _article_verdict(page)
    return page


def _article_verdict(page: Page) -> tuple[bool, str]:
    if not page.title:
        return False, "no title"
    if page.han_chars < MIN_ARTICLE_HAN:
        return False, f"only {page.han_chars} Han characters of running text (< {MIN_ARTICLE_HAN})"
    if page.link_density > MAX_LINK_DENSITY:
        return False, f"link density {page.link_density} (> {MAX_LINK_DENSITY}): a list page"
    dates = len(set(m.group(0) for m in DATE_PATTERNS[3].finditer(page.body)))
    if dates >= 3:
        return False, f"{dates} different dates in the main block: a list of entries"
    if not page.published_at and page.han_chars < LONG_ARTICLE_HAN:
        return False, f"no date and only {page.han_chars} Han characters (< {LONG_ARTICLE_HAN})"
    return True, ""


def article(html: str, url: str) -> Page | None:
    """The page if it is an article, else None (list, tag, about pages)."""
    page = extract_page(html, url)
    return page if page.is_article else None
