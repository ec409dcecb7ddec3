"""Content alerts (pipelines/alerts.py) on a real crawl database written by the Store:
new lender, spike, new tactic; each fires on its case, stays silent otherwise, and is
written once. Time is frozen; texts are short ones written for these tests."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from freezegun import freeze_time

from pipelines import alerts
from pipelines.dedup import content_hash
from pipelines.lenders import LenderMatch
from pipelines.process import ProcessedPost
from pipelines.store import Store
from tests.test_run_daily_support import rows

NOW = datetime(2026, 6, 15, 4, 0, tzinfo=timezone.utc)         # 12:00 in Shanghai
TODAY = date(2026, 6, 15)
FILLER = "借款逾期以后催收人员多次联系本人和家属要求立即还清全部欠款否则后果自负"


class Posts:
    """Writes posts through the Store, each with its own text, lender and tactics."""

    def __init__(self, db):
        self.store = Store(db)
        self.n = 0

    def add(self, lender: str, seen: datetime, published: date | None = None, tactics=(),
            known: bool = True, role: str = "subject", source: str = "site") -> int:
        from pipelines.tactics import TacticHit

        self.n += 1
        body = f"第{self.n}篇：{lender}{FILLER[self.n % 7:]}{self.n * 7919}。" + "".join(
            f"他们{code}的证据句子{self.n}。" for code in tactics)
        url = f"http://site.test/a/{self.n}.html"
        post = ProcessedPost(
            url=url, source=source, title=f"{lender}催收投诉{self.n}", body=body, content_hash=content_hash(body),
            published_at=published.isoformat() if published else None, urls=[url],
            lenders=[LenderMatch(name=lender, surface=lender, role=role, known=known)],
            tactics=[TacticHit(code=code, evidence=f"他们{code}的证据句子{self.n}。", trigger=code) for code in tactics],
            fetched_at=seen.isoformat(timespec="seconds"))
        assert self.store.save(post) == "inserted"
        return self.store.conn.execute("SELECT id FROM posts WHERE url = ?", (url,)).fetchone()[0]

    def close(self):
        self.store.close()


@pytest.fixture
def db(tmp_path):
    return tmp_path / "c.db"


@pytest.fixture
def posts(db):
    p = Posts(db)
    yield p
    p.close()


def check(db) -> list[dict]:
    with freeze_time(NOW):
        alerts.check(db, now=NOW, log=lambda m: None)
    return rows(db, "SELECT a.*, l.name AS lender FROM alerts a LEFT JOIN lenders l ON l.id = a.lender_id ORDER BY a.id")


def days_ago(n: int, hour: int = 3) -> datetime:
    return (NOW - timedelta(days=n)).replace(hour=hour)


# -- pure pieces -----------------------------------------------------------------

def test_poisson_tail():
    assert alerts.poisson_tail(0, 2.0) == 1.0
    assert alerts.poisson_tail(1, 1.0) == pytest.approx(1 - 0.36787944, abs=1e-7)
    assert alerts.poisson_tail(6, 1.0) == pytest.approx(0.000594, abs=2e-6)


def test_spike_test_needs_count_ratio_and_probability():
    rules = alerts.load_rules()["spike"]
    assert alerts.spike_test(6, [1] * 8, rules).is_spike
    assert not alerts.spike_test(2, [0] * 8, rules).is_spike           # too few to be news
    assert not alerts.spike_test(40, [30] * 8, rules).is_spike         # significant, but not 2x
    assert not alerts.spike_test(4, [2] * 8, rules).is_spike           # P(X>=4 | 2) = 0.14
    lone = alerts.spike_test(4, [0] * 8, rules)                         # no history: the 0.5 floor
    assert lone.usual == 0.5 and lone.is_spike


def test_window_counts_and_local_days():
    days = [TODAY, TODAY - timedelta(days=6), TODAY - timedelta(days=7), TODAY - timedelta(days=20)]
    assert alerts.window_counts(days, TODAY, 7, 3) == [2, 1, 1]
    shanghai = ZoneInfo("Asia/Shanghai")
    assert alerts.local_day("2026-06-14T17:30:00+00:00", shanghai) == date(2026, 6, 15)
    assert alerts.local_day("2026-06-14T17:30:00", shanghai) == date(2026, 6, 14)   # no zone: local already
    assert alerts.local_day("2026-06-14", shanghai) == date(2026, 6, 14)
    assert alerts.local_day("not a date", shanghai) is None


def test_rules_file_errors_are_clear(tmp_path):
    bad = tmp_path / "rules.yml"
    bad.write_text("spike: {}\nnew_tactic: {}\n", encoding="utf-8")
    with pytest.raises(ValueError, match="section 'new_lender' is missing"):
        alerts.load_rules(bad)
    with pytest.raises(ValueError, match="no such alert rules file"):
        alerts.load_rules(tmp_path / "missing.yml")


# -- new lender ------------------------------------------------------------------

def test_new_discovered_lender_fires_once(db, posts):
    posts.add("安逸花", days_ago(60), tactics=["T01"])
    posts.add("金狐贷", days_ago(1), known=False, tactics=["T05"])
    posts.add("京东金条", days_ago(1), role="mentioned")                # a sidebar mention is no complaint
    found = check(db)
    assert [(a["kind"], a["lender"]) for a in found] == [("new_lender", "金狐贷")]
    message = found[0]["message"]
    assert "discovered, not in the registry" in message and "http://site.test/a/2.html" in message
    assert "辱骂 T05" in message and found[0]["source"] == "site"
    assert check(db) == found                                           # written once


def test_registry_lender_seen_for_the_first_time_fires(db, posts):
    posts.add("拍拍贷", days_ago(2), published=TODAY - timedelta(days=400))
    found = check(db)
    assert [(a["kind"], a["lender"]) for a in found] == [("new_lender", "拍拍贷")]
    assert "(in the registry)" in found[0]["message"] and "published 2025-05-11" in found[0]["message"]


def test_lender_first_seen_before_the_lookback_is_not_new(db, posts):
    posts.add("分期乐", days_ago(8))
    posts.add("分期乐", days_ago(1))
    assert check(db) == []


# -- spike -----------------------------------------------------------------------

def weekly(posts, lender, per_week: list[int], this_week: int):
    """per_week[k]: complaints published k+1 weeks ago (first seen then); this_week: now."""
    for k, count in enumerate(per_week, start=1):
        for i in range(count):
            day = TODAY - timedelta(days=7 * k + i % 7)
            posts.add(lender, datetime.combine(day, datetime.min.time(), timezone.utc), published=day)
    for i in range(this_week):
        posts.add(lender, days_ago(i % 6, hour=1), published=TODAY - timedelta(days=i % 6))


def test_spike_fires_with_its_statistic(db, posts):
    weekly(posts, "安逸花", [1] * 8, this_week=6)
    found = [a for a in check(db) if a["kind"] == "spike"]
    assert [a["lender"] for a in found] == ["安逸花"]
    message = found[0]["message"]
    assert "6 complaints in the 7 days 2026-06-09..2026-06-15" in message
    assert "usually 1.0 per 7 days (mean of the 8 windows before)" in message
    assert "Poisson P(X>=6 | 1.0) = 5.9e-04" in message


def test_steady_or_small_counts_stay_silent(db, posts):
    weekly(posts, "拍拍贷", [3] * 8, this_week=4)       # busy lender, normal week
    weekly(posts, "微粒贷", [0] * 8, this_week=2)       # two complaints are not a spike
    assert [a for a in check(db) if a["kind"] == "spike"] == []


def test_old_complaints_found_today_are_not_a_spike(db, posts):
    weekly(posts, "洋钱罐", [1] * 8, this_week=0)
    for i in range(8):                                  # a backfill: published months ago, crawled now
        posts.add("洋钱罐", days_ago(0, hour=1), published=TODAY - timedelta(days=200 + i))
    assert [a for a in check(db) if a["kind"] == "spike"] == []


def test_copies_of_one_story_and_templates_count_once_or_not_at_all(db, posts):
    weekly(posts, "招联金融", [1] * 8, this_week=0)
    ids = [posts.add("招联金融", days_ago(1, hour=1), published=TODAY) for _ in range(6)]
    posts.store.conn.execute(f"UPDATE posts SET story_id = ? WHERE id IN ({ids[1]}, {ids[2]}, {ids[3]})", (ids[1],))
    posts.store.conn.execute(f"UPDATE posts SET is_template = 1 WHERE id = {ids[4]}")
    assert [a for a in check(db) if a["kind"] == "spike"] == []     # 3 stories, not 6
    posts.add("招联金融", days_ago(1, hour=2), published=TODAY)
    posts.add("招联金融", days_ago(1, hour=2), published=TODAY)
    assert [a["lender"] for a in check(db) if a["kind"] == "spike"] == ["招联金融"]   # 5 stories


def test_one_spike_alert_per_cooldown(db, posts):
    weekly(posts, "安逸花", [1] * 8, this_week=6)
    first = check(db)
    posts.add("安逸花", days_ago(0, hour=2), published=TODAY)
    later = NOW + timedelta(days=1)
    with freeze_time(later):
        alerts.check(db, now=later, log=lambda m: None)
    assert len(rows(db, "SELECT * FROM alerts WHERE kind = 'spike'")) == len([a for a in first if a["kind"] == "spike"]) == 1


# -- new tactic ------------------------------------------------------------------

def test_new_tactic_for_an_established_lender_fires_with_evidence(db, posts):
    posts.add("安逸花", days_ago(60), tactics=["T01"])
    posts.add("安逸花", days_ago(1), tactics=["T01", "T08"])
    found = check(db)
    assert [(a["kind"], a["lender"]) for a in found] == [("new_tactic", "安逸花")]
    message = found[0]["message"]
    assert "冒充公检法 (T08)" in message and "他们T08的证据句子2。" in message
    assert "http://site.test/a/2.html" in message
    assert check(db) == found


def test_known_tactic_and_new_lenders_raise_no_tactic_alert(db, posts):
    posts.add("安逸花", days_ago(60), tactics=["T08"])
    posts.add("安逸花", days_ago(1), tactics=["T08"])
    posts.add("金狐贷", days_ago(1), known=False, tactics=["T11"])    # told in its new_lender alert
    assert [a["kind"] for a in check(db)] == ["new_lender"]
