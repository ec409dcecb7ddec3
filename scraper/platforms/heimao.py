"""黑猫投诉 (tousu.sina.com.cn): request signing and response parsing, pure functions.

Formats and their evidence: ../shared/fixtures/platforms/FORMATS.md, section 1.
Everything here works on text/bytes; scraper/spiders/heimao.py does the fetching.
"""
from __future__ import annotations

import hashlib
import re
import secrets
import string
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

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
    looks_like_html,
    text_from_html,
)

SOURCE = "heimao"
DEFAULT_BASE_URL = "https://tousu.sina.com.cn"
SALT = "$d6eb7ff91ee257475%"
RS_ALPHABET = string.digits + string.ascii_letters

# endpoint -> where its list lives in result.data
COMPANY_LIST = "/api/company/received_complaints"
SEARCH_LIST = "/api/index/s"
FEED_LIST = "/api/index/feed"

# `result.status.code` values (U1): 10017 login required, 10019 page does not exist.
CODE_LOGIN_REQUIRED = 10017
CODE_NOT_FOUND = 10019

# Keys seen in list items (S6, S7, U1); anything else is reported, not dropped silently.
KNOWN_MAIN_KEYS = frozenset(
    "sn title cotitle couid appeal issue comment_id summary status timestamp url share_amount "
    "comment_amount upvote_amount is_upvote created_at uid cost id".split()
)
# Labels of the detail page's `ul.ts-q-list` (S4). 联系方式 (owner view) is read by no one.
LABELS = {
    "投诉编号": "sn",
    "投诉对象": "target",
    "投诉问题": "issue",
    "投诉要求": "demand",
    "涉诉金额": "amount",
    "投诉进度": "status",
    "联系方式": None,
}
# A login form or prompt. Not the nav's "登录" link or `.ac-login` hover box: every
# complaint page has those (S4), so they say nothing.
LOGIN_MARKERS = re.compile(r"name=[\"']?loginname|请先登录|用户登录|微博帐号登录|微博账号登录")
START_STEP = "发起投诉"
DETAIL_PATH = re.compile(r"/complaint/view/(\d+)")


# ---------------------------------------------------------------------------
# request signature (FORMATS.md 1.3; vectors in heimao_signature_vectors.json)

def signature(ts: str, rs: str, values: list[str]) -> str:
    """sha256 hex of ts, rs, the salt and the other parameters' *values*, sorted by
    code point and joined with no separator — the site's own JS does exactly this.

    >>> signature("1719790751270", "q48wKoCjN7c7DKqv", ["1", "10", "1"])[:12]
    'f227d045c8c6'
    """
    return hashlib.sha256("".join(sorted([ts, rs, SALT, *values])).encode("utf-8")).hexdigest()


def random_rs(length: int = 16) -> str:
    return "".join(secrets.choice(RS_ALPHABET) for _ in range(length))


def signed_params(params: dict[str, Any], ts: str, rs: str) -> dict[str, str]:
    """The query of a signed API call: ts, rs, signature, then the parameters.
    Values are signed raw (a keyword is signed before it is URL-encoded)."""
    plain = {k: str(v) for k, v in params.items()}
    return {"ts": ts, "rs": rs, "signature": signature(ts, rs, list(plain.values())), **plain}


def list_params(listing: str, ident: str, page: int, page_size: int) -> tuple[str, dict[str, Any]]:
    """(endpoint path, unsigned params) of one list page.

    listing 'couid': complaints received by one merchant (S6: couid, type=1, page_size, page);
    listing 'keyword': keyword search (S7: keywords, page_size, page; needs a login cookie);
    listing 'feed': latest complaints (U1: type, page_size, page).
    """
    if listing == "couid":
        return COMPANY_LIST, {"couid": ident, "type": "1", "page_size": page_size, "page": page}
    if listing == "keyword":
        return SEARCH_LIST, {"keywords": ident, "page_size": page_size, "page": page}
    if listing == "feed":
        return FEED_LIST, {"type": ident or "1", "page_size": page_size, "page": page}
    raise ValueError(f"unknown heimao listing {listing!r}")


def list_url(base_url: str, listing: str, ident: str, page: int, page_size: int, ts: str, rs: str) -> str:
    path, params = list_params(listing, ident, page, page_size)
    return f"{base_url.rstrip('/')}{path}?{urlencode(signed_params(params, ts, rs))}"


def referer(base_url: str, listing: str, ident: str) -> str:
    base = base_url.rstrip("/")
    if listing == "couid":
        return f"{base}/company/view/?couid={ident}"
    if listing == "keyword":
        return f"{base}/index/search/?{urlencode({'keywords': ident, 't': 1})}"
    return f"{base}/"


def canonical_url(base_url: str, sn: str) -> str:
    """The complaint's URL without the `?sld=` list token: one URL per complaint."""
    return f"{base_url.rstrip('/')}/complaint/view/{sn}/"


