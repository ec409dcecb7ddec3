"""The canned `search` works whatever the published file is called (checks and
operators may run `datasette other.db -m db/metadata.yml --plugins-dir db/plugins`)."""
from __future__ import annotations

from datasette.app import Datasette

from db import publish, serve
from tests.publish_corpus import build_private_db
from tests.test_datasette import ATTITUDE, load_metadata


async def test_search_canned_query_under_another_database_name(tmp_path):
    private = build_private_db(tmp_path / "cuishou.db")
    out = tmp_path / "journalists.db"
    publish.publish(private, out, progress=lambda m: None)
    ds = Datasette([str(out)], metadata=load_metadata(), plugins_dir=str(serve.PLUGINS))
    await ds.invoke_startup()
    response = await ds.client.get("/journalists/search.json", params={"q": "態度", "_shape": "array"})
    assert response.status_code == 200, response.text[:300]
    rows = response.json()
    assert ATTITUDE in [r["title"] for r in rows]
    assert {"url", "title"} <= set(rows[0])
