"""Downloader middleware that decides what each complaint-platform response is.

Every request a platform spider makes carries `meta["cuishou_platform"]`
("heimao" | "jutousu") and `meta["cuishou_kind"]` ("list", "detail", "content").
For those responses this middleware asks the platform's pure `inspect()` what the
response is, and:

- ok:             stores the parsed data in `meta["cuishou_parsed"]` and passes it on;
- removed:        marks `meta["cuishou_removed"]` and passes it on (the spider yields
                  a removal record, the store sets `removed_at`);
- blocked:        (ban status, rate limit, login wall, captcha, API error code)
                  stops the crawl at once: stats `cuishou/status` = "blocked",
                  `cuishou/reason`, finish reason `blocked: <reason>`; every later
                  response and request of the spider is dropped, so nothing half-read
                  is stored;
- layout_changed: a list that lacks its envelope stops the crawl at once; a complaint
                  page that lacks its structure is dropped and counted, and the crawl
                  stops as `layout_changed: <reason>` when the count reaches the
                  spider's `mismatch_limit` (setting CUISHOU_MISMATCH_LIMIT, default 3).

Non-fatal surprises (unknown keys, unparsable dates) are logged once each and
counted in `cuishou/format_notes` (examples in `cuishou/format_notes_examples`).

It sits at 540, below RetryMiddleware (550): transient 5xx are retried first, and
a 429 is not retried because the platform spiders drop 429 from RETRY_HTTP_CODES.
"""
from __future__ import annotations

import logging
from typing import Any

from scrapy.exceptions import IgnoreRequest
from scrapy.utils.defer import deferred_from_coro

from scraper.platforms import BLOCKED, LAYOUT_CHANGED, OK, REMOVED, Fetched, heimao, jutousu

logger = logging.getLogger(__name__)

PLATFORMS = {"heimao": heimao, "jutousu": jutousu}
MAX_NOTE_EXAMPLES = 20


def fetched_from(response: Any, request: Any) -> Fetched:
    headers = {
        key.decode("latin-1").lower() if isinstance(key, bytes) else str(key).lower(): (
            values[-1].decode("latin-1") if values and isinstance(values[-1], bytes) else str(values[-1] if values else "")
        )
        for key, values in response.headers.items()
    }
    return Fetched(
        url=response.url,
        status=response.status,
        body=response.body,
        headers=headers,
        redirect_urls=list((request.meta.get("redirect_urls") if request is not None else None) or []),
    )


class PlatformGuardMiddleware:
    def __init__(self, crawler):
        self.crawler = crawler
        self.stats = crawler.stats
        self.halted: str | None = None
        self.mismatches = 0
        self.seen_notes: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    # -- requests ---------------------------------------------------------
    def process_request(self, request):
        if self.halted and request.meta.get("cuishou_platform"):
            raise IgnoreRequest(f"crawl halted ({self.halted})")
        return None

    # -- responses --------------------------------------------------------
    def process_response(self, request, response):
        platform = request.meta.get("cuishou_platform")
        kind = request.meta.get("cuishou_kind")
        if platform not in PLATFORMS or not kind:
            return response
        if self.halted:
            raise IgnoreRequest(f"crawl halted ({self.halted})")
        outcome = PLATFORMS[platform].inspect(kind, fetched_from(response, request))
        self.stats.inc_value(f"cuishou/responses/{kind}/{outcome.verdict}")
        for note in outcome.notes:
            self.note(platform, kind, note, response.url)
        if outcome.verdict == OK:
            request.meta["cuishou_parsed"] = outcome.parsed
            return response
        if outcome.verdict == REMOVED:
            request.meta["cuishou_removed"] = outcome.reason
            return response
        if outcome.verdict == BLOCKED:
            self.halt(BLOCKED, f"{platform} {kind}: {outcome.reason}", response.url)
            raise IgnoreRequest(outcome.reason)
        if outcome.verdict == LAYOUT_CHANGED:
            self.mismatches += 1
            self.stats.inc_value("cuishou/layout_mismatches")
            logger.warning("layout mismatch (%d) at %s: %s", self.mismatches, response.url, outcome.reason)
            limit = self.mismatch_limit()
            if outcome.fatal or self.mismatches >= limit:
                self.halt(LAYOUT_CHANGED, f"{platform} {kind}: {outcome.reason}", response.url)
            raise IgnoreRequest(outcome.reason)
        # "failed" (an HTTP error the retries did not fix): Scrapy's HttpError handling counts it.
        self.stats.inc_value("cuishou/failed_responses")
        return response

    # -- helpers ----------------------------------------------------------
    def mismatch_limit(self) -> int:
        limit = getattr(_late(self.crawler, "spider"), "mismatch_limit", None)
        if limit is None:
            limit = self.crawler.settings.getint("CUISHOU_MISMATCH_LIMIT", 3)
        return max(int(limit), 1)

    def note(self, platform: str, kind: str, note: str, url: str) -> None:
        self.stats.inc_value("cuishou/format_notes")
        key = f"{platform} {kind}: {note}"
        if key in self.seen_notes:
            return
        self.seen_notes.add(key)
        logger.warning("format note at %s: %s", url, key)
        examples = list(self.stats.get_value("cuishou/format_notes_examples") or [])
        if len(examples) < MAX_NOTE_EXAMPLES:
            examples.append(key)
            self.stats.set_value("cuishou/format_notes_examples", examples)

    def halt(self, status: str, reason: str, url: str) -> None:
        if self.halted:
            return
        self.halted = f"{status}: {reason}"
        self.stats.set_value("cuishou/status", status)
        self.stats.set_value("cuishou/reason", reason)
        self.stats.set_value("cuishou/halted_at_url", url)
        logger.error("stopping the crawl, %s (at %s)", self.halted, url)
        spider = _late(self.crawler, "spider")
        if spider is not None:
            spider.halted = self.halted
        engine = _late(self.crawler, "engine")
        if engine is not None:  # None only when tests drive the middleware without a crawl
            deferred_from_coro(engine.close_spider_async(reason=self.halted))


def _late(crawler, name: str):
    """crawler.spider / crawler.engine, or None before the crawl has started."""
    try:
        return getattr(crawler, name)
    except RuntimeError:
        return None