def detail_url(base_url: str, sn: str, listed_url: str | None = None) -> str:
    """The URL to fetch: the list's own URL (path and `?sld=`) on our base host.

    2019 lists give `//tousu.sina.com.cn/complaint/view/{sn}/`, 2026 lists give an
    absolute URL with or without `?sld=<32 hex>` (FORMATS.md 1.4). Whether `sld`
    matters to the server is unknown, so we keep it when the list gives it.
    """
    if listed_url:
        parts = urlsplit(urljoin("https://tousu.sina.com.cn/", listed_url))
        if DETAIL_PATH.search(parts.path):
            return urljoin(base_url.rstrip("/") + "/", parts.path.lstrip("/")) + (f"?{parts.query}" if parts.query else "")
    return canonical_url(base_url, sn)


# ---------------------------------------------------------------------------
# list responses

@dataclass
class ListEntry:
    sn: str
    url: str | None
    title: str
    summary: str
    target: str | None
    couid: str | None
    demand: str | None
    issue: str | None
    status_code: int | None
    published_at: str | None
    amount: str | None


@dataclass
class ListPage:
    entries: list[ListEntry]
    next_page: int | None
    item_count: int | None = None
    notes: list[str] = field(default_factory=list)


def _pager_next(pager: dict[str, Any], page: int | None, n_items: int, notes: list[str]) -> int | None:
    """Next page number from whichever pager fields are present (S6 `next`,
    U1 `current`/`page_amount`, S7 `page_amount`/`item_count`)."""
    if "next" in pager:
        nxt = pager.get("next")
        try:
            return int(nxt) if nxt else None
        except (TypeError, ValueError):
            notes.append(f"pager.next is not a page number: {nxt!r}")
            return None
    current = pager.get("current", page)
    amount = pager.get("page_amount")
    if amount is not None and current is not None:
        try:
            return int(current) + 1 if int(current) < int(amount) else None
        except (TypeError, ValueError):
            notes.append(f"pager fields are not numbers: {pager!r}")
            return None
    notes.append(f"pager has none of next/current/page_amount: {sorted(pager)}")
    return (page + 1) if (page and n_items) else None


def list_entry(raw: dict[str, Any], notes: list[str]) -> ListEntry | None:
    """One `lists[]`/`complaints[]` element -> ListEntry, or None (with a note) when
    it has neither `main.sn` nor a complaint URL."""
    main = raw.get("main") if isinstance(raw, dict) else None
    if not isinstance(main, dict):
        notes.append("list item without a `main` object")
        return None
    extra = sorted(set(main) - KNOWN_MAIN_KEYS)
    if extra:
        notes.append(f"unexpected list item keys: main.{', main.'.join(extra)}")
    url = main.get("url") or None
    sn = str(main.get("sn") or "").strip()
    if not sn and url:
        found = DETAIL_PATH.search(url)
        sn = found.group(1) if found else ""
    if not sn.isdigit():
        notes.append(f"list item without a complaint number: sn={main.get('sn')!r} url={url!r}")
        return None
    published = iso_from_epoch(main.get("created_at")) or iso_from_epoch(main.get("timestamp"))
    if published is None:
        published = iso_from_text(str(main.get("timestamp") or ""))
        if published is None and main.get("timestamp") not in (None, ""):
            notes.append(f"unparsable main.timestamp {main.get('timestamp')!r}")
    status = main.get("status")
    try:
        status_code = int(status) if status not in (None, "") else None
    except (TypeError, ValueError):
        notes.append(f"main.status is not a number: {status!r}")
        status_code = None
    cost = main.get("cost")
    return ListEntry(
        sn=sn,
        url=url,
        title=inline_text(main.get("title")),
        summary=text_from_html(main.get("summary")),
        target=inline_text(main.get("cotitle")) or None,
        couid=str(main.get("couid")) if main.get("couid") not in (None, "") else None,
        demand=inline_text(main.get("appeal")) or None,
        issue=inline_text(main.get("issue")) or None,
        status_code=status_code,
        published_at=published,
        amount=str(cost) if cost not in (None, "") else None,
    )


