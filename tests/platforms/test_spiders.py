"""The two spiders' callbacks on recorded responses (no network, no reactor):
the items they yield, the requests they make, and where they stop."""
from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qsl, urlsplit

from scrapy.utils.test import get_crawler

from db.schema import ensure_schema
from scraper.platforms import heimao as heimao_mod
from scraper.platforms.state import due_for_revisit, known_complaints
from scraper.spiders.heimao import HeimaoSpider
from scraper.spiders.jutousu import JutousuSpider
from tests.platforms.fixtures import (
    HEIMAO_BODY,
    HEIMAO_SN,
    jutousu_detail,
    recorded,
    scrapy_response,
    variant,
    variant_json,
)

BASE = "http://127.0.0.1:9"
NOW = datetime.now(timezone.utc)


def make_db(path, rows):
    """A crawl DB with the project schema and `rows` = (source, source_id, status, last_seen, removed_at)."""
    conn = sqlite3.connect(path)
    ensure_schema(conn)
    for i, (source, sid, status, last_seen, removed) in enumerate(rows):
        conn.execute(
            "INSERT INTO posts(url, source, source_id, kind, body, content_hash, first_seen, last_seen,"
            " complaint_status, removed_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (f"{BASE}/{source}/{sid}", source, sid, "complaint", "x", f"h{i}", last_seen, last_seen, status, removed))
    conn.commit()
    conn.close()
    return str(path)


def spider(cls, db=None, **settings):
    crawler = get_crawler(cls, {"CUISHOU_SOURCES": "/nonexistent.yml", "CUISHOU_DB": db or "/nonexistent.db",
                                f"{cls.name.upper()}_BASE_URL": BASE, **settings})
    crawler.stats.open_spider()
    instance = cls.from_crawler(crawler)
    crawler.spider = instance
    return instance


def days_ago(n):
    return (NOW - timedelta(days=n)).isoformat(timespec="seconds")


# -- state -------------------------------------------------------------------

def test_known_complaints_reads_the_db_read_only(tmp_path):
    path = make_db(tmp_path / "c.db", [("heimao", "1", "已回复", days_ago(1), None),
                                       ("heimao", "2", None, days_ago(9), days_ago(2)),
                                       ("jutousu", "3", None, days_ago(1), None)])
    known = known_complaints(path, "heimao")
    assert set(known) == {"1", "2"}
    assert known["1"].status == "已回复" and not known["1"].removed and known["2"].removed
    assert known_complaints(str(tmp_path / "missing.db"), "heimao") == {}


def test_due_for_revisit_open_first_then_final_least_recently_seen():
    path_rows = {
        "open-old": ("处理中", days_ago(5)), "open-new": ("处理中", days_ago(1)), "final-old": ("已完成", days_ago(40)),
        "final-new": ("已完成", days_ago(10)), "unknown": (None, days_ago(4)),
    }
    from scraper.platforms.state import Known
    known = {k: Known(k, None, s, seen, False) for k, (s, seen) in path_rows.items()}
    due = due_for_revisit(known, {"已完成"}, open_after_days=3, final_after_days=30, limit=10, now=NOW)
    assert [k.source_id for k in due] == ["final-old", "open-old", "unknown"]
    assert [k.source_id for k in due_for_revisit(known, {"已完成"}, 3, None, 10, now=NOW)] == ["open-old", "unknown"]
    assert len(due_for_revisit(known, {"已完成"}, 3, 30, limit=1, now=NOW)) == 1


# -- 黑猫 ----------------------------------------------------------------------

def list_response(body, listing="couid", ident="1712804040", page=1):
    url = f"{BASE}/api/company/received_complaints?couid={ident}&type=1&page_size=3&page={page}"
    return scrapy_response(body, url, {"cuishou_platform": "heimao", "cuishou_kind": "list",
                                       "listing": listing, "ident": ident, "page": page},
                           content_type="application/json")


def test_heimao_item_from_the_recorded_page():
    s = spider(HeimaoSpider)
    response = scrapy_response(recorded("heimao_detail_sample.html"), f"{BASE}/complaint/view/{HEIMAO_SN}/",
                               {"cuishou_platform": "heimao", "cuishou_kind": "detail", "sn": HEIMAO_SN})
    (item,) = list(s.parse_detail(response))
    assert item["url"] == f"{BASE}/complaint/view/{HEIMAO_SN}/"
    assert (item["source"], item["kind"], item["source_id"]) == ("heimao", "complaint", HEIMAO_SN)
    assert item["title"] == "高利贷。借款金额与合同不符。砍头息。"
    assert item["body"] == HEIMAO_BODY
    assert item["published_at"] == "2019-11-24T19:18:00+08:00"
    assert (item["complaint_target"], item["complaint_issue"], item["complaint_demand"],
            item["complaint_amount"], item["complaint_status"]) == ("功夫贷", "高利贷，砍头息", "调整利率", "29494元", "已回复")
    assert [t["step"] for t in item["complaint_timeline"]] == ["发起投诉", "审核通过", "商家未入驻", "商家处理中", "回复"]
    assert item["raw_body"] == recorded("heimao_detail_sample.html")
    assert (item["raw_status"], item["raw_encoding"]) == (200, "utf-8")
    assert item["fetched_at"].startswith(str(NOW.year))


def test_heimao_list_requests_each_complaint_page_then_the_next_list_page():
    s = spider(HeimaoSpider)
    requests = list(s.parse_list(list_response(variant("heimao_company_1712804040_p1.json"))))
    details = [r for r in requests if r.meta["cuishou_kind"] == "detail"]
    assert [r.meta["sn"] for r in details] == ["17396503262", "17396219169", "17384204709"]
    assert details[0].url == f"{BASE}/complaint/view/17396503262/?sld=add2213c84e6095dd7c6dc99b37d7293"
    (next_page,) = [r for r in requests if r.meta["cuishou_kind"] == "list"]
    query = dict(parse_qsl(urlsplit(next_page.url).query))
    assert query["page"] == "2" and query["couid"] == "1712804040"
    assert query["signature"] == heimao_mod.signature(query["ts"], query["rs"], ["1712804040", "1", "10", "2"])
    assert next_page.headers["Referer"] == f"{BASE}/company/view/?couid=1712804040".encode()


def test_heimao_stops_at_known_complaints(tmp_path):
    db = make_db(tmp_path / "c.db", [("heimao", sn, "已回复", days_ago(0), None)
                                     for sn in ("17396219169", "17384204709")])
    s = spider(HeimaoSpider, db, HEIMAO_STOP_AFTER_KNOWN=2)
    requests = list(s.parse_list(list_response(variant("heimao_company_1712804040_p1.json"))))
    assert [(r.meta["cuishou_kind"], r.meta.get("sn")) for r in requests] == [("detail", "17396503262")]
    assert s.crawler.stats.get_value("cuishou/listings_stopped/reached_known") == 1


def test_heimao_max_pages(tmp_path):
    s = spider(HeimaoSpider, HEIMAO_MAX_PAGES=1)
    requests = list(s.parse_list(list_response(variant("heimao_company_1712804040_p1.json"))))
    assert all(r.meta["cuishou_kind"] == "detail" for r in requests)
    assert s.crawler.stats.get_value("cuishou/listings_stopped/max_pages") == 1


def test_heimao_removed_complaint_becomes_a_removal_record(tmp_path):
    db = make_db(tmp_path / "c.db", [("heimao", HEIMAO_SN, "已回复", days_ago(5), None)])
    s = spider(HeimaoSpider, db)
    response = scrapy_response(b"gone", f"{BASE}/complaint/view/{HEIMAO_SN}/",
                               {"cuishou_platform": "heimao", "cuishou_kind": "detail", "sn": HEIMAO_SN,
                                "cuishou_removed": "http 404"}, status=404)
    assert list(s.parse_detail(response)) == [
        {"source": "heimao", "source_id": HEIMAO_SN, "url": f"{BASE}/complaint/view/{HEIMAO_SN}/",
         "kind": "complaint", "removed": True}]


def test_heimao_start_lists_couids_revisits_and_skips_search_without_cookie(tmp_path):
    db = make_db(tmp_path / "c.db", [("heimao", "17300000001", "处理中", days_ago(4), None),
                                     ("heimao", "17300000002", "已完成", days_ago(4), None)])
    s = spider(HeimaoSpider, db, HEIMAO_COUIDS="5866754241", HEIMAO_KEYWORDS="暴力催收")
    requests = list(s.initial_requests())
    assert [(r.meta["cuishou_kind"], r.meta.get("ident") or r.meta.get("sn")) for r in requests] == [
        ("list", "5866754241"), ("detail", "17300000001")]
    assert s.crawler.stats.get_value("cuishou/skipped/keyword_search") == "no HEIMAO_COOKIE"


def test_heimao_search_with_a_cookie(tmp_path):
    s = spider(HeimaoSpider, HEIMAO_KEYWORDS="暴力催收", HEIMAO_COOKIE="SUB=abc; SUBP=def")
    (request,) = list(s.initial_requests())
    assert urlsplit(request.url).path == "/api/index/s"
    assert request.cookies == {"SUB": "abc", "SUBP": "def"}


def test_heimao_politeness_comes_from_sources_yml(tmp_path):
    sources = tmp_path / "sources.yml"
    sources.write_text("platforms:\n  - name: heimao\n    spider: heimao\n    delay: 7\n    concurrency: 1\n"
                       "    user_agent: Mozilla/5.0 TestBrowser\n    couids: ['42']\n", encoding="utf-8")
    crawler = get_crawler(HeimaoSpider, {"CUISHOU_SOURCES": str(sources)})
    assert crawler.settings.getfloat("DOWNLOAD_DELAY") == 7.0
    assert crawler.settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN") == 1
    assert crawler.settings.get("USER_AGENT") == "Mozilla/5.0 TestBrowser"
    assert crawler.settings.getint("DEPTH_LIMIT") == 0
    assert 429 not in crawler.settings.getlist("RETRY_HTTP_CODES")
    assert any("PlatformGuardMiddleware" in str(k) for k in crawler.settings.getdict("DOWNLOADER_MIDDLEWARES"))


# -- 聚投诉 --------------------------------------------------------------------

def test_jutousu_list_detail_content_chain():
    s = spider(JutousuSpider)
    url = f"{BASE}/json/merchantPostList/merchantId/2352/listType/1/pageNo/1/offset/"
    listing = scrapy_response(variant("jutousu_merchant_2352_p1.json"), url,
                              {"cuishou_platform": "jutousu", "cuishou_kind": "list", "listing": "merchant",
                               "ident": "2352", "page": 1}, content_type="application/json")
    requests = list(s.parse_list(listing))
    assert [r.url for r in requests] == [
        f"{BASE}/tousu/show/id/1501864", f"{BASE}/tousu/show/id/1501877",
        f"{BASE}/json/merchantPostList/merchantId/2352/listType/1/pageNo/2/offset/1575006252"]
    detail = requests[0]
    page = scrapy_response(jutousu_detail("1501864", encoding="gbk", declare=False), detail.url, detail.meta)
    (content_request,) = list(s.parse_detail(page))
    key = variant_json("jutousu_post_keys.json")["1501864"]
    assert content_request.url == f"{BASE}/front/api/post/getPostContent.do?postKey={key}"
    content = scrapy_response(variant("jutousu_content_1501864.json"), content_request.url, content_request.meta,
                              content_type="application/json;charset=UTF-8")
    (item,) = list(s.parse_content(content))
    assert item["url"] == f"{BASE}/tousu/show/id/1501864"
    assert (item["source"], item["source_id"], item["kind"]) == ("jutousu", "1501864", "complaint")
    assert item["title"] == "钱站，爱钱进，阴阳合同，威胁爆通讯录"
    assert item["body"].startswith("2019年8月2日在钱站app申请的5000借款")
    assert (item["complaint_target"], item["complaint_issue"], item["complaint_demand"]) == (
        "钱站", "暴力催收,高利贷", "赔偿,道歉,停止骚扰,调整利率")
    assert item["published_at"] == "2019-11-29T13:46:22+08:00"
    # no documented field for these on 聚投诉: never invented
    assert item["complaint_status"] is None and item["complaint_amount"] is None and item["complaint_timeline"] is None
    assert item["raw_body"] == variant("jutousu_content_1501864.json")
    assert item["raw_url"] == content_request.url


def test_jutousu_empty_page_ends_the_listing():
    s = spider(JutousuSpider)
    url = f"{BASE}/front/api/search/searchPostList.do?pageNo=2&title=x&listType=1"
    response = scrapy_response(variant("jutousu_search_cuishou_p2.json"), url,
                               {"cuishou_platform": "jutousu", "cuishou_kind": "list", "listing": "keyword",
                                "ident": "x", "page": 2}, content_type="application/json")
    assert list(s.parse_list(response)) == []
    assert s.crawler.stats.get_value("cuishou/listings_stopped/last_page") == 1


def test_robots_txt_forbidding_the_platform_is_reported_as_blocked():
    s = spider(HeimaoSpider)
    s.crawler.stats.set_value("robotstxt/forbidden", 4)
    s.closed("finished")
    assert s.crawler.stats.get_value("cuishou/status") == "blocked"
    assert "robots.txt forbids 4" in s.crawler.stats.get_value("cuishou/reason")


def test_robots_txt_does_not_overwrite_an_earlier_verdict():
    s = spider(HeimaoSpider)
    s.crawler.stats.set_value("cuishou/status", "layout_changed")
    s.crawler.stats.set_value("robotstxt/forbidden", 1)
    s.closed("layout_changed: x")
    assert s.crawler.stats.get_value("cuishou/status") == "layout_changed"


def test_politeness_of_the_entry_named_by_source_name(tmp_path):
    sources = tmp_path / "sources.yml"
    sources.write_text("platforms:\n  - name: heimao-lenders\n    spider: heimao\n    delay: 11\n"
                       "    couids: ['42']\n", encoding="utf-8")
    from scrapy.crawler import Crawler

    crawler = Crawler(HeimaoSpider, {"CUISHOU_SOURCES": str(sources)})  # settings still open, as in a crawl
    spider = HeimaoSpider.from_crawler(crawler, source_name="heimao-lenders")
    assert spider.source_name == "heimao-lenders" and spider.config["couids"] == ["42"]
    assert crawler.settings.getfloat("DOWNLOAD_DELAY") == 11.0
