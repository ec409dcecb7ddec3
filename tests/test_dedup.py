"""Duplicates: exact keys, near-duplicate MinHash/LSH, content-farm templates.

Texts here are written for these tests (no real complaint is copied). The store
tests run the real pipeline (process_item -> Store.save_batch) on a real SQLite file.
"""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from datasketch import MinHash

from pipelines import dedup
from pipelines.normalize import comparable
from pipelines.process import process_item
from pipelines.store import Store
from tests.conftest import ROOT

# A complaint with its lender in three places; {L} is the lender.
COMPLAINT = ("我在{L}借了三千元，分六期还款。逾期第三天起，{L}的催收员每天打二十多个电话，"
             "还给我通讯录里的同事和亲戚发短信，说我欠钱不还要上门。我已经和{L}客服协商过延期两周，"
             "对方拒绝并威胁起诉。")
OTHER = ("上个月在网上申请了一笔五千元的消费贷，到账只有四千二，八百元被当作服务费扣掉了。"
         "合同上写的年化利率远低于实际，我要求平台公开费用明细并退还多收的钱，客服一直拖着不回复。")
FOOTER = "本站内容来源于网友投稿，仅代表作者个人观点，与本站立场无关。"


def item(n: int, body: str, title: str = "暴力催收", **kw) -> dict:
    return {"url": f"http://farm{n}.example/p/{n}.html", "source": f"farm{n}", "title": title,
            "body": body, **kw}


def post(n: int, body: str, title: str = "暴力催收", **kw):
    return process_item(item(n, body, title, **kw))


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "crawl.db")
    yield s
    s.close()


def row(store, url):
    return store.conn.execute(
        "SELECT p.id, p.duplicate_of, p.story_id, p.is_template, p.template_id FROM posts p "
        "JOIN post_urls u ON u.post_id = p.id WHERE u.url = ?", (url,)).fetchone()


# ---------------------------------------------------------------- pure functions

def test_minhash_is_datasketchs_affine32_minhash():
    hashes = dedup.shingle_hashes(dedup.code_points(COMPLAINT.format(L="安逸花")))
    reference = MinHash(num_perm=dedup.NUM_PERM, seed=dedup.MINHASH_SEED, scheme="affine32",
                        hashfunc=lambda v: v)
    reference.update_batch([int(h) for h in hashes])
    assert np.array_equal(dedup.minhash_values(hashes), reference.hashvalues)


def test_signature_estimates_the_exact_jaccard():
    a = dedup.shingle_hashes(dedup.code_points(COMPLAINT.format(L="安逸花")))
    b = dedup.shingle_hashes(dedup.code_points(COMPLAINT.format(L="安逸花") + OTHER))
    _, exact = dedup.overlap(a, b)
    estimate = dedup.estimated_similarity(dedup.signature_blob(dedup.minhash_values(a)),
                                          dedup.signature_blob(dedup.minhash_values(b)))
    assert abs(estimate - exact) < 0.2 and 0.3 < exact < 0.7


def test_shingles_ignore_spacing_and_punctuation():
    text = COMPLAINT.format(L="安逸花")
    noisy = text.replace("，", ", ").replace("。", ".\n")
    assert np.array_equal(dedup.shingle_hashes(dedup.code_points(text)),
                          dedup.shingle_hashes(dedup.code_points(noisy)))
    assert len(dedup.shingle_hashes(dedup.code_points("催收"))) == 1


def test_one_changed_band_changes_one_key():
    values = dedup.minhash_values(dedup.shingle_hashes(dedup.code_points(OTHER)))
    keys = dedup.band_keys(values)
    changed = values.copy()
    changed[dedup.ROWS_PER_BAND * 3] ^= 1
    other_keys = dedup.band_keys(changed)
    assert len(keys) == dedup.BANDS == len(set(keys))
    assert [i for i, (a, b) in enumerate(zip(keys, other_keys)) if a != b] == [3]


def test_masking_makes_lender_swaps_equal():
    a = dedup.masked_body(COMPLAINT.format(L="安逸花"), ["安逸花"])
    b = dedup.masked_body(COMPLAINT.format(L="京东金条"), ["京东金条", "京东"])
    assert a == b and "安逸花" not in a and a.count(dedup.LENDER_MASK) == 3
    assert dedup.template_key(a) == dedup.template_key(b)


