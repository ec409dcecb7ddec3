"""The real `scrapy crawl heimao` against the replay server, asserting on the
SQLite database it leaves: pagination, signatures, evidence, quarantine, then a
second run (stop at known complaints, status change, removal), then each anti-bot
answer stopping the run as `blocked` / `layout_changed` with nothing half-read stored."""
from __future__ import annotations

import gzip
import hashlib

import pytest

from tests.platforms.fixtures import HEIMAO_SN, heimao_detail_changed_layout, variant
from tests.platforms.replay import ReplayServer
from tests.platforms.scenarios import (
    COMPANY,
    EMPTY_BODY_SN,
    HTML,
    JSON,
    NEW_SNS,
    S6_ITEMS,
    SEARCH,
    crawl,
    heimao_first_run,
    heimao_second_run,
)

LENDERS = ("-a", "couids=1712804040,5866754241", "-s", "HEIMAO_PAGE_SIZE=3")
REMOVED_SN = "17348099578"
S6_SNS = [i["main"]["sn"] for i in S6_ITEMS]
LEGACY_SNS = [HEIMAO_SN, "17348099578", "17348080977", "17348066759", "17347424602"]


@pytest.fixture(scope="module")
def server():
    with ReplayServer() as replay:
        yield replay


@pytest.fixture(scope="module")
def runs(server, tmp_path_factory):
    """Two daily runs on one database: the first from scratch, the second a day later."""
    db = tmp_path_factory.mktemp("heimao") / "crawl.db"
    first_pages = heimao_first_run(server)
    first = crawl("heimao", server, db, *LENDERS)
    first_log = list(server.log)
    assert first.returncode == 0, first.log[-3000:]
    first_posts = first.posts("heimao")
    first_statuses = first.rows("SELECT p.source_id, s.status FROM post_statuses s JOIN posts p ON p.id = s.post_id")
    second_pages = heimao_second_run(server, removed_sn=REMOVED_SN, changed_sn=HEIMAO_SN, new_status="已完成")
    second = crawl("heimao", server, db, *LENDERS, "-s", "HEIMAO_STOP_AFTER_KNOWN=3",
                   "-s", "HEIMAO_REVISIT_OPEN_DAYS=0")
    assert second.returncode == 0, second.log[-3000:]
    return {"first": first, "first_posts": first_posts, "first_statuses": first_statuses, "first_log": first_log, "first_pages": first_pages,
            "second": second, "second_log": list(server.log), "second_pages": second_pages}


def hits(log, path, **query):
    return sum(1 for h in log if h.path == path and all(h.query.get(k) == str(v) for k, v in query.items()))


# -- first run -----------------------------------------------------------------

def test_first_run_follows_every_page_with_valid_signatures(runs):
    log = runs["first_log"]
    assert [hits(log, COMPANY, couid="1712804040", page=p) for p in (1, 2, 3, 4)] == [1, 1, 1, 0]
    assert hits(log, COMPANY, couid="5866754241", page=1) == 1
    assert all(h.signature_ok for h in log if h.path == COMPANY)
    assert all(h.query["page_size"] == "3" for h in log if h.path == COMPANY)
    for sn in S6_SNS + LEGACY_SNS:
        assert hits(log, f"/complaint/view/{sn}/") == 1, sn


def test_first_run_stores_every_complaint_but_the_empty_one(runs):
    posts = runs["first_posts"]
    assert set(posts) == set(S6_SNS + LEGACY_SNS) - {EMPTY_BODY_SN}
    assert {p["kind"] for p in posts.values()} == {"complaint"}
    assert runs["first"].run["status"] == "ok" and runs["first"].run["finish_reason"] == "finished"


def test_the_recorded_complaint_is_stored_with_its_structured_fields(runs):
    post = runs["first_posts"][HEIMAO_SN]
    assert post["url"].endswith(f"/complaint/view/{HEIMAO_SN}/")
    assert post["title"] == "高利贷。借款金额与合同不符。砍头息。"
    assert "借款金额与合同不符" in post["body"] and "年利率高达40.4%" in post["body"]
    assert post["published_at"] == "2019-11-24T19:18:00+08:00"
    assert (post["complaint_target"], post["complaint_demand"], post["complaint_amount"], post["complaint_status"]) == (
        "功夫贷", "调整利率", "29494元", "已回复")


