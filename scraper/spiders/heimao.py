"""黑猫投诉 spider: lender (couid) lists and keyword search, signed like the site,
page by page, then each new complaint's page; known open complaints are re-visited.

    CUISHOU_DB=data/private.db scrapy crawl heimao
    scrapy crawl heimao -a couids=5866754241 -s HEIMAO_BASE_URL=http://127.0.0.1:8000

Configuration: `platforms.heimao` in scraper/sources.yml (see scraper/platforms/config.py).
Parsing lives in scraper/platforms/heimao.py; anti-bot answers are handled by
scraper/middlewares.py before a response reaches this spider.
"""
from __future__ import annotations

import time
from typing import Any

import scrapy

from scraper.platforms import heimao
from scraper.platforms.spider import PlatformSpider, complaint_item, removal_item

JSON_HEADERS = {
    "Accept": "application/json, text/javascript, */*; q=0.01",
    "X-Requested-With": "XMLHttpRequest",
}


def _ident(entry: Any, key: str) -> str:
    """sources.yml lists lenders as `- {couid: "5866754241", name: 功夫贷}` or bare ids."""
    return str(entry.get(key) if isinstance(entry, dict) else entry).strip()


class HeimaoSpider(PlatformSpider):
    name = "heimao"
    source = heimao.SOURCE

    async def start(self):
        for request in self.initial_requests():
            yield request

    def initial_requests(self):
        for entry in self.config["couids"]:
            yield self.list_request("couid", _ident(entry, "couid"), 1)
        if self.config["keywords"]:
            if self.cookies:
                for keyword in self.config["keywords"]:
                    yield self.list_request("keyword", str(keyword), 1)
            else:
                self.crawler.stats.set_value("cuishou/skipped/keyword_search", "no HEIMAO_COOKIE")
                self.logger.warning(
                    "heimao keyword search skipped: /api/index/s needs a logged-in cookie (set %s)",
                    self.config["cookie_env"])
        for known in self.revisits():
            self.requested.add(known.source_id)
            yield self.detail_request(known.source_id, None, revisit=True)

    # -- requests ---------------------------------------------------------
    def list_request(self, listing: str, ident: str, page: int) -> scrapy.Request:
        base = self.config["base_url"]
        url = heimao.list_url(base, listing, ident, page, self.config["page_size"],
                              ts=str(int(time.time() * 1000)), rs=heimao.random_rs())
        return scrapy.Request(
            url,
            callback=self.parse_list,
            headers={**JSON_HEADERS, "Referer": heimao.referer(base, listing, ident)},
            cookies=self.cookies,
            meta={"cuishou_platform": "heimao", "cuishou_kind": "list",
                  "listing": listing, "ident": ident, "page": page},
            dont_filter=True,
        )

    def detail_request(self, sn: str, listed_url: str | None, entry: heimao.ListEntry | None = None,
                       revisit: bool = False) -> scrapy.Request:
        return scrapy.Request(
            heimao.detail_url(self.config["base_url"], sn, listed_url),
            callback=self.parse_detail,
            cookies=self.cookies,
            meta={"cuishou_platform": "heimao", "cuishou_kind": "detail", "sn": sn, "entry": entry,
                  "revisit": revisit, "handle_httpstatus_list": [404, 410]},
            priority=10,  # finish a page's complaints before the next list page
        )

    # -- callbacks --------------------------------------------------------
    def parse_list(self, response):
        if self.stopped():
            return
        page: heimao.ListPage = self.parsed(response, "list", heimao.inspect)
        listing = (response.meta["listing"], response.meta["ident"])
        number = response.meta["page"]
        self.crawler.stats.inc_value("cuishou/list_pages")
        if number == 1 and not page.entries:
            self.crawler.stats.inc_value("cuishou/empty_listings")
            self.logger.warning("heimao %s %s: the first list page is empty", *listing)
        consecutive = 0
        for entry in page.entries:
            consecutive = self.listing_sees_known(listing, self.is_known(entry.sn))
            if consecutive:
                self.crawler.stats.inc_value("cuishou/listed_known")
                continue
            if entry.sn in self.requested:
                continue
            self.requested.add(entry.sn)
            self.crawler.stats.inc_value("cuishou/listed_new")
            yield self.detail_request(entry.sn, entry.url, entry)
        if consecutive >= self.config["stop_after_known"]:
            self.log_stop(listing, "reached_known")
        elif page.next_page is None:
            self.log_stop(listing, "last_page")
        elif number >= self.config["max_pages"]:
            self.log_stop(listing, "max_pages")
        else:
            yield self.list_request(listing[0], listing[1], page.next_page)

    def parse_detail(self, response):
        if self.stopped():
            return
        sn = response.meta["sn"]
        url = heimao.canonical_url(self.config["base_url"], sn)
        if response.meta.get("cuishou_removed"):
            if self.is_known(sn):
                self.crawler.stats.inc_value("cuishou/complaints_gone")
                self.logger.info("heimao %s is gone (%s): marking it removed", sn, response.meta["cuishou_removed"])
                yield removal_item(self.source, url, sn)
            else:
                self.crawler.stats.inc_value("cuishou/listed_but_gone")
            return
        detail: dict[str, Any] = self.parsed(response, "detail", heimao.inspect)
        if detail["sn"] != sn:
            self.crawler.stats.inc_value("cuishou/format_notes")
            self.logger.warning("heimao %s: the page shows complaint number %s", sn, detail["sn"])
        entry: heimao.ListEntry | None = response.meta.get("entry")
        fields = dict(detail)
        if entry is not None:  # the list fills only what the page lacks
            for key in ("target", "issue", "demand", "amount", "published_at"):
                if not fields.get(key):
                    fields[key] = getattr(entry, key)
        if response.meta.get("revisit"):
            self.crawler.stats.inc_value("cuishou/revisited")
        self.crawler.stats.inc_value("cuishou/complaints")
        yield complaint_item(self.source, url, sn, fields, response)
