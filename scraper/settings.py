"""Scrapy settings. Per-source politeness comes from scraper/sources.yml."""
import os

BOT_NAME = "cuishou"
SPIDER_MODULES = ["scraper.spiders"]
NEWSPIDER_MODULE = "scraper.spiders"

# Where the private crawl database lives (env CUISHOU_DB or -s CUISHOU_DB=...).
CUISHOU_DB = os.environ.get("CUISHOU_DB", "data/cuishou.db")
CUISHOU_BATCH_SIZE = 50          # posts per SQLite transaction

# A real browser-like User-Agent that still says who we are.
USER_AGENT = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
              "Chrome/126.0 Safari/537.36 CuishouWatch/0.1 (+research crawler)")
ROBOTSTXT_OBEY = True
DOWNLOAD_DELAY = 1.0
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 2
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
RETRY_TIMES = 2
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024
DEPTH_LIMIT = 4
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
LOG_LEVEL = "INFO"
FEED_EXPORT_ENCODING = "utf-8"
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"

ITEM_PIPELINES = {"scraper.pipelines.CuishouPipeline": 300}
