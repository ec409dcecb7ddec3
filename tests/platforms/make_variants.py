"""Writes tests/fixtures/platforms/variants/ from the recorded files in ../recorded/.

    .venv/bin/python -m tests.platforms.make_variants

Each variant is a recorded response put into the envelope FORMATS.md documents,
split into pages, re-encoded, or an anti-bot answer. What is recorded and what
is constructed is listed in tests/fixtures/platforms/README.md; the complaint
detail pages for the replay crawls are derived at test time (tests/platforms/fixtures.py).
"""
from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "platforms"
RECORDED = FIXTURES / "recorded"
VARIANTS = FIXTURES / "variants"


def recorded_json(name: str):
    return json.loads((RECORDED / name).read_text(encoding="utf-8"))


def envelope(key: str, items: list, pager: dict, code: int = 0, msg: str = "") -> dict:
    """The list envelope of FORMATS.md 1.2: result.status.code, result.data.<key>, pager."""
    return {"result": {"status": {"code": code, "msg": msg}, "data": {key: items, "pager": pager}}}


OUT = VARIANTS


def dump(name: str, data, *, ensure_ascii: bool = False) -> None:
    (OUT / name).write_text(json.dumps(data, ensure_ascii=ensure_ascii, indent=1) + "\n", encoding="utf-8")


def post_key(post_id: str) -> str:
    return hashlib.sha1(f"postKey:{post_id}".encode()).hexdigest()[:24]


def heimao() -> None:
    sample = recorded_json("heimao_company_received_complaints_items_sample.json")
    items = sample["complaints"]  # 8 verbatim API items, newest first
    pages = [items[0:3], items[3:6], items[6:8]]
    for number, page in enumerate(pages, start=1):
        pager = {"current": number, "next": number + 1 if number < len(pages) else 0,
                 "page_amount": len(pages), "item_count": len(items)}
        dump(f"heimao_company_1712804040_p{number}.json", envelope("complaints", page, pager))

    # Keyword search (/api/index/s): same items, keyword wrapped in a highlight span the
    # way S7's tag stripping implies; pager as S7/U1 read it (page_amount, item_count).
    hits = [copy.deepcopy(i) for i in items if "退款" in i["main"]["title"] or "退款" in i["main"]["summary"]]
    for item in hits:
        for key in ("title", "summary"):
            item["main"][key] = item["main"][key].replace("退款", '<span class="s_keyword">退款</span>')
    dump("heimao_search_tuikuan_p1.json",
         envelope("lists", hits, {"current": 1, "page_amount": 1, "item_count": len(hits)}))

    # 2019 JSONP (S1): 功夫贷's list, \\uXXXX-escaped, inside try{jQuery…(…);}catch(e){},
    # with HTML in the values. Rows: the real detail page's complaint, then S5's four.
    rows = recorded_json("heimao_company_list_2019_derived_sample.json")
    legacy = [{
        "main": {"sn": "17348142332", "title": "高利贷。借款金额与合同不符。<em>砍头息</em>。",
                 "cotitle": "功夫贷", "couid": "5866754241", "appeal": "调整利率", "issue": "高利贷，砍头息",
                 "summary": "借款金额与合同不符：借款21000元，合同却写23334元。<br/>借款21000元，借一年，要还29494.17元。",
                 "status": 4, "timestamp": 1574594334, "url": "//tousu.sina.com.cn/complaint/view/17348142332/",
                 "comment_id": "tousu_complaint_931785"},
        "author": {"title": "匿名"},
    }]
    for row in rows:
        sn = row["link"].rstrip("/").rsplit("/", 1)[1]
        legacy.append({
            "main": {"sn": sn, "title": row["title"], "cotitle": "功夫贷", "couid": "5866754241",
                     "appeal": row["appeal"], "summary": row["overview"], "timestamp": row["time"] // 1000,
                     "url": f"//tousu.sina.com.cn/complaint/view/{sn}/"},
            "author": {"title": row["author"]},
        })
    body = json.dumps(envelope("complaints", legacy, {"current": 1, "page_amount": 1, "item_count": len(legacy)}),
                      ensure_ascii=True, separators=(",", ":"))
    (OUT / "heimao_company_5866754241_2019.jsonp").write_text(
        f"try{{jQuery111308164724158069127_1574673098071({body});}}catch(e){{}};", encoding="ascii")

    # Answers that are not a list.
    dump("heimao_code_10017.json", {"result": {"status": {"code": 10017, "msg": "请先登录"}, "data": []}})
    dump("heimao_code_10019.json", {"result": {"status": {"code": 10019, "msg": "页面不存在"}, "data": []}})
    dump("heimao_code_unknown.json", {"result": {"status": {"code": 10005, "msg": "系统繁忙"}, "data": []}})
    dump("heimao_risk_empty.json", envelope("complaints", [], {"current": 1, "next": 2, "page_amount": 11,
                                                                 "item_count": 109}))
    changed = envelope("complaints", items[:1], {"current": 1, "next": 0, "page_amount": 1, "item_count": 1})
    changed["result"]["data"]["list_v2"] = changed["result"]["data"].pop("complaints")
    dump("heimao_layout_changed.json", changed)