def test_pages_with_list_tokens_are_stored_under_one_canonical_url(runs):
    post = runs["first_posts"]["17396503262"]
    assert post["url"].endswith("/complaint/view/17396503262/")
    assert post["complaint_target"] == "曲美家居" and post["complaint_status"] == "已回复"


def evidence(run, sn):
    return run.rows("SELECT p.* FROM pages p JOIN posts ON posts.id = p.post_id "
                    "WHERE posts.source = 'heimao' AND posts.source_id = ? ORDER BY p.id", sn)


def test_evidence_is_the_served_page_compressed_with_its_sha256(runs):
    for sn in (HEIMAO_SN, "17396503262"):
        page = evidence(runs["second"], sn)[0]  # the first run's copy is kept after the second run
        served = runs["first_pages"][sn]
        assert gzip.decompress(page["body_gz"]) == served
        assert page["sha256"] == hashlib.sha256(served).hexdigest()
        assert page["status"] == 200 and page["encoding"] == "utf-8" and page["fetched_at"]


def test_a_changed_page_is_archived_again_next_to_the_old_one(runs):
    pages = evidence(runs["second"], HEIMAO_SN)
    assert [gzip.decompress(p["body_gz"]) for p in pages] == [runs["first_pages"][HEIMAO_SN],
                                                              runs["second_pages"][HEIMAO_SN]]
    assert b"<b>\xe5\xb7\xb2\xe5\xae\x8c\xe6\x88\x90</b>" in gzip.decompress(pages[1]["body_gz"])  # 已完成


def test_a_page_without_complaint_text_goes_to_quarantine(runs):
    rows = runs["first"].rows("SELECT * FROM quarantine WHERE source = 'heimao'")
    assert [r["url"].rsplit("/", 2)[-2] for r in rows] == [EMPTY_BODY_SN]
    assert rows[0]["stage"] == "validate" and "body" in rows[0]["reason"]


def test_status_history_starts_with_each_complaints_first_status(runs):
    history = {(r["source_id"], r["status"]) for r in runs["first_statuses"]}
    assert history == {(sn, post["complaint_status"]) for sn, post in runs["first_posts"].items()}
    assert (HEIMAO_SN, "已回复") in history


# -- second run ----------------------------------------------------------------

def test_second_run_stops_paginating_at_known_complaints(runs):
    log = runs["second_log"]
    assert [hits(log, COMPANY, couid="1712804040", page=p) for p in (1, 2, 3, 4)] == [1, 1, 0, 0]
    stats = runs["second"].run["stats"]
    assert stats["cuishou/listings_stopped/reached_known"] == 2  # both lenders' lists
    assert hits(log, COMPANY, couid="5866754241", page=1) == 1
    for sn in NEW_SNS:
        assert hits(log, f"/complaint/view/{sn}/") == 1
    assert set(NEW_SNS) <= set(runs["second"].posts("heimao"))


def test_second_run_revisits_open_complaints_only(runs):
    log = runs["second_log"]
    first = runs["first_posts"]
    finished = {sn for sn, p in first.items() if p["complaint_status"] == "已完成"}
    assert finished, "the replay has finished complaints"
    for sn in finished:
        assert hits(log, f"/complaint/view/{sn}/") == 0, sn
    for sn in set(first) - finished:
        assert hits(log, f"/complaint/view/{sn}/") == 1, sn
    assert runs["second"].run["stats"]["cuishou/revisited"] == len(set(first) - finished) - 1  # one is gone


def test_status_change_is_recorded_not_overwritten(runs):
    second = runs["second"]
    assert second.posts("heimao")[HEIMAO_SN]["complaint_status"] == "已完成"
    history = second.rows("SELECT s.status, s.seen_at FROM post_statuses s JOIN posts p ON p.id = s.post_id "
                          "WHERE p.source_id = ? ORDER BY s.seen_at", HEIMAO_SN)
    assert [h["status"] for h in history] == ["已回复", "已完成"]
    assert history[0]["seen_at"] < history[1]["seen_at"]


