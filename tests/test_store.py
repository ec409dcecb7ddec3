import sqlite3

import pytest

from pipelines.process import process_item
from pipelines.store import Store
from pipelines.validate import InvalidItem


def item(**kw):
    base = {"url": "http://x.cn/a/1.html", "source": "t", "title": "速融贷暴力催收",
            "body": "我在速融贷借款两千,他们半夜打电话辱骂我,还爆通讯录。"}
    return {**base, **kw}


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "c.db")
    yield s
    s.close()


def count(store, table):
    return store.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_wal_mode_and_reference_tables(store):
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert count(store, "tactics") == 15 and count(store, "lenders") > 100


def test_same_post_twice_is_one_row(store):
    assert store.save_batch([process_item(item())])["inserted"] == 1
    assert store.save_batch([process_item(item(url="http://x.cn/a/1.html?from=list"))])["duplicate"] == 1
    assert count(store, "posts") == 1 and count(store, "post_urls") == 2


def test_changed_body_keeps_the_old_version(store):
    store.save(process_item(item()))
    assert store.save(process_item(item(body="我在速融贷借款两千,他们上门催收。"))) == "updated"
    assert count(store, "posts") == 1
    old = store.conn.execute("SELECT body FROM post_versions").fetchone()[0]
    assert "辱骂" in old
    codes = {r[0] for r in store.conn.execute("SELECT tactic_code FROM post_tactics")}
    assert codes == {"T11"}


def test_status_changes_are_kept_and_removal_never_deletes(store):
    c = dict(kind="complaint", source="heimao", source_id="17", url="https://t.cn/c/17/")
    store.save(process_item(item(**c, complaint_status="处理中", fetched_at="2026-01-01T00:00:00+00:00")))
    store.save(process_item(item(**c, complaint_status="已完成", fetched_at="2026-01-02T00:00:00+00:00")))
    statuses = store.conn.execute("SELECT status FROM post_statuses ORDER BY seen_at").fetchall()
    assert [s[0] for s in statuses] == ["处理中", "已完成"]
    assert store.save(process_item({**c, "removed": True})) == "removed"
    row = store.conn.execute("SELECT removed_at, complaint_status FROM posts").fetchone()
    assert row[0] and row[1] == "已完成" and count(store, "posts") == 1


def test_discovered_lender_is_stored_unknown(store):
    store.save(process_item(item()))
    assert store.conn.execute("SELECT known FROM lenders WHERE name = '速融贷'").fetchone() == (0,)


@pytest.mark.parametrize("bad,stage", [
    ({"url": "ftp://x", "source": "t", "title": "a", "body": "b"}, "validate"),
    ({"url": "http://x.cn/1", "source": "t", "title": "", "body": "正文"}, "validate"),
    ({"url": "http://x.cn/1", "source": "t", "title": "标题", "body": "责任编辑:某某"}, "normalize"),
    ({"url": "http://x.cn/1", "source": "t", "title": "标题", "body": "正文", "published_at": "昨天"}, "validate"),
])
def test_bad_items_are_rejected_with_the_stage(bad, stage):
    with pytest.raises(InvalidItem) as err:
        process_item(bad)
    assert err.value.stage == stage


def test_quarantine_keeps_item_and_reason(store):
    store.quarantine({"url": "http://x.cn/1", "source": "t", "raw_body": b"x"}, "validate", "title: too short")
    row = store.conn.execute("SELECT url, stage, reason, item_json FROM quarantine").fetchone()
    assert row[:3] == ("http://x.cn/1", "validate", "title: too short") and "raw_body" not in row[3]


def test_a_failed_batch_leaves_nothing_half_written(store):
    good = process_item(item())
    broken = process_item(item(url="http://x.cn/a/2.html", body="别的正文,上门催收"))
    broken.urls = None  # a bug in a caller: the batch must roll back as a whole
    with pytest.raises(Exception):
        store.save_batch([good, broken])
    assert count(store, "posts") == 0 and count(store, "post_urls") == 0
