"""The real `scrapy crawl jutousu` against the replay server, asserting on the
database: merchant pagination with the offset cursor, search, pages in UTF-8 and
GBK (declared or not), content JSON in GBK without a charset, evidence, then a
second run (stop at known, re-visit, removal), then the anti-bot answers."""
from __future__ import annotations

import gzip
import hashlib
import unicodedata

import pytest

from tests.platforms.fixtures import variant
from tests.platforms.replay import ReplayServer
from tests.platforms.scenarios import (
    CONTENT_DO,
    HTML,
    JSON,
    JUTOUSU_NEW_ID,
    MERCHANT,
    SEARCH_DO,
    crawl,
    jutousu_first_run,
    jutousu_second_run,
)

SOURCES = ("-a", "merchants=2352", "-a", "keywords=催收")
MERCHANT_IDS = ["1501864", "1501877", "1501649"]
SEARCH_IDS = ["947282", "1440578"]
REMOVED_ID = "947282"


@pytest.fixture(scope="module")
def server():
    with ReplayServer() as replay:
        yield replay


@pytest.fixture(scope="module")
def runs(server, tmp_path_factory):
    db = tmp_path_factory.mktemp("jutousu") / "crawl.db"
    first_served = jutousu_first_run(server)
    first = crawl("jutousu", server, db, *SOURCES)
    first_log = list(server.log)
    assert first.returncode == 0, first.log[-3000:]
    first_posts = first.posts("jutousu")
    jutousu_second_run(server, removed_id=REMOVED_ID)
    second = crawl("jutousu", server, db, *SOURCES, "-s", "JUTOUSU_STOP_AFTER_KNOWN=2",
                   "-s", "JUTOUSU_REVISIT_OPEN_DAYS=0")
    assert second.returncode == 0, second.log[-3000:]
    return {"first": first, "first_log": first_log, "first_posts": first_posts, "first_served": first_served,
            "second": second, "second_log": list(server.log)}


def hits(log, path, **query):
    return sum(1 for h in log if h.path == path and all(h.query.get(k) == str(v) for k, v in query.items()))


def test_first_run_pages_through_merchant_and_search(runs):
    log = runs["first_log"]
    assert [hits(log, MERCHANT.format(page=p, offset=o)) for p, o in
            ((1, ""), (2, "1575006252"), (3, "1575002049"))] == [1, 1, 1]
    assert [hits(log, SEARCH_DO, pageNo=p, title="催收") for p in (1, 2, 3)] == [1, 1, 0]
    for post_id in MERCHANT_IDS + SEARCH_IDS:
        assert hits(log, f"/tousu/show/id/{post_id}") == 1
    assert hits(log, CONTENT_DO) == 5
    assert runs["first"].run["status"] == "ok"


def test_every_complaint_stored_with_its_fields(runs):
    posts = runs["first_posts"]
    assert set(posts) == set(MERCHANT_IDS + SEARCH_IDS)
    post = posts["1501864"]  # its page and its content JSON came in GBK, the content without a charset
    assert post["title"] == unicodedata.normalize("NFKC", "钱站，爱钱进，阴阳合同，威胁爆通讯录")  # the pipeline's NFKC
    assert "阴阳合同" in post["body"] and "爆通讯录" in post["body"]
    assert post["complaint_target"] == "钱站"
    assert post["complaint_demand"] == "赔偿,道歉,停止骚扰,调整利率"
    assert post["published_at"] == "2019-11-29T13:46:22+08:00"
    assert post["url"].endswith("/tousu/show/id/1501864")
    assert posts["1501649"]["complaint_target"] == "钱站"  # page in undeclared GBK
    assert posts["947282"]["complaint_target"] == "开薪贷"
    for p in posts.values():  # not on 聚投诉, as far as any source shows
        assert p["complaint_status"] is None and p["complaint_amount"] is None


def test_platform_target_makes_the_lender_the_subject(runs):
    rows = runs["first"].rows(
        "SELECT l.name, pl.role FROM post_lenders pl JOIN lenders l ON l.id = pl.lender_id "
        "JOIN posts p ON p.id = pl.post_id WHERE p.source_id = '1501864'")
    assert {"name": "钱站", "role": "subject"} in rows


def test_evidence_is_the_content_response(runs):
    (page,) = runs["first"].rows("SELECT pg.* FROM pages pg JOIN posts p ON p.id = pg.post_id "
                                 "WHERE p.source_id = '1501864'")
    served = runs["first_served"]["1501864"]
    assert gzip.decompress(page["body_gz"]) == served
    assert page["sha256"] == hashlib.sha256(served).hexdigest()
    assert page["encoding"] == "gb18030"