def test_removed_complaint_is_marked_never_deleted(runs):
    post = runs["second"].posts("heimao")[REMOVED_SN]
    assert post["removed_at"] and post["title"] == runs["first_posts"][REMOVED_SN]["title"]
    assert runs["second"].run["stats"]["cuishou/complaints_gone"] == 1
    assert runs["second"].run["stats"]["cuishou/removed"] == 1  # the store's count
    others = [p for sn, p in runs["second"].posts("heimao").items() if sn != REMOVED_SN]
    assert all(p["removed_at"] is None for p in others)


# -- anti-bot answers ----------------------------------------------------------

def one_lender(server, body=None, status=200, content_type=JSON, headers=None):
    server.reset()
    server.add(COMPANY, {"couid": "1712804040", "page": 1}, signed=True, content_type=JSON,
               body=variant("heimao_company_1712804040_p1.json"))
    pages = {}
    for item in S6_ITEMS[:3]:
        from tests.platforms.scenarios import s6_detail
        pages[item["main"]["sn"]] = s6_detail(item)
        server.add(f"/complaint/view/{item['main']['sn']}/", body=pages[item["main"]["sn"]], content_type=HTML)
    return pages


def answer_page2(server, **response):
    one_lender(server)
    server.add(COMPANY, {"couid": "1712804040", "page": 2}, signed=True, **response)


def answer_list(server, **response):
    one_lender(server)
    server.add(COMPANY, {"couid": "1712804040", "page": 1}, signed=True, **response)


def answer_detail(server, **response):
    one_lender(server)
    server.add(f"/complaint/view/{S6_ITEMS[1]['main']['sn']}/", **response)


def answer_all_details(server, **response):
    one_lender(server)
    for item in S6_ITEMS[:3]:
        server.add(f"/complaint/view/{item['main']['sn']}/", **response)


def answer_search(server, **response):
    one_lender(server)
    server.add(SEARCH, {"keywords": "退款", "page": 1}, signed=True, **response)


def redirect_list_to_login(server):
    one_lender(server)
    server.add(COMPANY, {"couid": "1712804040", "page": 1}, signed=True, status=302,
               headers={"Location": "/sso/login?entry=tousu"}, body=b"")
    server.add("/sso/login", body=variant("heimao_login_page.html"), content_type=HTML)


CASES = {
    # case: (set-up, extra crawl args, status, reason fragment, max posts stored)
    "ban-456-on-page-2": (lambda s: answer_page2(s, status=456, body=variant("heimao_456.html"), content_type=HTML),
                          (), "blocked", "heimao list: http 456: IP banned", 3),
    "rate-limit-429": (lambda s: answer_detail(s, status=429, body=b"slow down", headers={"Retry-After": "600"}),
                       (), "blocked", "http 429: rate limited (Retry-After: 600)", 2),
    "login-required-10017": (lambda s: answer_list(s, body=variant("heimao_code_10017.json"), content_type=JSON),
                             (), "blocked", "login required: api error code 10017", 0),
    "unknown-error-code": (lambda s: answer_list(s, body=variant("heimao_code_unknown.json"), content_type=JSON),
                           (), "blocked", "api error code 10005", 0),
    "risk-control-empty-page": (lambda s: answer_list(s, body=variant("heimao_risk_empty.json"), content_type=JSON),
                                (), "blocked", "empty list page 1 although the pager counts 109", 0),
    "redirect-to-login": (redirect_list_to_login, (), "blocked", "login required: redirected to", 0),
    "search-login-page": (lambda s: answer_search(s, body=variant("heimao_login_page.html"), content_type=HTML),
                          ("-a", "keywords=退款", "-s", "HEIMAO_COOKIE=SUB=expired"), "blocked",
                          "heimao list: login wall instead of JSON", 3),
    "captcha-on-a-complaint": (lambda s: answer_detail(s, body=variant("heimao_captcha.html"), content_type=HTML),
                               (), "blocked", "heimao detail: captcha or challenge page", 2),
    "list-envelope-changed": (lambda s: answer_list(s, body=variant("heimao_layout_changed.json"), content_type=JSON),
                              (), "layout_changed", "no complaints/lists array", 0),
    "complaint-pages-changed": (lambda s: answer_all_details(s, body=heimao_detail_changed_layout(), content_type=HTML),
                                (), "layout_changed", "heimao detail: complaint page without div.ts-d-question", 0),
}


