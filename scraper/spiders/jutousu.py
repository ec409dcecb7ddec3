"""聚投诉 spider: merchant lists and keyword search, then for each new complaint its
page (for the postKey) and the post content API.

    CUISHOU_DB=data/private.db scrapy crawl jutousu
    scrapy crawl jutousu -a merchants=2352 -s JUTOUSU_BASE_URL=http://127.0.0.1:8000

Configuration: `platforms.jutousu` in scraper/sources.yml. Parsing lives in
scraper/platforms/jutousu.py; anti-bot answers are handled by scraper/middlewares.py.
No public source shows a status, an amount or replies for 聚投诉, so those
fields stay None (see FORMATS.md, section 2).
"""
from __future__ import annotations

from typing import Any

import scrapy

from scraper.platforms import jutousu
from scraper.platforms.spider import PlatformSpider, complaint_item, removal_item

from .heimao import JSON_HEADERS, _ident


class JutousuSpider(PlatformSpider):
    name = "jutousu"
    source = jutousu.SOURCE

    async def start(self):
        for request in self.initial_requests():
            yield request

    def initial_requests(self):
        for entry in self.config["merchants"]:
            yield self.list_request("merchant", _ident(entry, "id"), 1, "")
        for keyword in self.config["keywords"]:
            yield self.list_request("keyword", str(keyword), 1, "")
        for known in self.revisits():
            self.requested.add(known.source_id)
            yield self.detail_request(known.source_id, None, revisit=True)

    # -- requests ---------------------------------------------------------
    def list_request(self, listing: str, ident: str, page: int, offset: str) -> scrapy.Request:
        base = self.config["base_url"]
        if listing == "merchant":
            url = jutousu.merchant_list_url(base, ident, page, offset)
        else:
            url = jutousu.search_list_url(base, ident, page)
        return scrapy.Request(
            url,
            callback=self.parse_list,
            headers={**JSON_HEADERS, "Referer": jutousu.referer(base, listing, ident)},
            cookies=self.cookies,
            meta={"cuishou_platform": "jutousu", "cuishou_kind": "list",
                  "listing": listing, "ident": ident, "page": page},
            dont_filter=True,
        )

    def detail_request(self, post_id: str, entry: jutousu.ListEntry | None, revisit: bool = False,
                       referer: str | None = None) -> scrapy.Request:
        return scrapy.Request(
            jutousu.detail_url(self.config["base_url"], post_id),
            callback=self.parse_detail,
            headers={"Referer": referer} if referer else {},
            cookies=self.cookies,
            meta={"cuishou_platform": "jutousu", "cuishou_kind": "detail", "post_id": post_id,
                  "entry": entry, "revisit": revisit, "handle_httpstatus_list": [404, 410]},
            priority=10,
        )

    # -- callbacks --------------------------------------------------------
    def parse_list(self, response):
        if self.stopped():
            return
        page: jutousu.ListPage = self.parsed(response, "list", jutousu.inspect)
        listing = (response.meta["listing"], response.meta["ident"])
        number = response.meta["page"]
        self.crawler.stats.inc_value("cuishou/list_pages")
        if number == 1 and not page.entries:
            self.crawler.stats.inc_value("cuishou/empty_listings")
            self.logger.warning("jutousu %s %s: the first list page is empty", *listing)
        consecutive = 0
        referer = jutousu.referer(self.config["base_url"], *listing)
        for entry in page.entries:
            consecutive = self.listing_sees_known(listing, self.is_known(entry.post_id))
            if consecutive:
                self.crawler.stats.inc_value("cuishou/listed_known")
                continue
            if entry.post_id in self.requested:
                continue
            self.requested.add(entry.post_id)
            self.crawler.stats.inc_value("cuishou/listed_new")
            yield self.detail_request(entry.post_id, entry, referer=referer)
        if consecutive >= self.config["stop_after_known"]:
            self.log_stop(listing, "reached_known")
        elif not page.entries:
            self.log_stop(listing, "last_page")
        elif number >= self.config["max_pages"]:
            self.log_stop(listing, "max_pages")
        else:
            if listing[0] == "merchant" and page.offset is None:
                self.crawler.stats.inc_value("cuishou/format_notes")
                self.logger.warning("jutousu merchant %s: page %d gave no offset cursor", listing[1], number)
            yield self.list_request(listing[0], listing[1], number + 1, page.offset or "")

    def parse_detail(self, response):
        if self.stopped():
            return
        post_id = response.meta["post_id"]
        url = jutousu.detail_url(self.config["base_url"], post_id)
        if response.meta.get("cuishou_removed"):
            if self.is_known(post_id):
                self.crawler.stats.inc_value("cuishou/complaints_gone")
                self.logger.info("jutousu %s is gone (%s): marking it removed", post_id, response.meta["cuishou_removed"])
                yield removal_item(self.source, url, post_id)
            else:
                self.crawler.stats.inc_value("cuishou/listed_but_gone")
            return
        post_key: str = self.parsed(response, "detail", jutousu.inspect)
        yield scrapy.Request(
            jutousu.content_url(self.config["base_url"], post_key, self.config["content_endpoint"]),
            callback=self.parse_content,
            headers={**JSON_HEADERS, "Referer": url},
            cookies=self.cookies,
            meta={"cuishou_platform": "jutousu", "cuishou_kind": "content", "post_id": post_id,
                  "entry": response.meta.get("entry"), "revisit": response.meta.get("revisit")},
            priority=20,
        )

    def parse_content(self, response):
        if self.stopped():
            return
        post_id = response.meta["post_id"]
        content: dict[str, Any] = self.parsed(response, "content", jutousu.inspect)
        if content["post_id"] and content["post_id"] != post_id:
            self.crawler.stats.inc_value("cuishou/format_notes")
            self.logger.warning("jutousu %s: the content API answered post %s", post_id, content["post_id"])
        entry: jutousu.ListEntry | None = response.meta.get("entry")
        fields = dict(content)
        if entry is not None:
            fields["title"] = fields["title"] or entry.title
            fields["demand"] = fields["demand"] or entry.demand
            fields["published_at"] = fields["published_at"] or entry.published_at
        if response.meta.get("revisit"):
            self.crawler.stats.inc_value("cuishou/revisited")
        self.crawler.stats.inc_value("cuishou/complaints")
        url = jutousu.detail_url(self.config["base_url"], post_id)
        yield complaint_item(self.source, url, post_id, fields, response)