def parse_list(text: str, page: int | None = None) -> ListPage:
    """A list API body (JSON or legacy JSONP) -> ListPage.

    Raises FormatMismatch when the envelope `result.status.code` /
    `result.data.complaints|lists` is not there, and ApiError for a non-zero code.
    """
    data = load_json_or_jsonp(text)
    result = data.get("result") if isinstance(data, dict) else None
    if not isinstance(result, dict) or not isinstance(result.get("status"), dict):
        raise FormatMismatch("no result.status in the list envelope")
    status = result["status"]
    try:
        code = int(status.get("code"))
    except (TypeError, ValueError):
        raise FormatMismatch(f"result.status.code is not a number: {status.get('code')!r}") from None
    if code != 0:
        raise ApiError(code, str(status.get("msg") or status.get("message") or ""))
    payload = result.get("data")
    if not isinstance(payload, dict):
        raise FormatMismatch("no result.data in the list envelope")
    raw_items = payload.get("complaints", payload.get("lists"))
    if not isinstance(raw_items, list):
        raise FormatMismatch(f"result.data has no complaints/lists array (keys: {sorted(payload)})")
    notes: list[str] = []
    entries = [e for e in (list_entry(raw, notes) for raw in raw_items) if e is not None]
    pager = payload.get("pager")
    if not isinstance(pager, dict):
        notes.append("no result.data.pager")
        pager = {}
    item_count = pager.get("item_count")
    try:
        item_count = int(item_count) if item_count is not None else None
    except (TypeError, ValueError):
        item_count = None
    return ListPage(entries, _pager_next(pager, page, len(raw_items), notes), item_count, notes)


class ApiError(Exception):
    def __init__(self, code: int, message: str):
        super().__init__(f"api error code {code}" + (f": {message}" if message else ""))
        self.code = code
        self.message = message


# ---------------------------------------------------------------------------
# detail page

_MONTH_DAY_TIME = re.compile(r"(?:(?P<y>\d{4})[-/年])?(?P<m>\d{1,2})[-/月](?P<d>\d{1,2})日?\s+(?P<t>\d{1,2}:\d{2}(?::\d{2})?)")
_OWNER_ONLY = "以下内容仅"


def _clean(selector: Selector) -> str:
    return text_from_html(selector.get())


def _step_text(cont: Selector) -> str:
    """The text of one `.ts-d-cont`: its own `<p>`s and the `.ts-reply` `<p>`s, up to
    the first owner-only block (`以下内容仅投诉平台、投诉人…可见`, which in the owner
    view is followed by attachments and the complainant's phone)."""
    parts: list[str] = []
    for node in cont.xpath("./p | ./div[contains(@class,'ts-reply')]/node()"):
        if node.xpath("self::div[contains(@class,'con')]") and _OWNER_ONLY in (node.xpath("string()").get() or ""):
            break
        if node.xpath("self::div[contains(@class,'con')] | self::div[contains(@class,'image-row')]"):
            continue
        if node.xpath("self::p[contains(@class,'ts-c-hide')]") or node.xpath("self::div[contains(@class,'ts-reply')]"):
            continue  # the nested placeholder of the other view
        if node.xpath("self::p"):
            text = _clean(node)
            if text:
                parts.append(text)
    return "\n".join(parts)


def timeline_times(stamps: list[str | None], published_at: str | None) -> list[str | None]:
    """Timeline dates come without a year (`11-25 15:53:57`). Walking oldest to
    newest from the year of publication, the year goes up each time the month/day
    goes backwards. Without a publication year the times stay None (not guessed).
    """
    year = int(published_at[:4]) if published_at and published_at[:4].isdigit() else None
    result: list[str | None] = []
    previous: tuple[int, int] | None = None
    for stamp in stamps:
        match = _MONTH_DAY_TIME.search(stamp or "")
        if not match:
            result.append(None)
            continue
        if match.group("y"):
            year = int(match.group("y"))
        elif year is None:
            result.append(None)
            continue
        month_day = (int(match.group("m")), int(match.group("d")))
        if previous and month_day < previous and not match.group("y"):
            year += 1
        previous = month_day
        clock = match.group("t") if match.group("t").count(":") == 2 else match.group("t") + ":00"
        result.append(iso_from_text(f"{year}-{month_day[0]:02d}-{month_day[1]:02d} {clock}"))
    return result


