"""Datasette plugin for the public Cuishou Watch database: what metadata.yml cannot do.

- SQL functions on every connection: cjk_match(q) (a reader's Chinese query ->
  FTS5 bigram expression), cjk_snippet(text, q), to_simplified(text); see db/search.py.
- The posts table's own search box (?_search=) through the same bigram index:
  Datasette's default search would hand 態度 to FTS5 unsegmented.
- Lender pages (/public/lenders/N) get a monthly chart of stories, the tactics with
  their evidence and links to the posts; post pages get their lenders, tactics,
  all URLs, the archived text snapshot and the Wayback Machine link.
- /-/charts: monthly trends of the lenders with the most stories and the
  lender x tactic table. Charts are inline SVG (db/charts.py): nothing is loaded
  from outside the server.
- In canned-query results, `post_id`/`title` link to the post and `lender_id`/
  `lender` to the lender page.
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:     # `datasette ... --plugins-dir db/plugins` runs from the venv's bin
    sys.path.insert(0, str(ROOT))

from datasette import hookimpl  # noqa: E402
from datasette.filters import FilterArguments  # noqa: E402
from datasette.utils import urlsafe_components  # noqa: E402
from datasette.utils.asgi import Response  # noqa: E402
from markupsafe import Markup, escape  # noqa: E402

from db import charts, search  # noqa: E402

DATABASE_NAME = "public"   # the name metadata.yml keys its settings by (db/serve.py)

POSTS_PER_LENDER_PAGE = 100
EVIDENCE_PER_TACTIC = 3
CHART_LENDERS = 12


@hookimpl
def prepare_connection(conn):
    search.register_functions(conn)


async def _has_search_index(datasette, database: str) -> bool:
    return await datasette.get_database(database).table_exists(search.FTS_TABLE)


@hookimpl(trylast=True)   # after Datasette's own search filter, so our supports_search wins
def filters_from_request(request, database, table, datasette):
    if table != "posts":
        return None

    async def inner():
        if not await _has_search_index(datasette, database):
            return None
        query = request.args.get("_search")
        context = {"supports_search": True}
        if not query:
            return FilterArguments([], extra_context=context)
        context["search"] = query
        return FilterArguments(
            [f"id in (select rowid from {search.FTS_TABLE} where {search.FTS_TABLE} "
             "match cjk_match(:cjk_search))"],
            {"cjk_search": query},
            [f'search matches "{query}" (Simplified or Traditional, any length)'],
            context)

    return inner


# ---------------------------------------------------------------- row pages

async def _rows(db, sql: str, params=()) -> list[dict]:
    return [dict(r) for r in (await db.execute(sql, params)).rows]


async def lender_context(db, lender_id: int) -> dict:
    months = await _rows(db, "SELECT month, stories FROM lender_months WHERE lender_id = ? ORDER BY month",
                         [lender_id])
    tactics = await _rows(db, "SELECT tactic_code, name_zh, name_en, stories FROM lender_tactics "
                              "WHERE lender_id = ? ORDER BY stories DESC, tactic_code", [lender_id])
    evidence = await _rows(db, """
        SELECT pt.tactic_code, pt.evidence, p.id AS post_id, p.title
        FROM post_lenders pl JOIN post_tactics pt ON pt.post_id = pl.post_id
        JOIN posts p ON p.id = pl.post_id
        WHERE pl.lender_id = ? AND pl.role = 'subject'
        ORDER BY p.published_at DESC, p.id DESC LIMIT 500""", [lender_id])
    for tactic in tactics:
        tactic["evidence"] = [e for e in evidence if e["tactic_code"] == tactic["tactic_code"]][
            :EVIDENCE_PER_TACTIC]
    posts = await _rows(db, """
        SELECT p.id, p.title, p.published_at, p.source, p.tactic_codes, pl.role
        FROM post_lenders pl JOIN posts p ON p.id = pl.post_id WHERE pl.lender_id = ?
        ORDER BY pl.role = 'subject' DESC, p.published_at DESC, p.id DESC LIMIT ?""",
                        [lender_id, POSTS_PER_LENDER_PAGE])
    aliases = [r["alias"] for r in await _rows(
        db, "SELECT alias FROM lender_aliases WHERE lender_id = ? ORDER BY alias", [lender_id])]
    return {
        "chart": Markup(charts.monthly_bars_svg({m["month"]: m["stories"] for m in months})),
        "months": months, "tactics": tactics, "posts": posts, "aliases": aliases,
    }


async def post_context(db, post_id: int) -> dict:
    lenders = await _rows(db, """
        SELECT l.id, l.name, l.known, pl.role, pl.surface FROM post_lenders pl
        JOIN lenders l ON l.id = pl.lender_id WHERE pl.post_id = ?
        ORDER BY pl.role = 'subject' DESC, l.name""", [post_id])
    tactics = await _rows(db, """
        SELECT pt.tactic_code, t.name_zh, t.name_en, pt.evidence FROM post_tactics pt
        JOIN tactics t ON t.code = pt.tactic_code WHERE pt.post_id = ? ORDER BY pt.tactic_code""", [post_id])
    urls = [r["url"] for r in await _rows(db, "SELECT url FROM post_urls WHERE post_id = ? ORDER BY url",
                                          [post_id])]
    post = (await _rows(db, "SELECT url, archive_url, story_id FROM posts WHERE id = ?", [post_id]) or [{}])[0]
    snapshot = await _rows(db, "SELECT id, fetched_at FROM snapshots WHERE post_id = ? "
                               "ORDER BY fetched_at DESC LIMIT 1", [post_id])
    copies = await _rows(db, "SELECT id, title, url FROM posts WHERE story_id = ? AND id != ? ORDER BY id",
                         [post.get("story_id"), post_id])
    return {"lenders": lenders, "tactics": tactics, "urls": urls, "post": post,
            "snapshot": snapshot[0] if snapshot else None, "copies": copies}


@hookimpl
def extra_template_vars(view_name, table, database, request, datasette):
    if view_name != "row" or table not in ("lenders", "posts") or request is None:
        return {}

    async def inner():
        if not await _has_search_index(datasette, database):   # not the public DB
            return {}
        pks = urlsafe_components(request.url_vars["pks"])
        if len(pks) != 1 or not pks[0].isdigit():
            return {}
        db = datasette.get_database(database)
        if table == "lenders":
            return {"lender_page": await lender_context(db, int(pks[0]))}
        return {"post_page": await post_context(db, int(pks[0]))}

    return inner


# ---------------------------------------------------------------- /-/charts

async def charts_context(db) -> dict:
    top = await _rows(db, "SELECT id, name, stories FROM lenders WHERE stories > 0 "
                          "ORDER BY stories DESC, name LIMIT ?", [CHART_LENDERS])
    trends = []
    for lender in top:
        months = await _rows(db, "SELECT month, stories FROM lender_months WHERE lender_id = ?", [lender["id"]])
        trends.append({**lender, "chart": Markup(charts.monthly_bars_svg(
            {m["month"]: m["stories"] for m in months}, width=460, height=120))})
    cells = await _rows(db, "SELECT lender_id, tactic_code, stories FROM lender_tactics")
    tactics = await _rows(db, "SELECT code, name_zh, name_en FROM tactics ORDER BY code")
    used = sorted({c["tactic_code"] for c in cells})
    lenders = await _rows(db, """SELECT l.id, l.name, l.stories FROM lenders l
        WHERE l.id IN (SELECT lender_id FROM lender_tactics) ORDER BY l.stories DESC, l.name LIMIT 40""")
    grid = {(c["lender_id"], c["tactic_code"]): c["stories"] for c in cells}
    top_cell = max(grid.values(), default=0)
    matrix = [{"lender": l, "cells": [{"code": code, "stories": grid.get((l["id"], code), 0),
                                       "style": charts.heat_style(grid.get((l["id"], code), 0), top_cell)}
                                      for code in used]} for l in lenders]
    return {"trends": trends, "matrix": matrix,
            "tactic_columns": [t for t in tactics if t["code"] in used]}


async def charts_view(datasette, request):
    names = [name for name in datasette.databases if name != "_internal"]
    chosen = request.args.get("db")
    for name in ([chosen] if chosen else names):
        if name in datasette.databases and await _has_search_index(datasette, name):
            context = await charts_context(datasette.get_database(name))
            context["database"] = name
            return Response.html(await datasette.render_template(
                "cuishou_charts.html", context, request=request, view_name="cuishou_charts"))
    return Response.html("<p>No Cuishou Watch public database is being served.</p>", status=404)


@hookimpl
def register_routes():
    return [(r"^/-/charts$", charts_view)]


# ---------------------------------------------------------------- links in query results

LINKED = {"post_id": ("posts", "post_id"), "title": ("posts", "post_id"),
          "lender_id": ("lenders", "lender_id"), "lender": ("lenders", "lender_id")}


@hookimpl
def render_cell(row, value, column, table, database, datasette):
    """Canned queries and aggregate tables: link posts and lenders to their pages."""
    if table not in (None, "lender_months", "lender_tactics") or column not in LINKED or value is None:
        return None
    target, key = LINKED[column]
    keys = row.keys() if hasattr(row, "keys") else []
    if key not in keys or row[key] is None:
        return None
    href = datasette.urls.row(database, target, str(row[key]))
    return Markup(f'<a href="{escape(href)}">{escape(str(value))}</a>')


@hookimpl
def menu_links(datasette):
    return [{"href": datasette.urls.path("/-/charts"), "label": "图表 Charts"}]


@hookimpl
def canned_queries(datasette, database):
    """metadata.yml keys its canned queries (`search` …) by the database name `public`.
    Served under another file name (e.g. `datasette other.db -m db/metadata.yml`), the
    same public database still gets them, so `/<name>/search?q=` works too."""
    if database == DATABASE_NAME or DATABASE_NAME in datasette.databases:
        return None
    queries = datasette.metadata("queries", database=DATABASE_NAME, fallback=False)
    return dict(queries) if queries else None
