"""What the two platform spiders share: configuration, politeness, incremental
state, and the shape of the items they yield.

This is the one Scrapy-aware module of scraper/platforms; parsing stays in the
pure modules (heimao.py, jutousu.py) and decisions about anti-bot answers in
scraper/middlewares.py.
"""
from __future__ import annotations

from datetime import datetime, timezone
from http.cookies import SimpleCookie
from typing import Any

import scrapy

from scraper.middlewares import PlatformGuardMiddleware, fetched_from

from . import decode_body
from .config import platform_config, politeness
from .state import Known, db_path, due_for_revisit, known_complaints



GUARD_PATH = "scraper.middlewares.PlatformGuardMiddleware"


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def cookie_dict(cookie: str | None) -> dict[str, str]:
    """'a=1; b=2' (a cookie copied from a logged-in browser) -> {'a': '1', 'b': '2'}."""
    if not cookie:
        return {}
    jar = SimpleCookie()
    try:
        jar.load(cookie)
    except Exception:  # noqa: BLE001 - a malformed cookie string: fall back to a plain split
        return dict(part.strip().split("=", 1) for part in cookie.split(";") if "=" in part)
    return {key: morsel.value for key, morsel in jar.items()}


def evidence(response: Any) -> dict[str, Any]:
    """The raw response kept as evidence with the item (store archives it gzip + sha256)."""
    _, encoding = decode_body(response.body, response.headers.get("Content-Type", b"").decode("latin-1"))
    return {
        "raw_url": response.url,  # for 聚投诉 the content API, not the complaint page in `url`
        "raw_body": response.body,
        "raw_status": response.status,
        "raw_encoding": encoding,
        "fetched_at": utc_now(),
    }


def complaint_item(source: str, url: str, source_id: str, fields: dict[str, Any], response: Any) -> dict[str, Any]:
    """The dict the item pipeline expects for a complaint (contract in the issue):
    every structured field present, None where the platform has no such field."""
    return {
        "url": url,
        "source": source,
        "kind": "complaint",
        "source_id": source_id,
        "title": fields.get("title") or "",
        "body": fields.get("body") or "",
        "published_at": fields.get("published_at"),
        "complaint_target": fields.get("target"),
        "complaint_issue": fields.get("issue"),
        "complaint_demand": fields.get("demand"),
        "complaint_amount": fields.get("amount"),
        "complaint_status": fields.get("status"),
        "complaint_timeline": fields.get("timeline"),
        **evidence(response),
    }


def removal_item(source: str, url: str, source_id: str) -> dict[str, Any]:
    return {"source": source, "source_id": source_id, "url": url, "kind": "complaint", "removed": True}


class PlatformSpider(scrapy.Spider):
    """Base of HeimaoSpider and JutousuSpider (a `name` is set by each)."""

    source: str = ""
    halted: str | None = None
    base_settings: dict[str, Any] = {
        # 429 means "slow down": stop at once instead of retrying into a ban.
        "RETRY_HTTP_CODES": [500, 502, 503, 504, 522, 524, 408],
        # search/merchant lists may need a logged-in session cookie (HEIMAO_COOKIE, JUTOUSU_COOKIE)
        "COOKIES_ENABLED": True,
        # list page n is at depth n-1 and its complaints one or two deeper; max_pages bounds the crawl
        "DEPTH_LIMIT": 0,
    }

    @classmethod
    def update_settings(cls, settings):
        super().update_settings(settings)
        settings.setdict(cls.base_settings, priority="spider")
        # At spider priority: `scrapy crawl` re-applies the project settings after this
        # (Scrapy 2.19 create_crawler), which would drop a default-priority addition.
        middlewares = dict(settings.getdict("DOWNLOADER_MIDDLEWARES"))
        if not any(key in (PlatformGuardMiddleware, GUARD_PATH) for key in middlewares):
            middlewares[GUARD_PATH] = 540
        settings.set("DOWNLOADER_MIDDLEWARES", middlewares, priority="spider")
        settings.setdict(politeness(cls.name, settings), priority="spider")  # refined in from_crawler

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.spider_args = {k: v for k, v in kwargs.items() if k not in ("name",)}
        self.config: dict[str, Any] = {}
        self.known: dict[str, Known] = {}
        self.consecutive_known: dict[tuple[str, str], int] = {}
        self.requested: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler, *args: Any, **kwargs: Any):
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.config = platform_config(cls.name, crawler.settings, spider.spider_args)
        spider.mismatch_limit = spider.config["mismatch_limit"]
        spider.source_name = spider.config["source_name"]  # crawl_runs.source
        if not crawler.settings.frozen and spider.source_name != cls.name:
            # politeness of the entry named by -a source_name (run_daily passes it); the
            # settings are still open here (Scrapy applies them after creating the spider)
            crawler.settings.setdict(politeness(cls.name, crawler.settings, spider.source_name), priority="spider")
        spider.known = known_complaints(db_path(crawler.settings), cls.source)
        spider.cookies = cookie_dict(spider.config.get("cookie"))
        spider.logger.info(
            "%s: base %s, %d complaints already known", cls.name, spider.config["base_url"], len(spider.known))
        return spider

    # -- incremental ------------------------------------------------------
    def is_known(self, source_id: str) -> bool:
        entry = self.known.get(source_id)
        return entry is not None and not entry.removed

    def listing_sees_known(self, listing: tuple[str, str], known: bool) -> int:
        """Count consecutive known complaints per listing; a new one resets the count."""
        count = self.consecutive_known.get(listing, 0) + 1 if known else 0
        self.consecutive_known[listing] = count
        return count

    def revisits(self) -> list[Known]:
        self.crawler.stats.set_value("cuishou/known_complaints", len(self.known))
        due = due_for_revisit(
            self.known,
            frozenset(self.config["final_statuses"]),
            self.config["revisit_open_days"],
            self.config["revisit_final_days"],
            self.config["revisit_max"],
        )
        self.crawler.stats.set_value("cuishou/revisits_due", len(due))
        return due

    def closed(self, reason: str) -> None:
        """A platform whose robots.txt forbids our requests gives an empty run for
        a reason the operator must see: record it as blocked, with the count.
        (Runs before the item pipeline's spider_closed handler records the run.)"""
        stats = self.crawler.stats
        forbidden = stats.get_value("robotstxt/forbidden") or 0
        if forbidden and not stats.get_value("cuishou/status"):
            stats.set_value("cuishou/status", "blocked")
            stats.set_value("cuishou/reason", f"{self.name}: robots.txt forbids {forbidden} of our requests "
                                              "(ROBOTSTXT_OBEY)")
            self.logger.error("%s", stats.get_value("cuishou/reason"))

    # -- output -----------------------------------------------------------
    def stopped(self) -> bool:
        """True once the guard middleware halted the crawl: yield nothing more."""
        return bool(self.halted)

    def log_stop(self, listing: tuple[str, str], why: str) -> None:
        self.crawler.stats.inc_value(f"cuishou/listings_stopped/{why}")
        self.logger.info("%s %s: %s", *listing, why.replace("_", " "))

    def parsed(self, response: Any, kind: str, inspect) -> Any:
        """The middleware's parse of this response, or our own when the middleware
        did not run (spider tests calling callbacks on recorded responses)."""
        if "cuishou_parsed" in response.meta:
            return response.meta["cuishou_parsed"]
        outcome = inspect(kind, fetched_from(response, response.request))
        if not outcome.ok:
            raise ValueError(f"{response.url}: {outcome.verdict}: {outcome.reason}")
        return outcome.parsed