def test_second_run_stops_at_known_and_fetches_the_new_one(runs):
    log = runs["second_log"]
    assert hits(log, MERCHANT.format(page=1, offset="")) == 1
    assert hits(log, MERCHANT.format(page=2, offset="1575006252")) == 0
    assert hits(log, f"/tousu/show/id/{JUTOUSU_NEW_ID}") == 1
    posts = runs["second"].posts("jutousu")
    assert posts[JUTOUSU_NEW_ID]["title"] == "钱站又来暴力催收"


def test_second_run_revisits_known_complaints_and_marks_the_gone_one(runs):
    log = runs["second_log"]
    for post_id in MERCHANT_IDS + SEARCH_IDS:
        assert hits(log, f"/tousu/show/id/{post_id}") == 1
    posts = runs["second"].posts("jutousu")
    assert posts[REMOVED_ID]["removed_at"] and posts[REMOVED_ID]["title"] == "大树金融开薪贷"
    assert all(p["removed_at"] is None for i, p in posts.items() if i != REMOVED_ID)
    stats = runs["second"].run["stats"]
    assert stats["cuishou/complaints_gone"] == 1 and stats["cuishou/revisited"] == 4
    later = {i: p["last_seen"] for i, p in posts.items()}
    assert all(later[i] >= runs["first_posts"][i]["last_seen"] for i in runs["first_posts"])


# -- anti-bot answers ----------------------------------------------------------

def merchant_only(server):
    jutousu_first_run(server)
    server.add(SEARCH_DO, {"title": "催收"}, body=b'{"postList": []}', content_type=JSON)


def answer_list(server, **response):
    merchant_only(server)
    server.add(MERCHANT.format(page=1, offset=""), **response)


def answer_page2(server, **response):
    merchant_only(server)
    server.add(MERCHANT.format(page=2, offset="1575006252"), **response)


def answer_details(server, **response):
    merchant_only(server)
    for post_id in MERCHANT_IDS:
        server.add(f"/tousu/show/id/{post_id}", **response)


def answer_contents(server, **response):
    merchant_only(server)
    server.add(CONTENT_DO, **response)


def redirect_detail_to_passport(server):
    merchant_only(server)
    server.add("/tousu/show/id/1501864", status=302, headers={"Location": "/passport/login?from=ts"})
    server.add("/passport/login", body=variant("jutousu_login_wall.html"), content_type=HTML)


CASES = {
    "login-wall-list": (lambda s: answer_list(s, body=variant("jutousu_login_wall.html"), content_type=HTML),
                        "blocked", "jutousu list: login wall: list response contains '登录聚投诉'", 0),
    "ban-456-page-2": (lambda s: answer_page2(s, status=456, body=b""), "blocked", "http 456", 2),
    "rate-limit-429-detail": (lambda s: answer_details(s, status=429, body=b""), "blocked", "http 429", 0),
    "captcha-detail": (lambda s: answer_details(s, body=variant("heimao_captcha.html"), content_type=HTML),
                       "blocked", "jutousu detail: captcha", 0),
    "redirect-to-passport": (redirect_detail_to_passport, "blocked", "login required: redirected to", 1),
    "list-changed": (lambda s: answer_list(s, body=variant("jutousu_layout_changed.json"), content_type=JSON),
                     "layout_changed", "jutousu list: list response: no postList array", 0),
    "content-gone-null": (lambda s: answer_contents(s, body=variant("jutousu_content_missing_post.json"),
                                                    content_type=JSON),
                          "layout_changed", "jutousu content: content response: no post object", 0),
}


@pytest.mark.parametrize("case", list(CASES))
def test_anti_bot_answer_stops_the_run_cleanly(case, server, tmp_path):
    set_up, status, reason, max_posts = CASES[case]
    set_up(server)
    run = crawl("jutousu", server, tmp_path / "crawl.db", *SOURCES, "-s", "CONCURRENT_REQUESTS=1")
    assert run.returncode == 0, run.log[-3000:]
    row = run.run
    assert (row["status"], row["finish_reason"]) == (status, f"{status}: {row['reason']}")
    assert reason in row["reason"]
    posts = run.posts("jutousu")
    assert len(posts) <= max_posts
    for post in posts.values():
        assert post["complaint_target"] == "钱站" and post["body"]
    assert "1501864" not in posts or case == "ban-456-page-2"  # the complaint that got the answer
    assert run.rows("SELECT count(*) AS n FROM quarantine")[0]["n"] == 0
