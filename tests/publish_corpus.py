"""Made-up Chinese posts, run through the real pipeline into a private crawl DB,
for the publish, Datasette and browser tests.

Every text here was written for these tests (no complaint of the dev set). 青石贷 is
an invented brand (discovered, known = 0). The personal data is fake: 13912345678,
lisi_test@example.com, 13800001111 and an ID number with a valid check digit.
"""
from __future__ import annotations

from pathlib import Path

from pipelines.process import now_iso, process_item
from pipelines.store import Store

FAKE_PHONE = "13912345678"
FAKE_EMAIL = "lisi_test@example.com"
FAKE_FOOTER_PHONE = "13800001111"
FAKE_ID = "11010119900307123X"   # check digit valid for 11010119900307123

# (key, url, source, published_at, title, body[, extra fields])
POSTS = [
    ("attitude", "http://forum.test/t/101.html", "forum", "2025-03-10T09:15:00",
     "極融借款催收態(tài)度惡劣，還爆通訊錄",
     "我在極融借款借了三千元，逾期十天後，催收員每天打電話來。\n"
     "他們的態(tài)度非常惡劣，說話很難聽，一開口就罵人。\n"
     "後來他們爆通訊錄，給我的同事和親戚都打了電話，讓我在單位抬不起頭。"),
    ("visit", "http://forum.test/t/102.html", "forum", "2025-03-22T20:01:00",
     "安逸花逾期后催收说要派人上门",
     "上个月我在安逸花的借款逾期了一周。\n"
     "催收员打电话说明天就派人上门，还说要到我老家去找我父母谈谈。\n"
     "第二天真的有两个陌生男人上门，在我家楼下站了一个下午，邻居都在看。"),
    ("app", "http://news.test/a/7.html", "news", "2025-04-02",
     "拍拍贷APP逾期后催收冒充公安",
     "我用拍拍贷APP借了两千元，因为生病住院晚还了五天。\n"
     "有人打来电话，自称是派出所民警，说我涉嫌诈骗，要我马上还钱，不然就立案。\n"
     "我打到派出所核实，根本没有这回事。"),
    ("pii", "http://news.test/a/8.html", "news", "2025-04-18",
     "有钱花催收把我的手机号发到群里",
     f"我在有钱花借款逾期后，催收员把我的手机号{FAKE_PHONE}和邮箱{FAKE_EMAIL}发到一个群里，\n"
     f"还念出了我的身份证号{FAKE_ID}，说这些资料他们都有，威胁要让我社会性死亡。\n"
     "我现在每天都很焦虑，状态很差。"),
    ("status", "http://forum.test/t/103.html", "forum", "2025-01-08",
     "青石贷暴力催收，半夜打电话辱骂",
     "青石贷的催收员凌晨两点给我打电话，骂得非常难听，我老婆孩子都被吵醒了。\n"
     "我说下周发工资就还，他们不听，继续一个小时打一次。"),
    ("qs2", "http://forum.test/t/104.html", "forum", "2025-02-14",
     "青石贷催收威胁要起诉我",
     "情人节那天收到青石贷发来的短信，说已经把我的案子交给律师事务所，三天内不还就起诉。\n"
     "我查了那个律师事务所，网上根本找不到。"),
    ("qs3", "http://forum.test/t/105.html", "forum", "2025-05-03",
     "青石贷催收打到我公司前台",
     "五一假期刚结束，青石贷的人就把电话打到了我们公司前台，说我欠钱不还。\n"
     "前台小姑娘把这件事告诉了部门经理，我非常难堪。"),
    ("qs4", "http://forum.test/t/106.html", "forum", "2025-05-09",
     "青石贷逾期三天就开始爆通讯录",
     "只逾期了三天，青石贷就给我手机里的联系人群发短信，说我是老赖。\n"
     "连我大学时候的老师都收到了，我真不知道该怎么解释。"),
    ("qs5", "http://forum.test/t/107.html", "forum", "2025-05-17",
     "青石贷催收P图侮辱我",
     "青石贷的催收把我的照片P成了遗照，发在朋友圈和微信群里。\n"
     "照片下面还写着欠钱不还的下场，我已经报警了。"),
    ("qs6", "http://forum.test/t/108.html", "forum", "2025-05-25",
     "青石贷催收冒充法院工作人员",
     "一个自称是市中级人民法院执行局的人给我打电话，说青石贷已经起诉我，要冻结我的银行卡。\n"
     "我去法院问了，没有任何立案记录，对方是冒充的。"),
    ("complaint", "https://tousu.sina.com.cn/complaint/view/17300000001/", "heimao", "2025-05-20T10:00:00",
     "安逸花催收多次上门骚扰",
     "本人在安逸花借款，因疫情收入减少未能按时还款。催收人员多次上门，在小区里大声喧哗，\n"
     "严重影响家人生活。要求停止上门骚扰，协商分期还款。",
     {"kind": "complaint", "source_id": "17300000001", "complaint_target": "安逸花",
      "complaint_status": "处理中"}),
]

# Crawled long ago, except the post that makes 拍拍贷 a lender "new this week".
FETCHED_AT = "2025-06-01T08:00:00+00:00"
FETCHED_NOW = {"app"}

# The archived HTML of one post, in GBK, with fake PII in its footer.
RAW_PAGE_KEY = "visit"
RAW_PAGE = (
    "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=gbk\">"
    "<title>安逸花逾期后催收说要派人上门</title><style>.x{color:red}</style>"
    "<script>var tracker = 1;</script></head><body>"
    "<nav><a href=\"/\">首页</a></nav><h1>安逸花逾期后催收说要派人上门</h1>"
    "<p>上个月我在安逸花的借款逾期了一周。</p>"
    "<p>催收员打电话说明天就派人上门，还说要到我老家去找我父母谈谈。</p>"
    f"<footer>删帖联系电话 {FAKE_FOOTER_PHONE} 邮箱 admin_test@forum.test</footer>"
    "</body></html>").encode("gbk")


def items() -> list[dict]:
    out = []
    for key, url, source, published, title, body, *extra in POSTS:
        item = {"url": url, "source": source, "published_at": published, "title": title, "body": body,
                "fetched_at": now_iso() if key in FETCHED_NOW else FETCHED_AT, **(extra[0] if extra else {})}
        if key == RAW_PAGE_KEY:
            item.update(raw_body=RAW_PAGE, raw_status=200, raw_encoding="gbk")
        out.append(item)
    return out


def build_private_db(path: Path) -> Path:
    """The posts above -> process_item -> Store, plus a crawl run and a quarantined item."""
    store = Store(path)
    try:
        run_id = store.start_run("forum")
        store.save_batch([process_item(item) for item in items()])
        # a repeat visit through a tracking URL: one post, two URLs
        store.save(process_item({**items()[1], "url": "http://forum.test/t/102.html?from=list"}))
        store.quarantine({"url": "http://forum.test/t/999.html", "source": "forum",
                          "title": "坏页面", "body": f"联系我 {FAKE_PHONE}"}, "validate", "body: too short")
        store.finish_run(run_id, items=12, stored=11, duplicates=1, errors=0, duration_s=1.5,
                         finish_reason="finished", status="ok",
                         stats_json={"secret_internal": "scheduler state", "phone": FAKE_PHONE})
    finally:
        store.close()
    return path