def test_numbers_tell_a_form_letter_from_a_repost():
    mine = dedup.numbers("借款申请为60000元,合同金额66000元,每月还款3700元")
    theirs = dedup.numbers("借款申请为30000元,合同金额33000元,每月还款1850元")
    repost = dedup.numbers("合同金额66000元,每月还款3700元。本文转载自网络")
    assert not dedup.numbers_agree(mine, theirs)
    assert dedup.numbers_agree(mine, repost)
    assert dedup.numbers_agree(mine, frozenset())


def test_short_bodies_are_not_indexed():
    short = post(1, "催收电话太多了，请平台处理。" + FOOTER)
    assert short.fingerprint.han_chars < dedup.MIN_HAN_CHARS and not short.fingerprint.matchable
    long_ = post(2, COMPLAINT.format(L="安逸花"))
    assert long_.fingerprint.matchable and len(long_.fingerprint.band_keys) == dedup.BANDS


class Text:
    """What lender_swapped reads: a body and its lender rows (name, role, surface)."""

    def __init__(self, body, *lenders):
        self.body, self.lenders = body, tuple(lenders)


@pytest.mark.parametrize("a,b,swapped", [
    # a content farm's sibling: the subject lender replaced everywhere
    (Text(COMPLAINT.format(L="安逸花"), ("安逸花", "subject", "安逸花")),
     Text(COMPLAINT.format(L="有钱花"), ("有钱花", "subject", "有钱花")), True),
    # ... even when the lender stage missed the first copy's lender (not in the registry)
    (Text(COMPLAINT.format(L="速易借")),
     Text(COMPLAINT.format(L="有钱花"), ("有钱花", "subject", "有钱花")), True),
    # ... and when the name opens the text
    (Text("速易借" + OTHER), Text("有钱花" + OTHER, ("有钱花", "subject", "有钱花")), True),
    # a repost that gained chrome before a name that opens the text
    (Text("有钱花" + OTHER, ("有钱花", "subject", "有钱花")),
     Text("首页 > 投诉曝光 > 正文\n有钱花" + OTHER, ("有钱花", "subject", "有钱花")), False),
    # a repost with a sentence the lender stage misreads as a lender
    (Text(COMPLAINT.format(L="安逸花"), ("安逸花", "subject", "安逸花")),
     Text(COMPLAINT.format(L="安逸花") + "遇到暴力催收可以向当地金融监管部门反映。",
          ("当地金融", "subject", "当地金融"), ("安逸花", "mentioned", "安逸花")), False),
    # the registry's masked form of the same lender
    (Text(COMPLAINT.format(L="安逸花"), ("安逸花", "subject", "安逸花")),
     Text(COMPLAINT.format(L="安*花"), ("安逸花", "subject", "安*花")), False),
])
def test_lender_swaps_are_read_from_the_text(a, b, swapped):
    assert dedup.lender_swapped(a, b) is swapped
    assert dedup.lender_swapped(b, a) is swapped


# ---------------------------------------------------------------- exact duplicates in the store

def test_recrawl_updates_last_seen_and_adds_no_row(store):
    first = item(1, COMPLAINT.format(L="安逸花"), fetched_at="2026-01-01T00:00:00+00:00")
    again = {**first, "url": first["url"] + "?utm_source=share&from=timeline",
             "fetched_at": "2026-01-05T00:00:00+00:00"}
    assert store.save(process_item(first)) == "inserted"
    assert store.save(process_item(again)) == "duplicate"
    rows = store.conn.execute("SELECT count(*), min(first_seen), max(last_seen) FROM posts").fetchone()
    assert rows == (1, "2026-01-01T00:00:00+00:00", "2026-01-05T00:00:00+00:00")


