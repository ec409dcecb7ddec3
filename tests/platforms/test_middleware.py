"""The guard middleware on real responses: what it passes, what it stops, and the
stats the run recorder reads (cuishou/status, cuishou/reason)."""
from __future__ import annotations

import pytest
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, Request, TextResponse
from scrapy.utils.test import get_crawler

from scraper.middlewares import PlatformGuardMiddleware
from scraper.spiders.heimao import HeimaoSpider
from tests.platforms.fixtures import HEIMAO_SN, heimao_detail_changed_layout, recorded, variant

LIST_URL = "http://127.0.0.1:9/api/company/received_complaints?couid=1712804040&type=1&page_size=3&page=1"
DETAIL_URL = f"http://127.0.0.1:9/complaint/view/{HEIMAO_SN}/"


@pytest.fixture
def guard():
    crawler = get_crawler(HeimaoSpider, {"CUISHOU_SOURCES": "/nonexistent.yml"})
    crawler.spider = HeimaoSpider.from_crawler(crawler)
    crawler.stats.open_spider()
    return PlatformGuardMiddleware.from_crawler(crawler)


def exchange(url, body, status=200, kind="list", content_type="application/json", **meta):
    request = Request(url, meta={"cuishou_platform": "heimao", "cuishou_kind": kind, **meta})
    cls = HtmlResponse if "html" in content_type else TextResponse
    response = cls(url=url, status=status, body=body, headers={"Content-Type": content_type}, request=request)
    return request, response


def stats(guard):
    return guard.crawler.stats.get_stats()


def test_ok_list_passes_with_its_parse(guard):
    request, response = exchange(LIST_URL, variant("heimao_company_1712804040_p1.json"))
    assert guard.process_response(request, response) is response
    assert [e.sn for e in request.meta["cuishou_parsed"].entries] == ["17396503262", "17396219169", "17384204709"]
    assert stats(guard)["cuishou/responses/list/ok"] == 1
    assert "cuishou/status" not in stats(guard)


def test_other_requests_are_untouched(guard):
    request = Request("http://127.0.0.1:9/robots.txt")
    response = TextResponse(url=request.url, status=456, body=b"", request=request)
    assert guard.process_response(request, response) is response
    assert guard.halted is None


def test_ban_stops_the_crawl_and_every_later_request(guard):
    request, response = exchange(LIST_URL, variant("heimao_456.html"), status=456, content_type="text/html")
    with pytest.raises(IgnoreRequest):
        guard.process_response(request, response)
    assert stats(guard)["cuishou/status"] == "blocked"
    assert stats(guard)["cuishou/reason"] == "heimao list: http 456: IP banned by the platform"
    assert guard.crawler.spider.stopped()
    with pytest.raises(IgnoreRequest):
        guard.process_request(Request(DETAIL_URL, meta={"cuishou_platform": "heimao", "cuishou_kind": "detail"}))
    # a complaint page already in flight is dropped too: nothing half-read reaches the store
    request, response = exchange(DETAIL_URL, recorded("heimao_detail_sample.html"), kind="detail",
                                 content_type="text/html")
    with pytest.raises(IgnoreRequest):
        guard.process_response(request, response)


def test_login_page_instead_of_json_is_blocked(guard):
    request, response = exchange(LIST_URL, variant("heimao_login_page.html"), content_type="text/html")
    with pytest.raises(IgnoreRequest):
        guard.process_response(request, response)
    assert stats(guard)["cuishou/status"] == "blocked"
    assert "login wall" in stats(guard)["cuishou/reason"]


def test_broken_list_envelope_is_layout_changed_at_once(guard):
    request, response = exchange(LIST_URL, variant("heimao_layout_changed.json"))
    with pytest.raises(IgnoreRequest):
        guard.process_response(request, response)
    assert stats(guard)["cuishou/status"] == "layout_changed"
    assert "no complaints/lists array" in stats(guard)["cuishou/reason"]


def test_changed_complaint_pages_stop_the_crawl_at_the_limit(guard):
    assert guard.mismatch_limit() == 3
    for attempt in range(1, 4):
        request, response = exchange(DETAIL_URL.replace(HEIMAO_SN, str(attempt)), heimao_detail_changed_layout(),
                                     kind="detail", content_type="text/html")
        with pytest.raises(IgnoreRequest):
            guard.process_response(request, response)
        assert stats(guard)["cuishou/layout_mismatches"] == attempt
        assert ("cuishou/status" in stats(guard)) == (attempt == 3)
    assert stats(guard)["cuishou/status"] == "layout_changed"
    assert "div.ts-d-question" in stats(guard)["cuishou/reason"]


def test_removed_complaint_passes_marked(guard):
    request, response = exchange(DETAIL_URL, b"<html>404</html>", status=404, kind="detail", content_type="text/html")
    assert guard.process_response(request, response) is response
    assert request.meta["cuishou_removed"] == "http 404"
    assert guard.halted is None


def test_format_notes_are_counted_and_logged_once(guard, caplog):
    body = variant("heimao_company_1712804040_p1.json").replace(b'"sn": "17396503262"', b'"sn": "17396503262", "risk": 1')
    for _ in range(2):
        request, response = exchange(LIST_URL, body)
        guard.process_response(request, response)
    assert stats(guard)["cuishou/format_notes"] == 2
    assert stats(guard)["cuishou/format_notes_examples"] == ["heimao list: unexpected list item keys: main.risk"]
    assert sum("unexpected list item keys" in r.getMessage() for r in caplog.records) == 1
