"""黑猫投诉 parsing on recorded responses: signature, list envelopes (JSON and the
2019 JSONP), highlight tags, the complaint page in both views, and what each
anti-bot answer is classified as."""
from __future__ import annotations

import json
from urllib.parse import parse_qsl, urlsplit

import pytest

from scraper.platforms import BLOCKED, LAYOUT_CHANGED, OK, REMOVED, decode_body, heimao
from tests.platforms.fixtures import (
    HEIMAO_BODY,
    HEIMAO_SN,
    fetched,
    heimao_detail,
    heimao_detail_changed_layout,
    recorded,
    variant,
)

VECTORS = json.loads(recorded("heimao_signature_vectors.json"))["vectors"]


# -- signature -------------------------------------------------------------

@pytest.mark.parametrize("vector", VECTORS, ids=lambda v: f"{v['ts']}-p{v['params']['page']}")
def test_signature_reproduces_captured_browser_requests(vector):
    values = list(vector["params"].values())
    assert heimao.signature(vector["ts"], vector["rs"], values) == vector["signature"]


def test_list_url_carries_the_signature_of_its_own_values():
    url = heimao.list_url("http://127.0.0.1:9", "couid", "5866754241", 2, 10, ts="1719790751270", rs="q48wKoCjN7c7DKqv")
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    assert parts.path == "/api/company/received_complaints"
    assert query["couid"] == "5866754241" and query["type"] == "1" and query["page_size"] == "10" and query["page"] == "2"
    expected = heimao.signature("1719790751270", "q48wKoCjN7c7DKqv", ["5866754241", "1", "10", "2"])
    assert query["signature"] == expected


def test_keyword_is_signed_raw_and_sent_urlencoded():
    url = heimao.list_url("https://tousu.sina.com.cn", "keyword", "暴力催收", 1, 10, ts="1700000000000", rs="a" * 16)
    assert "keywords=%E6%9A%B4%E5%8A%9B%E5%82%AC%E6%94%B6" in url
    query = dict(parse_qsl(urlsplit(url).query))
    assert query["signature"] == heimao.signature("1700000000000", "a" * 16, ["暴力催收", "10", "1"])


def test_random_rs_has_the_site_shape():
    rs = heimao.random_rs()
    assert len(rs) == 16 and rs.isalnum() and rs.isascii()


# -- the complaint page ----------------------------------------------------

@pytest.fixture(scope="module")
def detail():
    text, encoding = decode_body(recorded("heimao_detail_sample.html"), "text/html")
    assert encoding == "utf-8" and not text.startswith("\ufeff")  # the recorded page starts with a BOM
    return heimao.parse_detail(text)


def test_detail_structured_fields(detail):
    assert detail["sn"] == HEIMAO_SN
    assert detail["title"] == "高利贷。借款金额与合同不符。砍头息。"
    assert detail["published_at"] == "2019-11-24T19:18:00+08:00"
    assert (detail["target"], detail["target_couid"]) == ("功夫贷", "5866754241")
    assert detail["issue"] == "高利贷，砍头息"
    assert detail["demand"] == "调整利率"
    assert detail["amount"] == "29494元"
    assert detail["status"] == "已回复"
    assert detail["notes"] == []


def test_detail_body_is_the_complainants_text(detail):
    assert detail["body"] == HEIMAO_BODY


def test_detail_timeline_oldest_first_with_the_year_inferred(detail):
    assert [(t["time"], t["actor"], t["step"]) for t in detail["timeline"]] == [
        ("2019-11-24T19:18:54+08:00", "匿名", "发起投诉"),
        ("2019-11-25T14:15:27+08:00", "黑猫消费者服务平台", "审核通过"),
        ("2019-11-25T14:15:27+08:00", "黑猫消费者服务平台", "商家未入驻"),
        ("2019-11-25T14:15:34+08:00", "黑猫消费者服务平台", "商家处理中"),
        ("2019-11-25T15:53:57+08:00", "功夫贷", "回复"),
    ]
    assert detail["timeline"][3]["text"] == "已分配商家 功夫贷"
    assert detail["timeline"][4]["text"].startswith("尊敬的用户您好，您反馈的问题，我司非常重视")


