"""Generic content sites: follow links within the allowed hosts, store article pages.

Configured by scraper/sources.yml (`-a source=NAME`) or ad hoc with
`-a start_urls=URL[,URL]`. Parsing is scraper.extract; decoding is pipelines.normalize.
"""
from __future__ import annotations

import re
from datetime import datetime, timezone
from urllib.parse import urlsplit

import scrapy

from pipelines.normalize import DecodeError, decode_bytes
from scraper import extract
from scraper.items import PostItem
from scraper.sources import get_source

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
SKIP_EXTENSIONS = re.compile(r"\.(jpe?g|png|gif|webp|svg|ico|css|js|pdf|zip|rar|mp4|mp3|apk|exe)$", re.I)


class ArticlesSpider(scrapy.Spider):
    name = "articles"

    def __init__(self, start_urls: str | None = None, source: str | None = None, **kwargs):
        super().__init__(**kwargs)
        if start_urls:
            config = {"name": source or "cli", "start_urls": [u.strip() for u in start_urls.split(",") if u.strip()]}
        elif source:
            config = get_source(source)
        else:
            raise ValueError("articles spider needs -a start_urls=URL[,URL] or -a source=NAME")
        self.source_name = config["name"]
        self.start_urls = config["start_urls"]
        self.allowed_hosts = set(config.get("allowed_hosts") or {urlsplit(u).hostname for u in self.start_urls})
        self.follow = [re.compile(p) for p in config.get("follow") or []]
        self.deny = [re.compile(p) for p in config.get("deny") or []]
        self.article_pattern = re.compile(config["article_pattern"]) if config.get("article_pattern") else None
        self.config = config

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        # per-source politeness from sources.yml, unless given on the command line
        overrides = {"delay": "DOWNLOAD_DELAY", "concurrency": "CONCURRENT_REQUESTS_PER_DOMAIN",
                     "max_pages": "CLOSESPIDER_PAGECOUNT", "autothrottle": "AUTOTHROTTLE_ENABLED"}
        config = dict(spider.config)
        if all(host in LOOPBACK for host in spider.allowed_hosts):
            # a site on this machine (demo, recorded pages): politeness delays only slow it down
            config.setdefault("delay", 0)
            config.setdefault("autothrottle", False)
        for key, setting in overrides.items():
            if key in config and crawler.settings.getpriority(setting) <= 20:
                if crawler.settings.frozen:   # too late to change: say so instead of ignoring it
                    spider.logger.warning("sources.yml %s=%r not applied: settings already frozen",
                                          key, config[key])
                else:
                    crawler.settings.set(setting, config[key], priority="spider")
        return spider

    def may_follow(self, url: str) -> bool:
        host = urlsplit(url).hostname
        if host not in self.allowed_hosts or SKIP_EXTENSIONS.search(urlsplit(url).path):
            return False
        if any(p.search(url) for p in self.deny):
            return False
        return not self.follow or any(p.search(url) for p in self.follow)

    def parse(self, response):
        content_type = response.headers.get("Content-Type", b"").decode("latin-1")
        if content_type and "html" not in content_type and "text" not in content_type:
            return
        try:
            html, encoding = decode_bytes(response.body, content_type)
        except DecodeError as exc:
            self.logger.warning("undecodable page %s: %s", response.url, exc)
            self.crawler.stats.inc_value("cuishou/undecodable")
            return
        page = extract.extract_page(html, response.url)
        for url in page.links:
            if self.may_follow(url):
                yield response.follow(url, callback=self.parse)
        if not page.is_article or (self.article_pattern and not self.article_pattern.search(response.url)):
            self.logger.debug("not an article: %s (%s)", response.url, page.why_not or "article_pattern")
            self.crawler.stats.inc_value("cuishou/non_article_pages")
            return
        yield PostItem(
            url=response.url, source=self.source_name, kind="article", title=page.title, body=page.body,
            published_at=page.published_at, chrome=page.chrome, raw_body=response.body,
            raw_status=response.status, raw_encoding=encoding,
            fetched_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        )