def test_same_platform_id_is_one_row_and_an_edit_keeps_the_old_version(store):
    complaint = dict(kind="complaint", source="heimao", source_id="1730001")
    store.save(post(1, COMPLAINT.format(L="安逸花"), **complaint))
    edited = COMPLAINT.format(L="安逸花").replace("三千元", "四千元")
    assert store.save(post(2, edited, **complaint)) == "updated"     # another URL, same platform id
    assert store.conn.execute("SELECT count(*) FROM posts").fetchone()[0] == 1
    assert store.conn.execute("SELECT body FROM posts").fetchone()[0].startswith("我在安逸花借了四千元")
    old = store.conn.execute("SELECT body FROM post_versions").fetchone()[0]
    assert old.startswith("我在安逸花借了三千元")


def test_same_body_hash_on_another_site_is_one_row_with_both_urls(store):
    store.save(post(1, COMPLAINT.format(L="安逸花")))
    noisy = COMPLAINT.format(L="安逸花").replace("，", ",").replace("。", "。\n\n")
    assert store.save(post(2, noisy)) == "duplicate"
    assert store.conn.execute("SELECT count(*) FROM posts").fetchone()[0] == 1
    assert store.conn.execute("SELECT count(*) FROM post_urls").fetchone()[0] == 2


# ---------------------------------------------------------------- near duplicates and stories

def repost_of(body: str) -> str:
    """A repost with edits: a sentence added, one dropped, chrome and punctuation changed."""
    sentences = body.split("。")
    return "\n".join(["首页 > 投诉曝光 > 正文", "本文转载自网络，如有侵权请联系删除。",
                      "。".join(sentences[:1] + sentences[2:]).replace("，", ","), "下一篇：花呗怎么样"])


def test_near_duplicate_gets_its_own_row_in_the_first_copys_story(store):
    original = post(1, COMPLAINT.format(L="安逸花") + OTHER)
    store.save(original)
    assert store.save(post(2, repost_of(original.body), title="转载：安逸花暴力催收")) == "near_duplicate"
    first, copy = row(store, original.url), row(store, "http://farm2.example/p/2.html")
    assert copy[1:3] == (first[0], first[0]) and first[1:3] == (None, first[0])
    assert copy[3] == 0


def test_an_edited_post_is_found_by_its_new_text(store):
    complaint = dict(kind="complaint", source="heimao", source_id="1730002")
    store.save(post(1, COMPLAINT.format(L="安逸花"), **complaint))
    rewritten = OTHER + "后来又收到自称律师的短信，说要去单位和老家上门调查，家里人都很害怕。"
    assert store.save(post(1, rewritten, **complaint)) == "updated"
    assert store.save(post(2, "本文转载自网络，如有侵权请联系删除。\n" + rewritten)) == "near_duplicate"
    assert row(store, "http://farm2.example/p/2.html")[1] == row(store, "http://farm1.example/p/1.html")[0]


def test_traditional_copy_is_a_near_duplicate(store):
    import opencc

    body = COMPLAINT.format(L="安逸花") + OTHER
    store.save(post(1, body))
    traditional = opencc.OpenCC("s2t").convert(body + "以上是一位网友的真实经历。")
    assert store.save(post(2, traditional)) == "near_duplicate"


