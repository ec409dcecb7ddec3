"""Synthetic complaint posts, written for this project (no real complaint is copied).

Each post is composed from phrase pools below: who borrowed from which lender, what
the collectors did (phrases that carry the tactic triggers of db/tactics.csv), and
what the writer wants. Lengths vary like real complaints: about a fifth are short
(40–150 Han characters), the rest run to several paragraphs. Deterministic per seed.

    from tests.sites.complaint_text import compose_posts
    posts = compose_posts(2000, seed=7)      # [SyntheticPost(...), ...]
"""
from __future__ import annotations

import csv
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
REGISTRY = ROOT / "db" / "lenders.csv"

OPENINGS = [
    "本人于{when}在{lender}借款{amount}元，分{terms}期还款。",
    "我在{when}通过{lender}APP申请了一笔{amount}元的借款。",
    "{when}因为家里急用钱，在{lender}上借了{amount}元。",
    "去年{month}月我在{lender}贷款{amount}元，约定每月还款。",
    "本人是{lender}的用户，{when}借款{amount}元，之前一直按时还款。",
    "{when}我在{lender}办理了分期，总额{amount}元。",
]
HARDSHIP = [
    "由于疫情期间收入减少，暂时无法按时还款，已经逾期{days}天。",
    "因为工作变动，收入不稳定，逾期了{days}天。",
    "最近家里有人生病住院，手头紧张，晚还了几天。",
    "我主动联系客服说明情况，希望能够协商延期还款，但是对方不同意。",
    "逾期以后我一直在想办法筹钱，也跟平台说明了会尽快还上。",
]
TACTIC_SENTENCES = {
    "T01": ["催收每天不停打电话，一天几十个电话，严重影响工作和生活。",
            "对方换号码打，一天打了上百个电话，短信轰炸。"],
    "T02": ["经常半夜打电话过来，凌晨还在发短信，根本没法休息。",
            "晚上十一点以后还在催收，家里人都被吵醒了。"],
    "T03": ["催收人员爆通讯录，给我通讯录里的朋友打电话。",
            "他们打给我朋友和同学，说我欠钱不还，亲戚朋友都接到了电话。"],
    "T04": ["还打电话到单位，骚扰我的同事和领导，让我在公司抬不起头。",
            "催收骚扰我家人，打给我父母，老人被吓得睡不着觉。"],
    "T05": ["催收员在电话里辱骂我，说话非常难听，人身攻击。",
            "对方态度恶劣，满口脏话，侮辱我的家人。"],
    "T06": ["催收威胁说要上门找我，还说要去我老家找我父母。",
            "对方恐吓我说知道我住哪里，再不还钱后果自负。"],
    "T07": ["他们说要把我的信息发到网上曝光，还要做成通缉令发给我的联系人。",
            "威胁要在朋友圈曝光我，说要把我的照片P成欠款海报群发。"],
    "T08": ["有人冒充公检法打电话，说我涉嫌诈骗，马上就要立案抓人。",
            "对方自称是法院的，说已经起诉我了，下周就来执行。"],
    "T09": ["催收要求我去借别的网贷来还，让我以贷养贷。",
            "他们让我找别的平台借钱先把这笔还上。"],
    "T10": ["借款时还被强制搭售了会员费和保险，砍头息很高。",
            "到手金额比合同少了很多，被收了服务费和砍头息。"],
    "T11": ["昨天真的有人上门催收，在我家门口贴了催款单。",
            "催收人员直接上门到我家里，吓坏了家里的孩子。"],
    "T12": ["催收冒充律师事务所发律师函，说要起诉我。",
            "收到一条短信，说是律师事务所的，要我三天内还清。"],
    "T13": ["利息远远超过了国家规定的标准，年化利率超过百分之三十六。",
            "综合费率太高了，算下来年化利率远超法律保护的上限。"],
    "T14": ["还款后平台一直不结清，还在继续催收。",
            "我已经还清了，他们还说我逾期，上了征信。"],
    "T15": ["这就是暴力催收，严重侵犯了我的权益。",
            "这种暴力催收的行为太过分了。"],
}
DEMANDS = [
    "希望平台停止暴力催收，协商还款。",
    "要求停止骚扰我的家人和朋友，退还多收的费用。",
    "请相关部门核实处理，还我一个安静的生活。",
    "我愿意还本金，希望减免不合理的利息和罚息。",
    "恳请监管部门介入，给一个合理的解决方案。",
]
TITLES = [
    "{lender}暴力催收，骚扰家人",
    "投诉{lender}催收态度恶劣",
    "{lender}爆通讯录，要求停止骚扰",
    "{lender}高利贷，砍头息",
    "{lender}催收威胁恐吓",
    "关于{lender}的催收问题",
    "{lender}逾期后被频繁催收",
    "{lender}乱收费，要求退还",
]


