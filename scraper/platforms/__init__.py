"""Pure helpers shared by the complaint-platform parsers (黑猫投诉, 聚投诉).

Nothing here touches Scrapy or the network: every function takes bytes/text and
returns data, so the parsers can be tested on recorded responses alone.

The parsers answer with an `Outcome`: what the response *is* (a usable page, an
anti-bot answer, a changed layout, a removed complaint) plus the parsed data.
The downloader middleware (scraper/middlewares.py) acts on the verdict; the
spiders only ever see usable, parsed responses.
"""
from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from pipelines.normalize import DecodeError, decode_bytes

CHINA_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")

OK = "ok"
BLOCKED = "blocked"
LAYOUT_CHANGED = "layout_changed"
REMOVED = "removed"


class FormatMismatch(ValueError):
    """A response does not have the structure FORMATS.md documents."""


@dataclass
class Outcome:
    """What one response turned out to be, and what was parsed from it.

    verdict: ok | blocked | layout_changed | removed
    fatal:   for layout_changed, whether one occurrence must stop the crawl
             (a list envelope) or only counts toward the mismatch limit (one detail)
    notes:   non-fatal surprises (an unknown key, an unparsable date); reported in
             stats and the log, never swallowed.
    """

    verdict: str
    reason: str = ""
    parsed: Any = None
    fatal: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.verdict == OK


@dataclass
class Fetched:
    """The parts of an HTTP response the parsers look at (no Scrapy types)."""

    url: str
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names
    redirect_urls: list[str] = field(default_factory=list)

    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "")


# ---------------------------------------------------------------------------
# bytes -> text

def decode_body(body: bytes, content_type: str = "") -> tuple[str, str]:
    """bytes -> (text, encoding), by the one decoder of the project
    (pipelines.normalize.decode_bytes: BOM, header, <meta>, then UTF-8/GB18030/Big5
    detection; Scrapy's own fallback for undeclared bytes, cp1252, garbles GBK)."""
    if not body:
        return "", "utf-8"
    try:
        return decode_bytes(body, content_type or None)
    except DecodeError:
        return body.decode("utf-8", "replace"), "utf-8"


# ---------------------------------------------------------------------------
# JSON, JSONP, HTML inside JSON

_JSONP = re.compile(r"[A-Za-z_$][\w$.]*\s*\(\s*(?P<json>[\[{].*[\]}])\s*\)", re.S)


def load_json_or_jsonp(text: str) -> Any:
    """Parse a JSON body, or the JSON inside a JSONP call.

    黑猫 served its list API as JSONP until ~2020, with the call wrapped in a
    try/catch: `try{jQuery123_456({"result":...});}catch(e){}` (FORMATS.md 1.2).
    Raises FormatMismatch when neither form parses.
    """
    stripped = text.strip().lstrip("\ufeff")
    if stripped[:1] in "{[":
        try:
            return json.loads(stripped)
        except ValueError as exc:
            raise FormatMismatch(f"body is not valid JSON ({exc})") from None
    match = _JSONP.search(stripped)
    if match:
        try:
            return json.loads(match.group("json"))
        except ValueError as exc:
            raise FormatMismatch(f"JSONP payload is not valid JSON ({exc})") from None
    raise FormatMismatch(f"body is neither JSON nor JSONP (starts with {stripped[:40]!r})")


_BLOCK_TAGS = re.compile(r"<\s*(br|/p|/div|/li|/h\d|/tr)\b[^>]*>", re.I)
_TAG = re.compile(r"<[^>]*>")
_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u3000]+")