@pytest.mark.parametrize("case", list(CASES))
def test_anti_bot_answer_stops_the_run_cleanly(case, server, tmp_path):
    set_up, extra, status, reason, max_posts = CASES[case]
    set_up(server)
    # one request at a time, so "what was stored before the answer" is deterministic
    run = crawl("heimao", server, tmp_path / "crawl.db", "-a", "couids=1712804040", "-s", "HEIMAO_PAGE_SIZE=3",
                "-s", "CONCURRENT_REQUESTS=1", *extra)
    assert run.returncode == 0, run.log[-3000:]
    row = run.run
    assert row["status"] == status
    assert reason in row["reason"]
    assert row["finish_reason"] == f"{status}: {row['reason']}"
    posts = run.posts("heimao")
    assert len(posts) <= max_posts
    for post in posts.values():  # whatever was stored is a whole complaint page, never the anti-bot answer
        assert post["complaint_status"] and post["complaint_target"] == "曲美家居" and post["body"]
    assert run.rows("SELECT count(*) AS n FROM quarantine")[0]["n"] == 0
    assert f"Closing spider ({status}: " in run.log


def test_robots_txt_forbidding_the_api_is_reported(server, tmp_path):
    one_lender(server)
    server.add("/robots.txt", body=b"User-agent: *\nDisallow: /api/\n", content_type="text/plain")
    run = crawl("heimao", server, tmp_path / "crawl.db", "-a", "couids=1712804040")
    assert run.returncode == 0, run.log[-3000:]
    assert (run.run["status"], run.run["finish_reason"]) == ("blocked", "finished")
    assert "robots.txt forbids 1 of our requests" in run.run["reason"]
    assert hits(server.log, COMPANY) == 0 and run.posts("heimao") == {}


def test_keyword_search_with_a_cookie_stores_the_hits(server, tmp_path):
    from tests.platforms.scenarios import s6_detail

    server.reset()
    server.add(SEARCH, {"keywords": "退款", "page": 1}, signed=True, content_type=JSON,
               body=variant("heimao_search_tuikuan_p1.json"))
    hit_sns = [i["main"]["sn"] for i in S6_ITEMS if "退款" in i["main"]["title"] + i["main"]["summary"]]
    for item in S6_ITEMS:
        server.add(f"/complaint/view/{item['main']['sn']}/", body=s6_detail(item), content_type=HTML)
    run = crawl("heimao", server, tmp_path / "crawl.db", "-a", "keywords=退款", "-s", "HEIMAO_COOKIE=SUB=abc; SUBP=def")
    assert run.returncode == 0, run.log[-3000:]
    (search,) = [h for h in server.log if h.path == SEARCH]
    assert search.signature_ok and search.query["keywords"] == "退款"
    assert "SUB=abc" in search.headers.get("cookie", "")
    assert search.headers["referer"].endswith("/index/search/?keywords=%E9%80%80%E6%AC%BE&t=1")
    posts = run.posts("heimao")
    assert set(posts) == set(hit_sns) - {EMPTY_BODY_SN}
    assert all("<" not in p["title"] for p in posts.values())
    assert run.run["status"] == "ok"


def test_the_platform_target_is_the_subject_lender(runs):
    rows = runs["second"].rows(
        "SELECT l.name, pl.role FROM post_lenders pl JOIN lenders l ON l.id = pl.lender_id "
        "JOIN posts p ON p.id = pl.post_id WHERE p.source_id = ?", HEIMAO_SN)
    assert {"name": "功夫贷", "role": "subject"} in rows
