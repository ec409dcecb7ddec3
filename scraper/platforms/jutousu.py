"""聚投诉 (ts.21cn.com): URLs and response parsing, pure functions.

No verbatim 聚投诉 response exists in any public source (FORMATS.md, section 2):
the field names below come from the scrapers that used the API (S1, S2, S9, U5).
So the parsers are strict about what those scrapers relied on (`postList`, `post`,
`input#postKeyValue`) and *report* every key they did not expect, so the first
live run tells us what the real objects hold.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

from parsel import Selector

from . import (
    BLOCKED,
    LAYOUT_CHANGED,
    OK,
    REMOVED,
    Fetched,
    FormatMismatch,
    Outcome,
    challenge_outcome,
    decode_body,
    http_outcome,
    inline_text,
    iso_from_epoch,
    iso_from_text,
    load_json_or_jsonp,
    text_from_html,
)

SOURCE = "jutousu"
DEFAULT_BASE_URL = "https://ts.21cn.com"
LOGIN_WALL = "登录聚投诉"  # S1 and S2 stop on this text in list/search responses
LOGIN_MARKERS = re.compile(re.escape(LOGIN_WALL) + r"|passport\.21cn\.com|请先登录")

KNOWN_LIST_KEYS = frozenset("id ctime title shortTopic shuqiu username".split())
KNOWN_POST_KEYS = frozenset("id title topic username ctimeStr merchantname problemLabelList shuqiu contactway".split())


# ---------------------------------------------------------------------------
# URLs (S1, S2, S9)

def merchant_list_url(base_url: str, merchant_id: str, page: int, offset: str = "") -> str:
    """Merchant list page; `offset` is the cursor the previous page returned (empty
    on page 1, as S1 sends it)."""
    return (f"{base_url.rstrip('/')}/json/merchantPostList/merchantId/{merchant_id}"
            f"/listType/1/pageNo/{page}/offset/{quote(str(offset or ''), safe='')}")


def search_list_url(base_url: str, keyword: str, page: int) -> str:
    return f"{base_url.rstrip('/')}/front/api/search/searchPostList.do?" + urlencode(
        {"pageNo": page, "title": keyword, "listType": 1})


def referer(base_url: str, listing: str, ident: str) -> str:
    base = base_url.rstrip("/")
    if listing == "merchant":
        return f"{base}/merchant/show/id/{ident}"
    return f"{base}/home/search?{urlencode({'keyword': ident})}"


def detail_url(base_url: str, post_id: str) -> str:
    return f"{base_url.rstrip('/')}/tousu/show/id/{post_id}"


def content_url(base_url: str, post_key: str, endpoint: str = "api") -> str:
    """The post content API: 'api' is S1's 2019 `front/api/post/getPostContent.do`,
    'json' is S9's older `json/getPostContent/postKey/{key}`."""
    base = base_url.rstrip("/")
    if endpoint == "json":
        return f"{base}/json/getPostContent/postKey/{quote(post_key, safe='')}"
    return f"{base}/front/api/post/getPostContent.do?{urlencode({'postKey': post_key})}"


# ---------------------------------------------------------------------------
# parsing

@dataclass
class ListEntry:
    post_id: str
    title: str
    summary: str  # `shortTopic`: truncated with "...", double-escaped entities
    demand: str | None
    published_at: str | None


@dataclass
class ListPage:
    entries: list[ListEntry]
    offset: str | None  # cursor for the next merchant page
    notes: list[str] = field(default_factory=list)


def parse_list(text: str) -> ListPage:
    """A merchantPostList / searchPostList body -> ListPage.
    Raises FormatMismatch when there is no `postList` array."""
    data = load_json_or_jsonp(text)
    if not isinstance(data, dict) or not isinstance(data.get("postList"), list):
        keys = sorted(data) if isinstance(data, dict) else type(data).__name__
        raise FormatMismatch(f"no postList array (top level: {keys})")
    notes: list[str] = []
    entries = []
    for raw in data["postList"]:
        if not isinstance(raw, dict):
            notes.append("postList element is not an object")
            continue
        extra = sorted(set(raw) - KNOWN_LIST_KEYS)
        if extra:
            notes.append(f"unexpected postList keys: {', '.join(extra)}")
        post_id = str(raw.get("id") or "").strip()
        if not post_id.isdigit():
            notes.append(f"postList element without a numeric id: {raw.get('id')!r}")
            continue
        published = iso_from_epoch(raw.get("ctime"))
        if published is None and raw.get("ctime") not in (None, ""):
            notes.append(f"unparsable ctime {raw.get('ctime')!r}")
        entries.append(ListEntry(
            post_id=post_id,
            title=inline_text(raw.get("title")),
            summary=text_from_html(raw.get("shortTopic")),
            demand=inline_text(raw.get("shuqiu")) or None,
            published_at=published,
        ))
    offset = data.get("offset")
    return ListPage(entries, None if offset in (None, "") else str(offset), notes)


