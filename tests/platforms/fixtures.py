"""Recorded platform responses, their variants, and Scrapy responses built from them.

Recorded files keep their bytes (the 黑猫 page keeps its BOM); variants are in
tests/fixtures/platforms/variants/ (written by make_variants.py, or by hand),
and the complaint pages a replay crawl needs are derived here from the one real
黑猫 page by replacing its fields: each replacement is asserted to hit.
"""
from __future__ import annotations

import html
import json
from pathlib import Path

from scrapy.http import HtmlResponse, Request, TextResponse

from scraper.platforms import Fetched

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "platforms"
RECORDED = FIXTURES / "recorded"
VARIANTS = FIXTURES / "variants"

HEIMAO_SN = "17348142332"  # the real recorded complaint page (功夫贷, 2019-11)
HEIMAO_BODY = ("借款金额与合同不符：借款21000元，合同却写23334元。\n"
               "借款21000元，借一年，要还29494.17元。年利率高达40.4%。\n"
               "明明还了5期，确只算4期。第1期要我还2次。")


def recorded(name: str) -> bytes:
    return (RECORDED / name).read_bytes()


def variant(name: str) -> bytes:
    return (VARIANTS / name).read_bytes()


def variant_json(name: str):
    return json.loads(variant(name).decode("utf-8"))


def fetched(body: bytes, url: str = "https://tousu.sina.com.cn/x", status: int = 200,
            headers: dict[str, str] | None = None, redirect_urls: list[str] | None = None) -> Fetched:
    return Fetched(url=url, status=status, body=body, headers={k.lower(): v for k, v in (headers or {}).items()},
                   redirect_urls=redirect_urls or [])


def scrapy_response(body: bytes, url: str, meta: dict | None = None, status: int = 200,
                    content_type: str = "text/html") -> TextResponse:
    """A Scrapy response as the downloader would hand it to a callback (bytes and headers kept)."""
    request = Request(url, meta=dict(meta or {}))
    cls = HtmlResponse if "html" in content_type else TextResponse
    return cls(url=url, status=status, body=body, headers={"Content-Type": content_type}, request=request)


# ---------------------------------------------------------------------------
# 黑猫 complaint pages derived from the recorded one

def _replace(page: str, old: str, new: str, count: int = -1) -> str:
    assert old in page, f"variant replacement missed: {old[:60]!r}"
    return page.replace(old, new, count)


def heimao_detail(sn: str = HEIMAO_SN, *, title: str | None = None, target: str | None = None,
                  couid: str | None = None, issue: str | None = None, demand: str | None = None,
                  amount: str | None = None, status: str | None = None, body: str | None = None,
                  published: str | None = None) -> bytes:
    """The recorded 黑猫 complaint page with some fields replaced (bytes, BOM kept)."""
    page = recorded("heimao_detail_sample.html").decode("utf-8")
    if sn != HEIMAO_SN:
        page = _replace(page, HEIMAO_SN, sn)
    if title is not None:
        page = _replace(page, "高利贷。借款金额与合同不符。砍头息。", html.escape(title))
    if target is not None:
        page = _replace(page, ">功夫贷</a>", f">{html.escape(target)}</a>")
        page = _replace(page, "<span class=\"u-name\">功夫贷</span>", f"<span class=\"u-name\">{html.escape(target)}</span>")
    if couid is not None:
        page = _replace(page, "couid=5866754241", f"couid={couid}")
    if issue is not None:
        page = _replace(page, "<label>投诉问题：</label> 高利贷，砍头息", f"<label>投诉问题：</label> {html.escape(issue)}")
    if demand is not None:
        page = _replace(page, "<label>投诉要求：</label> 调整利率", f"<label>投诉要求：</label> {html.escape(demand)}")
    if amount is not None:
        page = _replace(page, "<label>涉诉金额：</label> 29494元", f"<label>涉诉金额：</label> {html.escape(amount)}")
    if status is not None:
        page = _replace(page, "<b>已回复</b>", f"<b>{html.escape(status)}</b>")
    if body is not None:
        start = page.index("<p>借款金额与合同不符")
        end = page.index("</p>", start) + len("</p>")
        paragraphs = "".join(f"<p>{html.escape(line)}</p>" for line in body.split("\n"))
        page = page[:start] + paragraphs + page[end:]
    if published is not None:  # 'YYYY年MM月DD日 HH:MM'
        page = _replace(page, "发布于 2019年11月24日 19:18", f"发布于 {published}")
    return page.encode("utf-8")


def heimao_detail_changed_layout() -> bytes:
    """The recorded page after a redesign: the question block renamed."""
    page = recorded("heimao_detail_sample.html").decode("utf-8")
    return _replace(page, 'class="ts-d-question"', 'class="complaint-question-v2"').encode("utf-8")


# ---------------------------------------------------------------------------
# 聚投诉 complaint pages (hand-written template, see the README)

def jutousu_detail(post_id: str, title: str = "投诉", encoding: str = "utf-8", declare: bool = True) -> bytes:
    keys = variant_json("jutousu_post_keys.json")
    template = variant("jutousu_detail_page.html").decode("utf-8")
    page = template.format(charset=encoding if declare else "", title=html.escape(title), post_key=keys[post_id])
    if not declare:
        page = page.replace('<meta http-equiv="Content-Type" content="text/html; charset="/>\n', "")
    return page.encode(encoding)
