"""Replay-server set-ups for the crawl tests, and one `scrapy crawl` per process.

Each function loads routes for one situation (first run, second run, an
anti-bot answer) into a ReplayServer; `crawl()` runs the real spider against it
in a subprocess and returns what the run left in the database.
"""
from __future__ import annotations

import copy
import json
import os
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from tests.platforms.fixtures import (
    HEIMAO_SN,
    heimao_detail,
    jutousu_detail,
    recorded,
    variant,
    variant_json,
)
from tests.platforms.replay import ReplayServer

ROOT = Path(__file__).resolve().parent.parent.parent
CHINA = timezone(timedelta(hours=8))
JSON = "application/json;charset=UTF-8"
HTML = "text/html; charset=utf-8"


@dataclass
class Run:
    returncode: int
    log: str
    db: Path

    def rows(self, sql: str, *params):
        conn = sqlite3.connect(self.db)
        conn.row_factory = sqlite3.Row
        try:
            return [dict(r) for r in conn.execute(sql, params)]
        finally:
            conn.close()

    @property
    def run(self) -> dict:
        """The crawl_runs row of this run (the latest one), stats decoded."""
        row = self.rows("SELECT * FROM crawl_runs ORDER BY id DESC LIMIT 1")[0]
        row["stats"] = json.loads(row["stats_json"] or "{}")
        return row

    def posts(self, source: str) -> dict[str, dict]:
        return {r["source_id"]: r for r in self.rows("SELECT * FROM posts WHERE source = ?", source)}


