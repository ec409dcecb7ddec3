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

# Monitoring (spidermon): scraper/monitors.py judges every crawl when it closes; each
# failed monitor becomes an alerts row. Thresholds (a source's own history = its last
# ok runs in crawl_runs):
SPIDERMON_ENABLED = True
EXTENSIONS = {
    "scraper.monitors.CoverageStats": 400,           # before Spidermon: coverage into the stats
    "spidermon.contrib.scrapy.extensions.Spidermon": 500,
}
SPIDERMON_SPIDER_CLOSE_MONITORS = ("scraper.monitors.SpiderCloseSuite",)
SPIDERMON_EXPECTED_FINISH_REASONS = ["finished", "closespider_pagecount", "closespider_itemcount",
                                     "closespider_timeout"]
CUISHOU_MONITOR_HISTORY_RUNS = 7          # compare with the median of this many earlier ok runs
CUISHOU_MONITOR_MIN_HISTORY = 3           # ... once at least this many exist
CUISHOU_MONITOR_MIN_ITEMS_RATIO = 0.5     # fewer items than 0.5 x that median: alert
CUISHOU_MONITOR_MIN_REQUESTS = 10         # error and ban rates are judged from this many requests
CUISHOU_MONITOR_MAX_ERROR_RATE = 0.1      # ERROR log lines per request
CUISHOU_MONITOR_BAN_STATUSES = [403, 418, 429]
CUISHOU_MONITOR_MAX_BAN_RATE = 0.1        # ban responses (codes above, blocked pages) per response
CUISHOU_MONITOR_COVERAGE_FIELDS = ["title", "published_at", "body", "lender"]
CUISHOU_MONITOR_COVERAGE_MAX_DROP = 0.3   # share of items with the field, below its usual median
CUISHOU_MONITOR_COVERAGE_MIN_ITEMS = 5    # coverage is judged from this many items
CUISHOU_MONITOR_MAX_QUARANTINE_RATE = 0.1 # items that failed validation per item
