"""Scrapy adapter around the pure pipeline: process_item -> Store, in batches.

An item that fails validation or a stage goes to quarantine with the reason; the
crawl goes on. Each crawl writes one crawl_runs row with its stats.
"""
from __future__ import annotations

import time

from scrapy import signals

from pipelines.process import process_item
from pipelines.store import Store
from pipelines.validate import InvalidItem


class CuishouPipeline:
    def __init__(self, crawler):
        self.crawler = crawler
        self.stats = crawler.stats
        self.db_path = crawler.settings.get("CUISHOU_DB")
        self.batch_size = crawler.settings.getint("CUISHOU_BATCH_SIZE", 50)
        self.buffer = []
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def open_spider(self):
        spider = self.crawler.spider
        self.store = Store(self.db_path)
        self.started = time.monotonic()
        self.run_id = self.store.start_run(getattr(spider, "source_name", spider.name))
        self.stats.set_value("cuishou/run_id", self.run_id)     # monitors' alerts name their run

    def process_item(self, item):
        spider = self.crawler.spider
        data = dict(item)
        try:
            post = process_item(data)
        except InvalidItem as exc:
            self.store.quarantine(data, exc.stage, exc.reason)
            self.stats.inc_value("cuishou/quarantined")
            spider.logger.warning("quarantined %s: %s", data.get("url"), exc)
            return item
        self.buffer.append(post)
        if len(self.buffer) >= self.batch_size:
            self.flush()
        return item

    def flush(self):
        if not self.buffer:
            return
        outcomes = self.store.save_batch(self.buffer)
        for outcome, count in outcomes.items():
            self.stats.inc_value(f"cuishou/{outcome}", count)
        self.buffer = []

    def close_spider(self):
        self.flush()

    def spider_closed(self, spider, reason):
        stats = self.stats.get_stats()
        items = stats.get("item_scraped_count", 0)
        status = stats.get("cuishou/status")
        if not status:
            if reason != "finished" and not reason.startswith("closespider_"):
                status = "failed"
            elif items == 0 and not stats.get("cuishou/quarantined"):
                status = "empty"
            else:
                status = "ok"
        self.store.finish_run(
            self.run_id,
            requests=stats.get("downloader/request_count", 0),
            items=items,
            # new rows: new stories and near-duplicate copies (their own rows, linked by story_id)
            stored=stats.get("cuishou/inserted", 0) + stats.get("cuishou/near_duplicate", 0),
            duplicates=stats.get("cuishou/duplicate", 0),
            quarantined=stats.get("cuishou/quarantined", 0),
            errors=stats.get("log_count/ERROR", 0) + stats.get("spider_exceptions/count", 0),
            duration_s=round(time.monotonic() - self.started, 2),
            finish_reason=reason,
            status=status,
            monitors_failed=stats.get("cuishou/monitors_failed") or None,
            reason=stats.get("cuishou/reason"),
            stats_json=stats,
        )
        self.store.close()