def test_owner_view_gives_the_same_complaint_without_the_private_blocks(detail):
    text, _ = decode_body(recorded("heimao_detail_owner_view_sample.html"), "text/html")
    owner = heimao.parse_detail(text)
    assert {k: v for k, v in owner.items() if k != "timeline"} == {k: v for k, v in detail.items() if k != "timeline"}
    dumped = json.dumps(owner, ensure_ascii=False)
    assert "180******98" not in dumped          # 联系方式 and the phone under the private block
    assert "sinastorage" not in dumped and "以下内容仅" not in dumped


def test_timeline_year_rolls_over_at_new_year():
    times = heimao.timeline_times(["12-31 23:00:00", "01-02 08:00:00", "01-02 09:30"], "2019-12-31T22:59:00+08:00")
    assert times == ["2019-12-31T23:00:00+08:00", "2020-01-02T08:00:00+08:00", "2020-01-02T09:30:00+08:00"]


def test_timeline_without_a_publication_year_is_not_guessed():
    assert heimao.timeline_times(["11-25 15:53:57"], None) == [None]


def test_complaint_text_mentioning_captcha_is_still_a_complaint():
    body = "催收员冒充客服骗我把验证码发给他，然后登录我的微博账号。"
    outcome = heimao.inspect("detail", fetched(heimao_detail(body=body)))
    assert outcome.verdict == OK and outcome.parsed["body"] == body


# -- list envelopes ----------------------------------------------------------

def test_company_list_page_from_verbatim_items():
    page = heimao.parse_list(variant("heimao_company_1712804040_p1.json").decode(), 1)
    assert [e.sn for e in page.entries] == ["17396503262", "17396219169", "17384204709"]
    first = page.entries[0]
    assert first.title == "闻喜曲美家居售卖床床垫严重不适配，存在安全隐患，拒不售后退换"
    assert first.target == "曲美家居官方微博" and first.couid == "1712804040"
    assert first.demand == "快速处理,更换,退货退款"
    assert first.issue == "态度恶劣,欺骗消费者,售后服务,售后服务质量"
    assert first.status_code == 4
    assert first.published_at == "2026-04-27T17:17:12+08:00"  # created_at, epoch seconds
    assert first.summary.endswith("完全不匹配...")
    assert page.next_page == 2 and page.item_count == 8 and page.notes == []


def test_last_page_has_no_next():
    page = heimao.parse_list(variant("heimao_company_1712804040_p3.json").decode(), 3)
    assert page.next_page is None
    assert [e.sn for e in page.entries] == ["17374121067", "17370809930"]


def test_detail_url_keeps_the_list_token_on_our_host_and_canonical_drops_it():
    entry = heimao.parse_list(variant("heimao_company_1712804040_p1.json").decode(), 1).entries[0]
    assert heimao.detail_url("http://127.0.0.1:9", entry.sn, entry.url) == (
        "http://127.0.0.1:9/complaint/view/17396503262/?sld=add2213c84e6095dd7c6dc99b37d7293")
    assert heimao.canonical_url("https://tousu.sina.com.cn", entry.sn) == (
        "https://tousu.sina.com.cn/complaint/view/17396503262/")


def test_legacy_jsonp_with_escapes_and_html():
    text = variant("heimao_company_5866754241_2019.jsonp").decode("ascii")
    assert text.startswith("try{jQuery") and "\\u" in text
    page = heimao.parse_list(text, 1)
    assert [e.sn for e in page.entries] == [HEIMAO_SN, "17348099578", "17348080977", "17348066759", "17347424602"]
    first = page.entries[0]
    assert first.title == "高利贷。借款金额与合同不符。砍头息。"          # <em> removed
    assert first.summary == "借款金额与合同不符：借款21000元，合同却写23334元。\n借款21000元，借一年，要还29494.17元。"
    assert first.published_at == "2019-11-24T19:18:54+08:00"              # 2019: epoch seconds in timestamp
    assert heimao.detail_url("http://h", first.sn, first.url) == f"http://h/complaint/view/{HEIMAO_SN}/"
    assert page.next_page is None


def test_search_titles_lose_their_highlight_spans():
    page = heimao.parse_list(variant("heimao_search_tuikuan_p1.json").decode(), 1)
    assert page.entries, "the search variant has hits"
    for entry in page.entries:
        assert "<" not in entry.title and "span" not in entry.summary
    assert "买家具未下单却被拒退款" in [e.title for e in page.entries]
    assert page.next_page is None  # current 1 of page_amount 1