def text_from_html(fragment: str | None) -> str:
    """HTML fragment (or HTML-escaped text) -> plain text, one line per block.

    Used for HTML inside JSON: 黑猫 search titles carry highlight tags
    (`<span class="red">催收</span>`), 聚投诉 `topic` carries `<p>`, `<br>`,
    `&nbsp;` and even double-escaped `&amp;nbsp;` (FORMATS.md 2.2).
    Lines are stripped of the indentation the page templates add; the text is
    otherwise left raw (no script conversion, no PII masking: later stages do that).
    """
    if not fragment:
        return ""
    text = fragment
    for _ in range(3):  # double-escaped entities: &amp;nbsp; -> &nbsp; -> U+00A0
        if "<" in text:
            text = _BLOCK_TAGS.sub("\n", text)
            text = _TAG.sub("", text)
        unescaped = html.unescape(text)
        if unescaped == text:
            break
        text = unescaped
    lines = (_SPACES.sub(" ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def inline_text(fragment: str | None) -> str:
    """Like text_from_html, but on one line (titles, names, tags)."""
    return " ".join(text_from_html(fragment).split("\n")).strip()


# ---------------------------------------------------------------------------
# time

def iso_from_epoch(value: Any) -> str | None:
    """Epoch seconds or milliseconds (int or digit string) -> ISO 8601 in China time."""
    if value is None or isinstance(value, bool):
        return None
    text = str(value).strip()
    if not text.isdigit():
        return None
    number = int(text)
    if number > 10**11:  # milliseconds
        number //= 1000
    return datetime.fromtimestamp(number, CHINA_TZ).isoformat()


_DATE_TIME = re.compile(
    r"(?P<y>\d{4})\s*[-/年.]\s*(?P<m>\d{1,2})\s*[-/月.]\s*(?P<d>\d{1,2})日?"
    r"(?:(?:\s+|T)(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2}))?)?"
)


def iso_from_text(text: str | None) -> str | None:
    """'发布于 2019年11月24日 19:18' / '2019-11-24 19:18:54' / '2026-04-27' -> ISO 8601
    (China time). None when no full date is present: a date without a year is
    not guessed here (see heimao.timeline_times)."""
    if not text:
        return None
    match = _DATE_TIME.search(text)
    if not match:
        return None
    parts = {k: int(v) for k, v in match.groupdict().items() if v is not None}
    try:
        moment = datetime(parts["y"], parts["m"], parts["d"], parts.get("H", 0), parts.get("M", 0),
                          parts.get("S", 0), tzinfo=CHINA_TZ)
    except ValueError:
        return None
    if "H" not in parts:
        return moment.date().isoformat()
    return moment.isoformat()


# ---------------------------------------------------------------------------
# anti-bot answers common to both platforms

# Redirect targets and pages that mean "log in first".
LOGIN_URL = re.compile(r"passport\.|/login|/signin|/sso/|weibo\.com/(?:login|signup)|oauth2/authorize", re.I)
# Captcha / challenge pages (S8 looks for 验证码, iframe[src*=captcha], [class*=geetest]).
CAPTCHA_MARKERS = re.compile(r"geetest|captcha|验证码|滑块验证|安全验证|人机验证|访问过于频繁|请求过于频繁", re.I)


def http_outcome(fetched: Fetched) -> Outcome | None:
    """The verdict an HTTP status alone gives, or None when the body must decide."""
    status = fetched.status
    if status == 456:
        return Outcome(BLOCKED, "http 456: IP banned by the platform")
    if status == 429:
        retry_after = fetched.header("retry-after")
        suffix = f" (Retry-After: {retry_after})" if retry_after else ""
        return Outcome(BLOCKED, f"http 429: rate limited{suffix}")
    if status in (401, 403):
        return Outcome(BLOCKED, f"http {status}: access denied")
    if fetched.redirect_urls and LOGIN_URL.search(fetched.url):
        return Outcome(BLOCKED, f"login required: redirected to {fetched.url}")
    return None


def challenge_outcome(text: str, login_markers: re.Pattern[str], what: str) -> Outcome | None:
    """For a response that lacks the expected structure: is it a login wall or a captcha?"""
    found = CAPTCHA_MARKERS.search(text)
    if found:
        return Outcome(BLOCKED, f"captcha or challenge page instead of {what} (found {found.group(0)!r})")
    found = login_markers.search(text)
    if found:
        return Outcome(BLOCKED, f"login wall instead of {what} (found {found.group(0)!r})")
    return None


def looks_like_html(text: str) -> bool:
    head = text.lstrip()[:200].lower()
    return head.startswith("<!doctype") or head.startswith("<html") or "<head" in head or "<body" in head