def jutousu() -> None:
    sample = recorded_json("jutousu_merchant_list_derived_sample.json")
    list_rows = sample["list_rows_from_merchantPostList_json (file crawler/src/main/resources/tousu/jutousuall.json)"]
    filled = {r["link"]: r for r in sample["same_links_after_getPostContent_fill (file crawler/src/main/resources/tousu2/gfd4.json)"]}
    qz5 = sample["qz5_rows_merchant_2352 (file crawler/src/main/resources/tousu2/qz5.json)"]

    def list_item(row, short_topic=None):
        post_id = row["link"].rsplit("/", 1)[1]
        return {"id": int(post_id), "ctime": row["time"] // 1000, "title": row["title"],
                "shortTopic": short_topic if short_topic is not None else row["overview"][:150] + "...",
                "shuqiu": row["appeal"], "username": row.get("author", "匿名")}

    # merchant 2352 (钱站): 2 pages + an empty third, with the offset cursor S1 reads.
    merchant = [list_item(r) for r in sorted(qz5, key=lambda r: -r["time"])]
    dump("jutousu_merchant_2352_p1.json", {"offset": str(merchant[1]["ctime"]), "postList": merchant[:2]})
    dump("jutousu_merchant_2352_p2.json", {"offset": str(merchant[2]["ctime"]), "postList": merchant[2:]})
    dump("jutousu_merchant_2352_p3.json", {"offset": "", "postList": []})
    # search: the two list rows as S1 saved them (double-escaped &amp;nbsp;, cut with ...)
    search = [list_item(r, short_topic=r["overview"]) for r in list_rows]
    dump("jutousu_search_cuishou_p1.json", {"postList": search, "pageNo": 1})
    dump("jutousu_search_cuishou_p2.json", {"postList": [], "pageNo": 2})

    merchants = {"947282": "开薪贷", "1440578": "功夫贷"}
    contents = {}
    for row in list(filled.values()) + qz5:
        post_id = row["link"].rsplit("/", 1)[1]
        text = row["overview"]
        # the detail text as the API gives it: HTML-ish, <p> and &nbsp; (S1 strips them)
        topic = "<p>" + text.replace("。", "。&nbsp;", 1) + "</p><p>&quot;请求平台处理&quot;</p>"
        contents[post_id] = {"post": {
            "id": int(post_id), "title": row["title"], "topic": topic, "username": row.get("author", "匿名"),
            "ctimeStr": _ctime_str(row["time"]), "merchantname": merchants.get(post_id, "钱站"),
            "problemLabelList": [{"name": "暴力催收"}, {"name": "高利贷"}], "shuqiu": row["appeal"]}}
    for post_id, content in contents.items():
        dump(f"jutousu_content_{post_id}.json", content)
    keys = {post_id: post_key(post_id) for post_id in contents}
    dump("jutousu_post_keys.json", keys)

    # GBK: the content of 1501864 as GBK bytes without a charset (the decoder must not use cp1252)
    (OUT / "jutousu_content_1501864_gbk.json").write_bytes(
        json.dumps(contents["1501864"], ensure_ascii=False).encode("gbk"))
    # an unknown post key set: a new top-level key in post (reported as a note)
    extra = copy.deepcopy(contents["1501649"])
    extra["post"]["status"] = 2
    extra["post"]["replyList"] = []
    dump("jutousu_content_1501649_extra_keys.json", extra)
    dump("jutousu_content_missing_post.json", {"post": None, "code": 0})
    dump("jutousu_layout_changed.json", {"data": {"list": merchant[:1]}, "offset": ""})


def _ctime_str(ms: int) -> str:
    from datetime import datetime, timedelta, timezone
    return datetime.fromtimestamp(ms // 1000, timezone(timedelta(hours=8))).strftime("%Y-%m-%d %H:%M:%S")


def write_all(out: Path = VARIANTS) -> list[str]:
    """Write every generated variant into `out`; returns their names."""
    global OUT
    OUT = out
    out.mkdir(parents=True, exist_ok=True)
    before = set(p.name for p in out.iterdir())
    heimao()
    jutousu()
    return sorted(p.name for p in out.iterdir() if p.name not in before or out != VARIANTS)


if __name__ == "__main__":
    write_all()
    print(f"wrote the generated variants in {VARIANTS}")
