"""Serve the public database with Datasette, with the project's metadata, plugins and templates.

    .venv/bin/python -m db.serve [--db data/public.db] [--port 8001] [--host 127.0.0.1]

This is the one place that knows the Datasette command line; `make serve`,
`make demo` and the browser test use it. The equivalent shell command is printed
on start. The file must be called public.db: metadata.yml is keyed by that name.
"""
from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB_DIR = ROOT / "db"
METADATA = DB_DIR / "metadata.yml"
PLUGINS = DB_DIR / "plugins"
TEMPLATES = DB_DIR / "templates"
DATABASE_NAME = "public"

# Datasette settings for a read-only public site. The search is built to answer
# in well under 100 ms; facets and counts on a million posts need more than the
# default 1 s limit, and facet suggestions are costly at that size.
SETTINGS = {"sql_time_limit_ms": "3000", "facet_time_limit_ms": "500", "suggest_facets": "off",
            "default_cache_ttl": "60"}


def datasette_args(db: Path, port: int = 8001, host: str = "127.0.0.1") -> list[str]:
    """Arguments after `datasette`: serve `db` with metadata, plugins and templates."""
    args = ["serve", str(db), "-m", str(METADATA), "--plugins-dir", str(PLUGINS),
            "--template-dir", str(TEMPLATES), "--host", host, "--port", str(port)]
    for name, value in SETTINGS.items():
        args += ["--setting", name, value]
    return args


def datasette_command(db: Path, port: int = 8001, host: str = "127.0.0.1") -> list[str]:
    """The whole command, runnable with subprocess (the venv's datasette script)."""
    return [str(Path(sys.executable).parent / "datasette"), *datasette_args(db, port, host)]


def check_database(db: Path) -> str | None:
    """Why `db` cannot be served, or None."""
    if not db.is_file():
        return f"{db}: no such file (build it: python -m db.publish --db data/cuishou.db --out {db})"
    if db.stem != DATABASE_NAME:
        return f"{db}: the public database must be named {DATABASE_NAME}.db (db/metadata.yml is keyed by it)"
    return None


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, default=ROOT / "data" / "public.db")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args(argv)
    problem = check_database(args.db)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    print("serve: " + shlex.join(["datasette", *datasette_args(args.db, args.port, args.host)[1:]]), flush=True)
    print(f"serve: http://{args.host}:{args.port}/  (charts: /-/charts, search: /{DATABASE_NAME}/search)",
          flush=True)
    from datasette.cli import cli

    # In this process (no child to orphan); Click exits with Datasette's status.
    return cli.main(args=datasette_args(args.db, args.port, args.host), prog_name="datasette")


if __name__ == "__main__":
    sys.exit(main())
