"""聚投诉 parsing: list JSON (double-escaped summaries), the postKey page in UTF-8,
declared GBK and undeclared GBK, the content JSON (HTML inside JSON, GBK bytes),
and the anti-bot answers."""
from __future__ import annotations

import json

import pytest

from scraper.platforms import BLOCKED, LAYOUT_CHANGED, OK, REMOVED, decode_body, jutousu
from tests.platforms.fixtures import fetched, jutousu_detail, variant, variant_json


def test_merchant_list_url_has_an_empty_offset_on_page_one():
    assert jutousu.merchant_list_url("https://ts.21cn.com", "2352", 1) == (
        "https://ts.21cn.com/json/merchantPostList/merchantId/2352/listType/1/pageNo/1/offset/")
    assert jutousu.merchant_list_url("https://ts.21cn.com/", "2352", 2, "1575006252").endswith("/pageNo/2/offset/1575006252")


def test_search_url_encodes_the_keyword():
    assert jutousu.search_list_url("https://ts.21cn.com", "暴力催收", 3) == (
        "https://ts.21cn.com/front/api/search/searchPostList.do?pageNo=3"
        "&title=%E6%9A%B4%E5%8A%9B%E5%82%AC%E6%94%B6&listType=1")


def test_content_url_both_generations():
    assert jutousu.content_url("https://ts.21cn.com", "ab12") == (
        "https://ts.21cn.com/front/api/post/getPostContent.do?postKey=ab12")
    assert jutousu.content_url("http://ts.21cn.com", "ab12", "json") == "http://ts.21cn.com/json/getPostContent/postKey/ab12"


def test_merchant_list_page():
    page = jutousu.parse_list(variant("jutousu_merchant_2352_p1.json").decode())
    assert [e.post_id for e in page.entries] == ["1501864", "1501877"]
    first = page.entries[0]
    assert first.title == "钱站，爱钱进，阴阳合同，威胁爆通讯录"
    assert first.demand == "赔偿,道歉,停止骚扰,调整利率"
    assert first.published_at == "2019-11-29T13:46:22+08:00"  # ctime, epoch seconds
    assert page.offset == "1575006252" and page.notes == []


def test_search_list_summaries_lose_double_escaped_entities():
    page = jutousu.parse_list(variant("jutousu_search_cuishou_p1.json").decode())
    summary = page.entries[0].summary
    assert "&amp;" not in summary and "&nbsp;" not in summary and "nbsp" not in summary
    assert summary.startswith("大树金融旗下开薪贷，高利贷 砍头息，暴力催收恐吓")
    assert page.offset is None


@pytest.mark.parametrize("encoding, declare", [("utf-8", True), ("gbk", True), ("gb18030", False), ("gbk", False)],
                         ids=["utf8", "gbk-declared", "gb18030-undeclared", "gbk-undeclared"])
def test_detail_page_post_key_and_title_in_any_encoding(encoding, declare):
    body = jutousu_detail("1501864", title="钱站，爱钱进，阴阳合同，威胁爆通讯录", encoding=encoding, declare=declare)
    text, used = decode_body(body, "text/html")  # no charset in the header
    assert "钱站，爱钱进，阴阳合同，威胁爆通讯录" in text
    assert used in ("utf-8", "gb18030")
    assert jutousu.parse_detail_page(text) == variant_json("jutousu_post_keys.json")["1501864"]


def test_content_fields():
    content = jutousu.parse_content(variant("jutousu_content_1501864.json").decode())
    assert content["post_id"] == "1501864"
    assert content["title"] == "钱站，爱钱进，阴阳合同，威胁爆通讯录"
    assert content["target"] == "钱站"
    assert content["issue"] == "暴力催收,高利贷"
    assert content["demand"] == "赔偿,道歉,停止骚扰,调整利率"
    assert content["published_at"] == "2019-11-29T13:46:22+08:00"
    lines = content["body"].split("\n")
    assert lines[0].startswith("2019年8月2日在钱站app申请的5000借款分6个月，每个月还款1433.39。 合同显示借款8000")
    assert lines[-1] == '"请求平台处理"'
    assert "&" not in content["body"] and "<" not in content["body"]
    assert content["notes"] == []


def test_content_never_reads_the_complainants_phone():
    data = variant_json("jutousu_content_1501877.json")
    data["post"]["contactway"] = "166******87"
    content = jutousu.parse_content(json.dumps(data, ensure_ascii=False))
    assert "166******87" not in json.dumps(content, ensure_ascii=False)


def test_gbk_content_without_a_charset_decodes():
    body = variant("jutousu_content_1501864_gbk.json")
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    outcome = jutousu.inspect("content", fetched(body, headers={"Content-Type": "application/json"}))
    assert outcome.verdict == OK
    assert outcome.parsed["target"] == "钱站" and "阴阳合同" in outcome.parsed["body"]


def test_unknown_post_keys_are_reported():
    content = jutousu.parse_content(variant("jutousu_content_1501649_extra_keys.json").decode())
    assert content["notes"] == ["unexpected post keys: replyList, status"]


def test_undocumented_fields_stay_unknown():
    """No source shows a status, an amount or replies for 聚投诉: the parser returns none."""
    content = jutousu.parse_content(variant("jutousu_content_1501649_extra_keys.json").decode())
    assert not {"status", "amount", "timeline"} & set(content)


# -- what a response is ------------------------------------------------------

@pytest.mark.parametrize(
    "kind, status, body, verdict, reason",
    [
        ("list", 200, variant("jutousu_login_wall.html"), BLOCKED, "login wall: list response contains '登录聚投诉'"),
        ("list", 456, b"", BLOCKED, "http 456"),
        ("list", 429, b"", BLOCKED, "http 429"),
        ("list", 200, variant("jutousu_layout_changed.json"), LAYOUT_CHANGED, "no postList array"),
        ("list", 200, variant("heimao_captcha.html"), BLOCKED, "captcha"),
        ("detail", 404, b"not found", REMOVED, "http 404"),
        ("detail", 200, b"<html><body><h1>new layout</h1></body></html>", LAYOUT_CHANGED, "input#postKeyValue"),
        ("content", 200, variant("jutousu_content_missing_post.json"), LAYOUT_CHANGED, "no post object"),
        ("content", 200, "{\"msg\": \"请先登录聚投诉\"}".encode(), BLOCKED, "login wall"),
    ],
    ids=["list-login", "list-456", "list-429", "list-renamed", "list-captcha", "detail-404", "detail-changed",
         "content-null", "content-login"],
)
def test_answers(kind, status, body, verdict, reason):
    outcome = jutousu.inspect(kind, fetched(body, "https://ts.21cn.com/x", status))
    assert outcome.verdict == verdict
    assert reason in outcome.reason
    if verdict == LAYOUT_CHANGED:
        assert outcome.fatal == (kind == "list")


def test_complaint_page_with_a_login_link_in_its_nav_is_fine():
    outcome = jutousu.inspect("detail", fetched(jutousu_detail("947282")))
    assert outcome.verdict == OK and outcome.parsed == variant_json("jutousu_post_keys.json")["947282"]


def test_generated_variants_match_their_generator(tmp_path):
    """tests/fixtures/platforms/variants/ is what make_variants.py writes from the recorded files."""
    from tests.platforms import make_variants

    names = make_variants.write_all(tmp_path)
    assert len(names) >= 25
    for name in names:
        assert (tmp_path / name).read_bytes() == variant(name), name
