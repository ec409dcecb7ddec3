"""The whole path of issue 3: crawl the demo site, publish, search in Datasette.

Searching 态度 or 態度 finds the post about 极融借款's attitude (demo/site/a/1001.html,
Traditional with inline pinyin: 態(tài)度); the PII of 1007 is not served.
"""
from __future__ import annotations

import subprocess
import sys

import pytest
import yaml
from datasette.app import Datasette

from db import publish, serve
from tests.conftest import ROOT, run_crawl


@pytest.fixture(scope="module")
def public_db(demo_site, tmp_path_factory):
    private = tmp_path_factory.mktemp("crawl") / "cuishou.db"
    crawl = run_crawl(private, "articles", "-a", f"start_urls={demo_site}/index.html")
    assert crawl.returncode == 0, crawl.stderr[-3000:]
    out = tmp_path_factory.mktemp("public") / "public.db"
    publish.publish(private, out, progress=lambda m: None)
    return out


@pytest.fixture
async def ds(public_db):
    datasette = Datasette([str(public_db)], metadata=yaml.safe_load(serve.METADATA.read_text(encoding="utf-8")),
                          plugins_dir=str(serve.PLUGINS), template_dir=str(serve.TEMPLATES))
    await datasette.invoke_startup()
    return datasette


@pytest.mark.parametrize("q", ["态度", "態度"])
async def test_search_finds_the_jirong_attitude_post(ds, q):
    rows = (await ds.client.get("/public/search.json", params={"q": q, "_shape": "array"})).json()
    assert rows[0]["title"] == "极融借款催收态度恶劣"
    assert rows[0]["url"].endswith("/a/1001.html")


async def test_demo_pii_is_not_served(ds, public_db):
    data = public_db.read_bytes()
    for secret in ("13812345678", "123456789", "zhangsan_demo@163.com"):
        assert secret.encode() not in data
    rows = (await ds.client.get("/public/search.json", params={"q": "身份证号", "_shape": "array"})).json()
    assert any(r["title"].startswith("拍拍贷") for r in rows)


def test_serve_refuses_a_database_not_named_public(public_db, tmp_path):
    other = tmp_path / "other.db"
    other.write_bytes(public_db.read_bytes())
    result = subprocess.run([sys.executable, "-m", "db.serve", "--db", str(other), "--port", "1"],
                            cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "must be named public.db" in result.stderr
