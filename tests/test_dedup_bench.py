"""The duplicate-detection benchmark: its labelled corpus, its scores, its scale run.

The corpus is generated at run time from ../shared (samples and dev complaints) into
memory and a temporary database; nothing of it is written into the repository.
"""
from __future__ import annotations

import re

import pytest

from bench import dedup_bench, make_corpus
from pipelines import dedup

TRADITIONAL_ONLY = re.compile("[們這個說還對會時來後過]")


@pytest.fixture(scope="module")
def corpus():
    return make_corpus.build(seed=7, progress=lambda *a: None)


def test_corpus_has_every_kind_of_copy(corpus):
    roles = {r["label"]["role"] for r in corpus}
    assert roles == {"original", "repost", "template_repost", "exact_copy", "short"}
    edits = {e for r in corpus for e in r["label"]["edits"]}
    assert set(make_corpus.EDITS) | {"tracking_url", "same_text"} == edits
    assert all(r["label"]["edits"] for r in corpus if r["label"]["role"].endswith("repost"))


def test_traditional_reposts_are_in_traditional_script(corpus):
    reposts = [r for r in corpus if "traditional" in r["label"]["edits"]]
    assert reposts and all(TRADITIONAL_ONLY.search(r["item"]["body"] + r["item"]["title"])
                           for r in reposts if TRADITIONAL_ONLY.search(
                               make_corpus._s2t.convert(r["item"]["body"] + r["item"]["title"])))


def test_template_siblings_name_different_lenders(corpus):
    families = {}
    for r in corpus:
        if r["label"]["template"] and r["label"]["role"] == "original":
            families.setdefault(r["label"]["template"], set()).add(r["item"]["title"])
    assert len(families) >= 30 and all(len(titles) >= 3 for titles in families.values())


def test_urls_are_unique_except_tracking_copies(corpus):
    urls = [dedup.canonical_url(r["item"]["url"]) for r in corpus]
    tracking = sum(1 for r in corpus if "tracking_url" in r["label"]["edits"])
    assert len(urls) - len(set(urls)) == tracking


def test_detection_meets_the_targets_on_the_corpus():
    result = dedup_bench.quality(seed=7, margins=False, progress=lambda *a: None)
    near, templates = result["near_duplicates"], result["templates"]
    assert near["pairs_true"] > 400
    assert near["precision"] >= dedup_bench.TARGET_NEAR_DUP_PRECISION, near["false_pairs"]
    assert near["recall"] >= dedup_bench.TARGET_NEAR_DUP_RECALL
    assert templates["precision"] >= dedup_bench.TARGET_TEMPLATE_PRECISION
    assert templates["template_members_linked_as_duplicates_of_another_lender"] == 0
    assert result["short_pages"]["linked_to_another_post"] == 0
    assert result["exact_copies"]["same_row_as_original"] == result["exact_copies"]["total"]
    assert result["exact_copies"]["rows_holding_two_stories"] == 0


def test_scale_run_streams_posts_through_the_real_store(tmp_path):
    result = dedup_bench.scale(3000, db_dir=tmp_path, window=1000, progress=lambda *a: None)
    assert result["posts_per_s"] > 0 and len(result["windows"]) == 3
    assert result["rows"]["posts"] > 2000 and result["rows"]["lsh_buckets"] > 10 * result["rows"]["post_signatures"]
    assert {"inserted", "duplicate", "near_duplicate"} <= set(result["outcomes"])
    assert all("SEARCH" in step or "TEMP B-TREE" in step for step in result["lsh_query_plan"])
    assert list(tmp_path.iterdir()) == []           # the temporary database is removed