def crawl(spider: str, server: ReplayServer, db: Path, *args: str, timeout: int = 120) -> Run:
    """`scrapy crawl <spider>` against the replay server, in its own process.

    The sources file is an empty one, so only the test's -a/-s configure the crawl.
    """
    sources = db.parent / "sources-empty.yml"
    sources.write_text("platforms: []\n", encoding="utf-8")
    env = {**os.environ, "CUISHOU_DB": str(db), "CUISHOU_SOURCES": str(sources)}
    env.pop("HEIMAO_COOKIE", None)
    env.pop("JUTOUSU_COOKIE", None)
    cmd = [str(Path(sys.executable).parent / "scrapy"), "crawl", spider,
           "-s", f"{spider.upper()}_BASE_URL={server.url}", "-s", f"CUISHOU_DB={db}",
           "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "LOG_LEVEL=INFO", *args]
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    return Run(done.returncode, done.stderr, db)


# ---------------------------------------------------------------------------
# 黑猫

COMPANY = "/api/company/received_complaints"
SEARCH = "/api/index/s"
S6_ITEMS = json.loads(recorded("heimao_company_received_complaints_items_sample.json"))["complaints"]
# The status each S6 complaint's page shows in the replay (the list's numbers have no known names).
S6_STATUS = {3: "处理中", 4: "已回复", 6: "已回复", 7: "已完成"}
EMPTY_BODY_SN = "17370809930"   # its page carries no complaint text: the item must be quarantined
NEW_SNS = ("17399000001", "17399000002")


def _published(created_at: str) -> str:
    return datetime.fromtimestamp(int(created_at), CHINA).strftime("%Y年%m月%d日 %H:%M")


def s6_detail(item: dict, status: str | None = None) -> bytes:
    main = item["main"]
    return heimao_detail(
        main["sn"], title=main["title"], target="曲美家居", couid=main["couid"], issue=main["issue"].replace(",", "，"),
        demand=main["appeal"], amount="5980元", status=status or S6_STATUS[main["status"]],
        body="" if main["sn"] == EMPTY_BODY_SN else main["summary"], published=_published(main["created_at"]))


def legacy_rows() -> list[dict]:
    return json.loads(recorded("heimao_company_list_2019_derived_sample.json"))


def legacy_detail(row: dict) -> bytes:
    sn = row["link"].rstrip("/").rsplit("/", 1)[1]
    when = datetime.fromtimestamp(row["time"] // 1000, CHINA).strftime("%Y年%m月%d日 %H:%M")
    return heimao_detail(sn, title=row["title"], demand=row["appeal"], body=row["overview"], published=when)


def heimao_list_body(items: list[dict], current: int, amount: int, total: int) -> bytes:
    pager = {"current": current, "next": current + 1 if current < amount else 0, "page_amount": amount,
             "item_count": total}
    return json.dumps({"result": {"status": {"code": 0, "msg": ""}, "data": {"complaints": items, "pager": pager}}},
                      ensure_ascii=False).encode("utf-8")


def heimao_first_run(server: ReplayServer) -> dict[str, bytes]:
    """Two lenders: 1712804040 (3 pages of verbatim items) and 5866754241 (the 2019 JSONP list,
    whose first complaint is the recorded page). Returns sn -> page bytes served."""
    server.reset()
    for page in (1, 2, 3):
        server.add(COMPANY, {"couid": "1712804040", "page": page}, signed=True, content_type=JSON,
                   body=variant(f"heimao_company_1712804040_p{page}.json"))
    server.add(COMPANY, {"couid": "5866754241", "page": 1}, signed=True, content_type="application/javascript",
               body=variant("heimao_company_5866754241_2019.jsonp"))
    pages = {item["main"]["sn"]: s6_detail(item) for item in S6_ITEMS}
    for row in legacy_rows():
        pages[row["link"].rstrip("/").rsplit("/", 1)[1]] = legacy_detail(row)
    pages[HEIMAO_SN] = recorded("heimao_detail_sample.html")
    for sn, body in pages.items():
        server.add(f"/complaint/view/{sn}/", body=body, content_type=HTML)
    return pages


def new_item(sn: str, template: dict) -> dict:
    item = copy.deepcopy(template)
    item["main"].update(sn=sn, url=f"https://tousu.sina.com.cn/complaint/view/{sn}/",
                        title=f"新投诉{sn[-1]}：" + template["main"]["title"])
    return item


def heimao_second_run(server: ReplayServer, removed_sn: str, changed_sn: str, new_status: str) -> dict[str, bytes]:
    """The next day: two new complaints on top of 1712804040's first page, one known
    complaint gone (404), one whose status moved on."""
    pages = heimao_first_run(server)
    new = [new_item(sn, S6_ITEMS[0]) for sn in NEW_SNS]
    listed = new + S6_ITEMS
    for page, start in ((1, 0), (2, 3), (3, 6), (4, 9)):
        server.add(COMPANY, {"couid": "1712804040", "page": page}, signed=True, content_type=JSON,
                   body=heimao_list_body(listed[start:start + 3], page, 4, len(listed)))
    for item in new:
        pages[item["main"]["sn"]] = s6_detail(item)
        server.add(f"/complaint/view/{item['main']['sn']}/", body=pages[item["main"]["sn"]], content_type=HTML)
    server.add(f"/complaint/view/{removed_sn}/", status=404, body=b"<html><body>404</body></html>", content_type=HTML)
    if changed_sn == HEIMAO_SN:
        pages[changed_sn] = heimao_detail(status=new_status)
    server.add(f"/complaint/view/{changed_sn}/", body=pages[changed_sn], content_type=HTML)
    return pages


# ---------------------------------------------------------------------------
# 聚投诉

MERCHANT = "/json/merchantPostList/merchantId/2352/listType/1/pageNo/{page}/offset/{offset}"
SEARCH_DO = "/front/api/search/searchPostList.do"
CONTENT_DO = "/front/api/post/getPostContent.do"
JUTOUSU_NEW_ID = "1509999"


def jutousu_first_run(server: ReplayServer) -> dict[str, bytes]:
    """merchant 2352 (2 pages + an empty one) and keyword 催收 (1 page + an empty one);
    pages in UTF-8, declared GBK and undeclared GBK; one content in GBK without a charset."""
    server.reset()
    server.add(MERCHANT.format(page=1, offset=""), body=variant("jutousu_merchant_2352_p1.json"), content_type=JSON)
    server.add(MERCHANT.format(page=2, offset="1575006252"), body=variant("jutousu_merchant_2352_p2.json"),
               content_type=JSON)
    server.add(MERCHANT.format(page=3, offset="1575002049"), body=variant("jutousu_merchant_2352_p3.json"),
               content_type=JSON)
    for page in (1, 2):
        server.add(SEARCH_DO, {"pageNo": page, "title": "催收", "listType": "1"}, content_type=JSON,
                   body=variant(f"jutousu_search_cuishou_p{page}.json"))
    keys = variant_json("jutousu_post_keys.json")
    encodings = {"1501877": ("gbk", True), "1501649": ("gbk", False)}
    served = {}
    for post_id, key in keys.items():
        content = variant_json(f"jutousu_content_{post_id}.json")
        encoding, declare = encodings.get(post_id, ("utf-8", True))
        ctype = f"text/html; charset={encoding}" if declare else "text/html"
        server.add(f"/tousu/show/id/{post_id}", content_type=ctype,
                   body=jutousu_detail(post_id, content["post"]["title"], encoding, declare))
        if post_id == "1501864":
            body, ctype = variant("jutousu_content_1501864_gbk.json"), "application/json"
        else:
            body, ctype = variant(f"jutousu_content_{post_id}.json"), JSON
        server.add(CONTENT_DO, {"postKey": key}, body=body, content_type=ctype)
        served[post_id] = body
    return served


def jutousu_second_run(server: ReplayServer, removed_id: str) -> dict[str, bytes]:
    served = jutousu_first_run(server)
    page1 = variant_json("jutousu_merchant_2352_p1.json")
    fresh = dict(page1["postList"][0], id=int(JUTOUSU_NEW_ID), title="钱站又来暴力催收",
                 ctime=page1["postList"][0]["ctime"] + 86400)
    page1["postList"].insert(0, fresh)
    server.add(MERCHANT.format(page=1, offset=""), content_type=JSON,
               body=json.dumps(page1, ensure_ascii=False).encode("utf-8"))
    content = variant_json("jutousu_content_1501877.json")
    content["post"].update(id=int(JUTOUSU_NEW_ID), title="钱站又来暴力催收")
    server.add(f"/tousu/show/id/{JUTOUSU_NEW_ID}", content_type=HTML,
               body=jutousu_detail("1501877", "钱站又来暴力催收").replace(b'id="postKeyValue" value="',
                                                                          b'id="postKeyValue" value="new'))
    key = "new" + variant_json("jutousu_post_keys.json")["1501877"]
    served[JUTOUSU_NEW_ID] = json.dumps(content, ensure_ascii=False).encode("utf-8")
    server.add(CONTENT_DO, {"postKey": key}, body=served[JUTOUSU_NEW_ID], content_type=JSON)
    server.add(f"/tousu/show/id/{removed_id}", status=404, body=b"<html>404</html>", content_type=HTML)
    return served
