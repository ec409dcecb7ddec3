"""Page parsing on the recorded demo pages (bytes as served, headers-free) and small cases."""
import pytest

from pipelines.normalize import decode_bytes
from scraper import extract
from scraper.spiders.articles import ArticlesSpider
from tests.conftest import DEMO_SITE


def page(path):
    html, _ = decode_bytes((DEMO_SITE / path).read_bytes())
    return extract.extract_page(html, "http://demo.local/" + path)


@pytest.mark.parametrize("path", ["index.html", "list_2.html", "tag/cuishou.html", "about.html"])
def test_list_tag_and_about_pages_are_not_articles(path):
    assert not page(path).is_article


def test_article_body_has_no_site_chrome():
    p = page("a/1003.html")
    assert p.is_article
    assert "安逸花" in p.title
    assert p.published_at == "2024-11-05"
    assert "热门文章" not in p.body and "ICP" not in p.body
    assert any("热门文章" in c or "相关推荐" in c for c in p.chrome)


def test_big5_undeclared_page_title():
    p = page("a/1002.html")
    assert p.title.startswith("眾信金融")
    assert p.published_at == "2025-08-17"


def test_meta_published_time_with_timezone():
    assert page("a/1004.html").published_at == "2024-09-12T08:30:00+08:00"


def test_truncated_page_still_parses():
    p = page("a/1009.html")
    assert p.is_article and p.title


@pytest.mark.parametrize("text,expected", [
    ("发布时间:2025-08-17 | 来源:网络", "2025-08-17"),
    ("2025-06-03 14:22:10 作者:小编", "2025-06-03T14:22:10"),
    ("2024年11月05日 来源:理财网", "2024-11-05"),
    ("發布時間：2023/1/9 08:05", "2023-01-09T08:05:00"),
    ("没有日期的一段话 2025-13-40", None),
])
def test_dates_from_text(text, expected):
    assert extract.date_from_text(text) == expected


def test_empty_or_garbage_html_is_not_an_article():
    assert not extract.extract_page("", "http://x/").is_article
    assert not extract.extract_page("<html><body><p>短</p>", "http://x/").is_article


def test_spider_stays_on_allowed_hosts():
    spider = ArticlesSpider(start_urls="http://127.0.0.1:8765/index.html")
    assert spider.may_follow("http://127.0.0.1:8765/a/1.html")
    assert not spider.may_follow("http://example.com/news/2025/0101.html")
    assert not spider.may_follow("http://127.0.0.1:8765/static/logo.png")


def test_spider_needs_a_source():
    with pytest.raises(ValueError):
        ArticlesSpider()


BODY = "".join(f"<p>第{i}段:我在速融贷借了两千元,逾期以后催收每天打电话骚扰我的家人和同事。</p>" for i in range(8))
LAYOUTS = {
    "header div named after the article": f"<html><head><title>速融贷催收_某网</title></head><body><div class='nav'>"
        f"<a href='/'>首页</a></div><div class='article-header'><h1>速融贷暴力催收</h1><span class='date'>2024-03-05 10:00"
        f"</span></div><div class='article-content'>{BODY}</div><div class='sidebar'><a href='/x'>借呗催收</a></div></body></html>",
    "html5 article with its own header": f"<html><body><header><nav><a href='/'>首页</a></nav></header><article><header>"
        f"<h1>速融贷暴力催收</h1><time datetime='2024-03-05T10:00'>3月5日</time></header>{BODY}</article>"
        f"<aside><a href='/y'>热门</a></aside><footer>ICP备</footer></body></html>",
    "text with <br> in a table cell": "<html><body><table><tr><td class='left'><a href='/'>首页</a></td><td>"
        "<h1>速融贷暴力催收</h1>发布时间:2024-03-05<br>" + "<br>".join(["我在速融贷借了两千元,逾期以后催收每天打电话骚扰我的家人。"] * 9)
        + "</td></tr></table></body></html>",
}


@pytest.mark.parametrize("layout", LAYOUTS, ids=str)
def test_other_site_layouts(layout):
    p = extract.extract_page(LAYOUTS[layout], "http://x.cn/a/1.html")
    assert p.is_article, p.why_not
    assert p.title == "速融贷暴力催收"
    assert p.published_at.startswith("2024-03-05")
    assert "借呗" not in p.body and "首页" not in p.body and "ICP" not in p.body