def test_unexpected_item_keys_are_reported_not_dropped():
    data = json.loads(variant("heimao_company_1712804040_p1.json"))
    data["result"]["data"]["complaints"][0]["main"]["risk_level"] = 2
    page = heimao.parse_list(json.dumps(data), 1)
    assert len(page.entries) == 3
    assert page.notes == ["unexpected list item keys: main.risk_level"]


def test_missing_pager_is_a_note_and_pagination_goes_on_while_items_come():
    data = json.loads(variant("heimao_company_1712804040_p1.json"))
    del data["result"]["data"]["pager"]
    page = heimao.parse_list(json.dumps(data), 1)
    assert page.next_page == 2
    assert any("pager" in note for note in page.notes)


# -- what a response is ------------------------------------------------------

LIST_URL = "https://tousu.sina.com.cn/api/company/received_complaints?couid=1&type=1&page_size=10&page=1"


@pytest.mark.parametrize(
    "status, body, headers, verdict, reason",
    [
        (456, variant("heimao_456.html"), {}, BLOCKED, "http 456: IP banned"),
        (429, b"", {"Retry-After": "120"}, BLOCKED, "http 429: rate limited (Retry-After: 120)"),
        (403, b"forbidden", {}, BLOCKED, "http 403"),
        (200, variant("heimao_code_10017.json"), {}, BLOCKED, "login required: api error code 10017"),
        (200, variant("heimao_code_unknown.json"), {}, BLOCKED, "api error code 10005: 系统繁忙"),
        (200, variant("heimao_login_page.html"), {"Content-Type": "text/html"}, BLOCKED, "login wall"),
        (200, variant("heimao_captcha.html"), {"Content-Type": "text/html"}, BLOCKED, "captcha"),
        (200, variant("heimao_risk_empty.json"), {}, BLOCKED, "empty list page 1 although the pager counts 109"),
        (200, variant("heimao_layout_changed.json"), {}, LAYOUT_CHANGED, "no complaints/lists array"),
        (200, b"<html><body>hello</body></html>", {}, LAYOUT_CHANGED, "neither JSON nor JSONP"),
    ],
    ids=["456", "429", "403", "code-10017", "code-unknown", "login-page", "captcha", "risk-empty",
         "renamed-list", "html-not-json"],
)
def test_list_answers(status, body, headers, verdict, reason):
    outcome = heimao.inspect("list", fetched(body, LIST_URL, status, headers))
    assert outcome.verdict == verdict
    assert reason in outcome.reason
    if verdict == LAYOUT_CHANGED:
        assert outcome.fatal


def test_code_10019_ends_the_listing_without_blocking():
    outcome = heimao.inspect("list", fetched(variant("heimao_code_10019.json"), LIST_URL))
    assert outcome.verdict == OK and outcome.parsed.entries == [] and outcome.parsed.next_page is None
    assert "10019" in outcome.notes[0]


def test_redirect_to_a_login_page_is_blocked():
    outcome = heimao.inspect("detail", fetched(b"<html>login</html>", "https://login.sina.com.cn/signup/signin.php",
                                               redirect_urls=["https://tousu.sina.com.cn/complaint/view/1/"]))
    assert outcome.verdict == BLOCKED and "redirected to https://login.sina.com.cn" in outcome.reason


@pytest.mark.parametrize("status", [404, 410])
def test_detail_gone_is_removed(status):
    assert heimao.inspect("detail", fetched(b"<html>404</html>", status=status)).verdict == REMOVED


def test_detail_with_changed_layout_counts_but_is_not_fatal_alone():
    outcome = heimao.inspect("detail", fetched(heimao_detail_changed_layout()))
    assert outcome.verdict == LAYOUT_CHANGED and not outcome.fatal
    assert "div.ts-d-question" in outcome.reason


def test_detail_captcha_page_is_blocked():
    outcome = heimao.inspect("detail", fetched(variant("heimao_captcha.html")))
    assert outcome.verdict == BLOCKED and "captcha" in outcome.reason


def test_detail_ok_carries_the_parse():
    outcome = heimao.inspect("detail", fetched(recorded("heimao_detail_sample.html"), headers={"Content-Type": "text/html"}))
    assert outcome.verdict == OK and outcome.parsed["sn"] == HEIMAO_SN