@dataclass
class SyntheticPost:
    post_id: int
    title: str
    body: str                      # paragraphs separated by "\n"
    published: date
    lender: str
    tactics: list[str] = field(default_factory=list)


def registry_lenders(path: Path = REGISTRY, kinds: set[str] | None = None) -> list[str]:
    """Canonical names of db/lenders.csv (optionally only some kinds)."""
    with open(path, encoding="utf-8", newline="") as handle:
        return [row["canonical"] for row in csv.DictReader(handle)
                if not kinds or row.get("kind") in kinds]


def _fill(template: str, rng: random.Random, lender: str, day: date) -> str:
    when = day - timedelta(days=rng.randint(60, 700))
    return template.format(lender=lender, amount=rng.choice([2000, 3500, 5000, 8000, 12000, 20000]),
                           terms=rng.choice([3, 6, 12]), days=rng.randint(3, 90), month=rng.randint(1, 12),
                           when=f"{when.year}年{when.month}月")


def compose_post(post_id: int, rng: random.Random, lenders: list[str], start: date, span_days: int,
                 short_share: float = 0.2) -> SyntheticPost:
    lender = rng.choice(lenders)
    day = start + timedelta(days=rng.randrange(span_days))
    codes = rng.sample(sorted(TACTIC_SENTENCES), k=rng.randint(1, 3))
    tactic_lines = [rng.choice(TACTIC_SENTENCES[c]) for c in codes]
    if rng.random() < short_share:     # a short complaint: one paragraph, 40-150 Han characters
        codes = codes[:1]
        body = _fill(rng.choice(OPENINGS), rng, lender, day) + tactic_lines[0]
        paragraphs = [body]
    else:
        paragraphs = [_fill(rng.choice(OPENINGS), rng, lender, day) + _fill(rng.choice(HARDSHIP), rng, lender, day),
                      "".join(tactic_lines),
                      rng.choice(DEMANDS)]
        if rng.random() < 0.5:
            paragraphs.insert(2, _fill(rng.choice(HARDSHIP), rng, lender, day))
    # a unique detail per post, so unrelated posts are never near-duplicates of each other
    detail = f"编号{post_id:05d}的这笔借款，我已经还了{rng.randint(2, 40) * 100 + post_id % 97}元。"
    paragraphs[-1] = paragraphs[-1] + detail
    title = _fill(rng.choice(TITLES), rng, lender, day)
    return SyntheticPost(post_id, title, "\n".join(paragraphs), day, lender, sorted(codes))


def compose_posts(count: int, seed: int = 7, lenders: list[str] | None = None,
                  start: date = date(2024, 1, 1), span_days: int = 540,
                  short_share: float = 0.2) -> list[SyntheticPost]:
    """`count` posts, ids 1..count, newest last in id order only by chance (dates are random)."""
    rng = random.Random(seed)
    lenders = lenders or registry_lenders()
    return [compose_post(i, rng, lenders, start, span_days, short_share) for i in range(1, count + 1)]