def parse_detail(text: str) -> dict[str, Any]:
    """A complaint page (`/complaint/view/{sn}/`) -> its fields.

    Returns title, sn, published_at, target, target_couid, issue, demand, amount,
    status, body (the complainant's text, from the 发起投诉 step), timeline (oldest
    first: time, actor, step, text) and notes. Raises FormatMismatch when the page
    lacks `div.ts-d-question`, its title, the complaint number or the step list.
    """
    page = Selector(text=text)
    question = page.css("div.ts-d-question")
    if not question:
        raise FormatMismatch("complaint page without div.ts-d-question")
    title = inline_text(question.css("h1.article").get())
    if not title:
        raise FormatMismatch("complaint page without h1.article title")
    notes: list[str] = []
    fields: dict[str, Any] = {}
    target_couid = None
    for li in question.css("ul.ts-q-list > li"):
        label = (li.css("label::text").get() or "").strip().rstrip("：:").strip()
        if label not in LABELS:
            notes.append(f"unknown ts-q-list label {label!r}")
            continue
        key = LABELS[label]
        if key is None:
            continue  # 联系方式: the complainant's phone, never read
        value = li.xpath("./node()[not(self::label)][not(self::span)]")
        fields[key] = inline_text("".join(value.getall())) or None
        if key == "target":
            href = li.css("a::attr(href)").get() or ""
            found = re.search(r"couid=(\d+)", href)
            target_couid = found.group(1) if found else None
    sn = (fields.get("sn") or "").strip()
    if not sn.isdigit():
        raise FormatMismatch("complaint page without a 投诉编号")
    for key in ("target", "status"):
        if not fields.get(key):
            notes.append(f"complaint page without {key}")
    items = page.css("div.ts-d-steplist > div.ts-d-item")
    if not items:
        raise FormatMismatch("complaint page without div.ts-d-steplist > div.ts-d-item")
    published_at = iso_from_text(question.css("div.ts-q-user span.u-date::text").get())
    if published_at is None:
        notes.append("unparsable publication date")
    steps = []
    for item in reversed(items):  # the page lists newest first
        steps.append(
            {
                "actor": inline_text(item.css(".ts-d-user span.u-name").get()),
                "step": inline_text(item.css(".ts-d-user span.u-status").get()),
                "stamp": inline_text(item.css(".ts-d-user span.u-date").get()),
                "text": _step_text(item.css(".ts-d-cont")),
            }
        )
    times = timeline_times([s["stamp"] for s in steps], published_at)
    timeline = [
        {"time": when, "actor": s["actor"], "step": s["step"], "text": s["text"]} for s, when in zip(steps, times)
    ]
    starts = [s for s in timeline if s["step"] == START_STEP]
    if not starts:
        notes.append(f"no {START_STEP} step; body taken from the oldest step")
    body = (starts[0] if starts else timeline[0])["text"]
    if not body:
        notes.append("empty complaint text")
    return {
        "sn": sn,
        "title": title,
        "published_at": published_at,
        "target": fields.get("target"),
        "target_couid": target_couid,
        "issue": fields.get("issue"),
        "demand": fields.get("demand"),
        "amount": fields.get("amount"),
        "status": fields.get("status"),
        "body": body,
        "timeline": timeline,
        "notes": notes,
    }


# ---------------------------------------------------------------------------
# what a response is

def _page_of(url: str) -> int | None:
    value = dict(parse_qsl(urlsplit(url).query)).get("page")
    return int(value) if value and value.isdigit() else None


def inspect(kind: str, fetched: Fetched) -> Outcome:
    """Classify and parse one response. kind: 'list' (any list API) or 'detail'.

    blocked:        456, 429, 401/403, redirect to a login page, API code 10017, a
                    login or captcha page where JSON/a complaint was expected, an
                    empty page although the pager counts items (S7's 风控 sign)
    layout_changed: the envelope or the page lacks what FORMATS.md documents
                    (fatal for lists; for one complaint page it counts toward a limit)
    removed:        a complaint page answering 404/410
    """
    by_status = http_outcome(fetched)
    if by_status is not None:
        return by_status
    text, _ = decode_body(fetched.body, fetched.header("content-type"))
    if kind == "detail":
        if fetched.status in (404, 410):
            return Outcome(REMOVED, f"http {fetched.status}")
        if fetched.status != 200:
            return Outcome("failed", f"http {fetched.status}")
        try:
            detail = parse_detail(text)
        except FormatMismatch as exc:
            return challenge_outcome(text, LOGIN_MARKERS, "a complaint page") or Outcome(LAYOUT_CHANGED, str(exc))
        return Outcome(OK, parsed=detail, notes=list(detail["notes"]))
    if kind != "list":
        raise ValueError(f"unknown heimao response kind {kind!r}")
    if fetched.status != 200:
        return Outcome("failed", f"http {fetched.status}")
    page = _page_of(fetched.url)
    try:
        listing = parse_list(text, page)
    except ApiError as exc:
        if exc.code == CODE_LOGIN_REQUIRED:
            return Outcome(BLOCKED, f"login required: {exc}")
        if exc.code == CODE_NOT_FOUND:
            return Outcome(OK, parsed=ListPage([], None), notes=[f"list answered {exc}; listing ends"])
        return Outcome(BLOCKED, str(exc))
    except FormatMismatch as exc:
        if looks_like_html(text) or not text.strip().startswith(("{", "[")):
            challenged = challenge_outcome(text, LOGIN_MARKERS, "JSON")
            if challenged:
                return challenged
        return Outcome(LAYOUT_CHANGED, f"list response: {exc}", fatal=True)
    if not listing.entries and listing.item_count and (listing.next_page is not None or (page or 1) == 1):
        return Outcome(BLOCKED, f"empty list page {page} although the pager counts {listing.item_count} items")
    return Outcome(OK, parsed=listing, notes=list(listing.notes))