def test_a_new_process_finds_duplicates_of_an_earlier_run(tmp_path):
    db = tmp_path / "crawl.db"
    first = Store(db)
    original = post(1, COMPLAINT.format(L="安逸花") + OTHER)
    first.save(original)
    first.close()
    script = (
        "import json, sys\n"
        "from pipelines.process import process_item\n"
        "from pipelines.store import Store\n"
        "s = Store(sys.argv[1])\n"
        "print(json.dumps(s.save(process_item(json.loads(sys.argv[2])))))\n")
    repost = item(2, repost_of(original.body))
    done = subprocess.run([sys.executable, "-c", script, str(db), json.dumps(repost, ensure_ascii=False)],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == "near_duplicate"
    s = Store(db)
    assert row(s, repost["url"])[1] == row(s, original.url)[0]
    s.close()


def test_near_duplicate_lookup_uses_indexes_only(store):
    """Every query the store runs to judge and link a near-duplicate is an index
    search, never a scan: the cost per post does not grow with the database."""
    for n in range(30):
        store.save(post(100 + n, OTHER.replace("五千", f"{n}千") + COMPLAINT.format(L=f"第{n}号贷")))
    original = post(1, COMPLAINT.format(L="安逸花") + OTHER)
    store.save(original)
    statements = []
    store.conn.set_trace_callback(statements.append)
    assert store.save(post(2, repost_of(original.body))) == "near_duplicate"
    store.conn.set_trace_callback(None)
    scans = []
    for sql in statements:
        if sql.lstrip().upper().startswith(("SELECT", "UPDATE", "DELETE")):
            for plan in store.conn.execute("EXPLAIN QUERY PLAN " + sql):
                if plan[3].startswith("SCAN") and "CONSTANT ROW" not in plan[3]:
                    scans.append((sql, plan[3]))
    assert any("lsh_buckets" in s for s in statements) and scans == []


def test_short_pages_are_not_matched_on_their_shared_footer(store):
    for n, complaint in enumerate(["借款到账少了八百元，客服不解释。", "半夜打电话骂人，太过分了，投诉。",
                                   "一天接到几十个催收短信，没法上班。"]):
        assert store.save(post(n, complaint + "\n" + FOOTER, title=f"投诉{n}")) == "inserted"
    assert store.conn.execute("SELECT count(*) FROM posts WHERE duplicate_of IS NOT NULL").fetchone()[0] == 0


def test_different_borrowers_filing_one_form_letter_are_different_stories(store):
    letter = ("本人在平台借款{a}元，到账{a}元，而合同上却显示借款金额{b}元，被收了{c}元的砍头息，"
              "这是明显的虚假合同，严重违反国家规定，要求平台退还多收取的费用并出具结清证明，否则将向监管部门投诉。")
    store.save(post(1, letter.format(a=14000, b=18480, c=4480), title="钱站砍头息"))
    assert store.save(post(2, letter.format(a=20000, b=26400, c=6400), title="钱站砍头息")) == "inserted"


# ---------------------------------------------------------------- templates

def test_template_siblings_are_flagged_not_duplicates(store):
    lenders = ["安逸花", "有钱花", "京东金条"]
    for n, lender in enumerate(lenders):
        store.save(post(n, COMPLAINT.format(L=lender) + OTHER, title=f"{lender}暴力催收"))
    rows = [row(store, f"http://farm{n}.example/p/{n}.html") for n in range(3)]
    assert [r[1] for r in rows] == [None, None, None]                  # not duplicates
    assert [r[2] for r in rows] == [r[0] for r in rows]                # each its own story
    assert [r[3] for r in rows] == [1, 1, 1] and len({r[4] for r in rows}) == 1 and rows[0][4]
    # a repost of the second sibling is a copy of that sibling, in the same template
    repost = repost_of(COMPLAINT.format(L="有钱花") + OTHER)
    assert store.save(post(9, repost, title="有钱花暴力催收")) == "near_duplicate"
    copy = row(store, "http://farm9.example/p/9.html")
    assert copy[1:] == (rows[1][0], rows[1][0], 1, rows[0][4])


def test_counts_per_lender_count_stories(store):
    """What the published views count: distinct posts.story_id per lender."""
    body = COMPLAINT.format(L="安逸花") + OTHER
    store.save(post(1, body, title="安逸花暴力催收"))
    store.save(post(2, repost_of(body), title="安逸花暴力催收"))
    store.save(post(3, repost_of(body).replace("转载", "转发"), title="安逸花暴力催收"))
    store.save(post(4, COMPLAINT.format(L="有钱花") + OTHER, title="有钱花暴力催收"))
    counts = dict(store.conn.execute(
        "SELECT l.name, count(DISTINCT p.story_id) FROM posts p JOIN post_lenders pl ON pl.post_id = p.id "
        "JOIN lenders l ON l.id = pl.lender_id WHERE pl.role = 'subject' GROUP BY l.name"))
    assert counts == {"安逸花": 1, "有钱花": 1}
    assert store.conn.execute("SELECT count(*) FROM posts").fetchone()[0] == 4


# ---------------------------------------------------------------- the comparable form used above

def test_comparable_drops_the_masked_forms_star():
    assert comparable("安*花") == "安花"
