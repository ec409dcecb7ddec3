"""Datasette on a public DB built by the real pipeline and db.publish, through its own client."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from datasette.app import Datasette

from db import publish, serve
from tests.publish_corpus import FAKE_PHONE, build_private_db

ATTITUDE = "极融借款催收态度恶劣,还爆通讯录"
VISIT = "安逸花逾期后催收说要派人上门"


@pytest.fixture(scope="module")
def public_db(tmp_path_factory) -> Path:
    private = build_private_db(tmp_path_factory.mktemp("private") / "cuishou.db")
    out = tmp_path_factory.mktemp("public") / "public.db"
    publish.publish(private, out, progress=lambda m: None)
    return out


def load_metadata() -> dict:
    return yaml.safe_load(serve.METADATA.read_text(encoding="utf-8"))


@pytest.fixture
async def ds(public_db):
    datasette = Datasette([str(public_db)], metadata=load_metadata(), plugins_dir=str(serve.PLUGINS),
                          template_dir=str(serve.TEMPLATES))
    await datasette.invoke_startup()
    return datasette


async def get_json(ds, path: str, **params):
    response = await ds.client.get(path, params={**params, "_shape": "array"})
    assert response.status_code == 200, (path, response.text[:500])
    return response.json()


# ---------------------------------------------------------------- search

@pytest.mark.parametrize("q", ["态度", "態度", "態度惡劣"])
async def test_search_finds_the_attitude_post_in_either_script(ds, q):
    rows = await get_json(ds, "/public/search.json", q=q)
    assert rows[0]["title"] == ATTITUDE
    assert rows[0]["url"] == "http://forum.test/t/101.html" and "态度" in rows[0]["snippet"]


async def test_search_one_character_latin_and_two_words(ds):
    titles = lambda rows: {r["title"] for r in rows}  # noqa: E731
    one = titles(await get_json(ds, "/public/search.json", q="态"))
    assert ATTITUDE in one and "有钱花催收把我的手机号发到群里" in one          # 态度, 状态
    assert titles(await get_json(ds, "/public/search.json", q="app")) == {"拍拍贷APP逾期后催收冒充公安"}
    assert titles(await get_json(ds, "/public/search.json", q="上门 父母")) == {VISIT}
    assert await get_json(ds, "/public/search.json", q="") == []
    assert await get_json(ds, "/public/search.json", q="不存在的词语") == []


async def test_search_for_visits_finds_the_article_and_the_complaint(ds):
    rows = await get_json(ds, "/public/search.json", q="上门")
    assert {r["title"] for r in rows} == {VISIT, "安逸花催收多次上门骚扰"}


async def test_posts_table_search_box_uses_the_same_index(ds):
    rows = await get_json(ds, "/public/posts.json", _search="態度")
    assert [r["title"] for r in rows] == [ATTITUDE]
    rows = await get_json(ds, "/public/posts.json", _search="爆通讯录")
    assert {r["title"] for r in rows} == {ATTITUDE, "青石贷逾期三天就开始爆通讯录"}
    html = (await ds.client.get("/public/posts", params={"_search": "態度"})).text
    assert 'name="_search"' in html and 'value="態度"' in html and ATTITUDE in html


async def test_search_results_export_as_csv(ds):
    response = await ds.client.get("/public/search.csv", params={"q": "態度"})
    assert response.status_code == 200
    assert response.text.splitlines()[0].startswith("post_id,title,url")
    assert ATTITUDE in response.text
    response = await ds.client.get("/public/posts.csv", params={"_search": "上门"})
    assert VISIT in response.text


# ---------------------------------------------------------------- canned queries

def test_every_canned_query_has_chinese_and_english_title_and_description():
    queries = load_metadata()["databases"]["public"]["queries"]
    assert {"search", "complaints_per_lender_month", "tactics_per_lender", "new_lenders_this_week",
            "lender_spikes", "lender", "posts_by_source", "last_run_per_source"} <= set(queries)
    han, latin = re.compile(r"[\u4e00-\u9fff]"), re.compile(r"[A-Za-z]{3}")
    for name, query in queries.items():
        for field in ("title", "description"):
            assert han.search(query[field]) and latin.search(query[field]), (name, field)
        assert not query.get("write"), name


async def test_complaints_per_lender_month_counts_stories(ds):
    rows = await get_json(ds, "/public/complaints_per_lender_month.json", lender="青石貸")
    assert [(r["month"], r["stories"]) for r in rows] == [("2025-05", 4), ("2025-02", 1), ("2025-01", 1)]
    everyone = await get_json(ds, "/public/complaints_per_lender_month.json")
    assert {r["lender"] for r in everyone} == {"极融借款", "安逸花", "拍拍贷", "有钱花", "青石贷"}


async def test_tactics_per_lender_with_evidence(ds):
    rows = await get_json(ds, "/public/tactics_per_lender.json", lender="極融借款")
    by_code = {r["tactic_code"]: r for r in rows}
    assert by_code["T03"]["stories"] == 1 and "爆通讯录" in by_code["T03"]["evidence"]
    evidence = await get_json(ds, "/public/tactic_evidence.json", lender="安逸花", tactic="t11")
    assert {r["title"] for r in evidence} == {VISIT, "安逸花催收多次上门骚扰"}
    assert all("上门" in r["evidence"] for r in evidence)


async def test_new_lenders_this_week(ds):
    rows = await get_json(ds, "/public/new_lenders_this_week.json")
    assert [r["lender"] for r in rows] == ["拍拍贷"]            # the only post crawled this week
    rows = await get_json(ds, "/public/new_lenders_this_week.json", days="100000")
    assert {"青石贷", "拍拍贷"} <= {r["lender"] for r in rows}
    assert [r["known"] for r in rows if r["lender"] == "青石贷"] == [0]


async def test_lender_spikes(ds):
    rows = await get_json(ds, "/public/lender_spikes.json")
    assert [(r["lender"], r["month"], r["stories"], r["mean_previous_3_months"], r["ratio"]) for r in rows] == [
        ("青石贷", "2025-05", 4, 0.33, 12.0)]
    assert len(await get_json(ds, "/public/lender_spikes.json", min_stories="5")) == 0


async def test_everything_about_one_lender(ds):
    rows = await get_json(ds, "/public/lender.json", name="極融借款")
    assert len(rows) == 1 and rows[0]["title"] == ATTITUDE and rows[0]["role"] == "subject"
    assert "T03 爆通讯录" in rows[0]["evidence"]
    assert len(await get_json(ds, "/public/lender.json", name="安*花")) == 2   # a masked alias


async def test_posts_by_source_and_last_run(ds):
    sources = {r["source"]: r for r in await get_json(ds, "/public/posts_by_source.json")}
    assert (sources["forum"]["posts"], sources["news"]["posts"], sources["heimao"]["posts"]) == (8, 2, 1)
    runs = await get_json(ds, "/public/last_run_per_source.json")
    assert [(r["source"], r["status"], r["items"]) for r in runs] == [("forum", "ok", 12)]
    assert "stats_json" not in runs[0]


# ---------------------------------------------------------------- pages

async def test_lender_page_has_chart_tactics_and_links_to_posts(ds):
    rows = await get_json(ds, "/public/lenders.json", name="青石贷")
    html = (await ds.client.get(f"/public/lenders/{rows[0]['id']}")).text
    bars = re.findall(r'<rect class="bar"[^>]*data-month="([\d-]+)" data-count="(\d+)"', html)
    assert bars == [("2025-01", "1"), ("2025-02", "1"), ("2025-03", "0"), ("2025-04", "0"), ("2025-05", "4")]
    post_links = set(re.findall(r'href="/public/posts/(\d+)"', html))
    assert len(post_links) == 6
    assert "T03 爆通讯录" in html and "联系人群发短信" in html


async def test_post_page_shows_lenders_tactics_original_and_archive(ds):
    post = (await get_json(ds, "/public/posts.json", url="http://forum.test/t/102.html"))[0]
    html = (await ds.client.get(f"/public/posts/{post['id']}")).text
    assert re.search(r'class="lender-link role-subject" href="/public/lenders/\d+">安逸花</a>', html)
    assert "T11 上门催收" in html or "T11" in html
    assert 'class="original-url" href="http://forum.test/t/102.html"' in html
    assert 'href="https://web.archive.org/web/http://forum.test/t/102.html"' in html
    snapshot = re.search(r'class="snapshot-link" href="(/public/snapshots/\d+)"', html).group(1)
    snapshot_html = (await ds.client.get(snapshot)).text
    assert "催收员打电话说明天就派人上门" in snapshot_html and "138****1111" in snapshot_html


async def test_charts_page_trend_and_lender_tactic_table(ds):
    html = (await ds.client.get("/-/charts")).text
    assert html.count('<svg class="chart monthly"') == 5
    row = re.search(r'<tr><td class="lender"><a href="/public/lenders/\d+">青石贷</a></td>(.*?)</tr>', html, re.S)
    cells = dict(re.findall(r'data-tactic="(T\d+)">(\d*)</td>', row.group(1)))
    assert cells["T05"] == "2" and cells["T03"] == "1"


async def test_canned_query_results_link_to_posts_and_lenders(ds):
    html = (await ds.client.get("/public/search", params={"q": "態度"})).text
    assert re.search(rf'<a href="/public/posts/\d+">{ATTITUDE}</a>', html)


# ---------------------------------------------------------------- access and privacy

async def test_no_arbitrary_sql_for_anonymous_users(ds):
    assert (await ds.client.get("/public.json", params={"sql": "select 1"})).status_code == 403
    assert not await ds.permission_allowed(None, "execute-sql", "public", default=True)
    assert await ds.permission_allowed({"id": "root"}, "execute-sql", "public", default=True)


async def test_robots_are_blocked(ds):
    response = await ds.client.get("/robots.txt")
    assert response.status_code == 200 and "Disallow: /" in response.text


async def test_metadata_states_sources_and_licence(ds):
    html = (await ds.client.get("/")).text
    assert "CC BY 4.0" in html and "黑猫投诉" in html and "聚投诉" in html


@pytest.mark.parametrize("path", ["/", "/public", "/public/posts", "/public/lenders/1", "/-/charts",
                                  "/public/search?q=上门"])
async def test_pages_load_nothing_from_outside(ds, path):
    html = (await ds.client.get(path)).text
    loaded = re.findall(r'<(?:script|img|iframe)[^>]+src="([^"]+)"', html) + [
        href for tag, href in re.findall(r'(<link[^>]+href="([^"]+)")', html) if 'rel="alternate"' not in tag]
    assert loaded and [url for url in loaded if not url.startswith("/")] == []


async def test_personal_data_is_not_served(ds, public_db):
    for path in ("/public/posts.json", "/public/snapshots.json", "/public/search.json?q=手机号"):
        assert FAKE_PHONE not in (await ds.client.get(path)).text