def parse_detail_page(text: str) -> str:
    """The complaint page `/tousu/show/id/{id}` -> its postKey (`input#postKeyValue`),
    the key of the content API (S1, S9). Raises FormatMismatch without it."""
    value = Selector(text=text).css("input#postKeyValue::attr(value)").get()
    if not value or not value.strip():
        raise FormatMismatch("complaint page without input#postKeyValue")
    return value.strip()


def parse_content(text: str) -> dict[str, Any]:
    """The content API body -> the complaint's fields.

    `post.topic` is the full text (HTML-ish), `merchantname` the 投诉对象,
    `problemLabelList[].name` the problem tags, `shuqiu` the 诉求 (S1, S9).
    `contactway` (the complainant's phone) is never read. Fields no source
    documents (status, amount, replies) are not guessed: they stay None.
    """
    data = load_json_or_jsonp(text)
    post = data.get("post") if isinstance(data, dict) else None
    if not isinstance(post, dict):
        keys = sorted(data) if isinstance(data, dict) else type(data).__name__
        raise FormatMismatch(f"no post object (top level: {keys})")
    if not isinstance(post.get("topic"), str):
        raise FormatMismatch(f"post without a topic text (keys: {sorted(post)})")
    notes: list[str] = []
    extra = sorted(set(post) - KNOWN_POST_KEYS)
    if extra:
        notes.append(f"unexpected post keys: {', '.join(extra)}")
    labels = post.get("problemLabelList")
    issue = None
    if isinstance(labels, list):
        names = [inline_text(label.get("name")) for label in labels if isinstance(label, dict)]
        issue = ",".join(n for n in names if n) or None
    elif labels is not None:
        notes.append(f"problemLabelList is not a list: {type(labels).__name__}")
    published = iso_from_text(post.get("ctimeStr")) or iso_from_epoch(post.get("ctimeStr"))
    if published is None and post.get("ctimeStr"):
        notes.append(f"unparsable ctimeStr {post.get('ctimeStr')!r}")
    return {
        "post_id": str(post.get("id")) if post.get("id") not in (None, "") else None,
        "title": inline_text(post.get("title")),
        "body": text_from_html(post["topic"]),
        "published_at": published,
        "target": inline_text(post.get("merchantname")) or None,
        "issue": issue,
        "demand": inline_text(post.get("shuqiu")) or None,
        "notes": notes,
    }


# ---------------------------------------------------------------------------
# what a response is

def inspect(kind: str, fetched: Fetched) -> Outcome:
    """Classify and parse one response. kind: 'list', 'detail' (the HTML page that
    holds the postKey) or 'content' (the post JSON).

    blocked:        456, 429, 401/403, redirect to a login page, `登录聚投诉` in a
                    list/content response, a login or captcha page in place of a complaint
    layout_changed: no postList (fatal), no postKey / no post (counted per complaint)
    removed:        the complaint page answers 404/410
    """
    by_status = http_outcome(fetched)
    if by_status is not None:
        return by_status
    text, _ = decode_body(fetched.body, fetched.header("content-type"))
    if kind == "detail" and fetched.status in (404, 410):
        return Outcome(REMOVED, f"http {fetched.status}")
    if fetched.status != 200:
        return Outcome("failed", f"http {fetched.status}")
    if kind == "list":
        if LOGIN_WALL in text:
            return Outcome(BLOCKED, f"login wall: list response contains {LOGIN_WALL!r}")
        try:
            listing = parse_list(text)
        except FormatMismatch as exc:
            return challenge_outcome(text, LOGIN_MARKERS, "a complaint list") or Outcome(
                LAYOUT_CHANGED, f"list response: {exc}", fatal=True)
        return Outcome(OK, parsed=listing, notes=list(listing.notes))
    if kind == "detail":
        try:
            return Outcome(OK, parsed=parse_detail_page(text))
        except FormatMismatch as exc:
            return challenge_outcome(text, LOGIN_MARKERS, "a complaint page") or Outcome(LAYOUT_CHANGED, str(exc))
    if kind == "content":
        try:
            content = parse_content(text)
        except FormatMismatch as exc:
            if LOGIN_WALL in text:
                return Outcome(BLOCKED, f"login wall: content response contains {LOGIN_WALL!r}")
            return challenge_outcome(text, LOGIN_MARKERS, "post content") or Outcome(
                LAYOUT_CHANGED, f"content response: {exc}")
        return Outcome(OK, parsed=content, notes=list(content["notes"]))
    raise ValueError(f"unknown jutousu response kind {kind!r}")
