"""What each stage makes of one saved page.

    python -m pipelines.explain PATH [--url URL] [--stages]

PATH is a saved HTML page (any encoding, declared or not) or a plain-text page
(first line the title, as in ../shared/samples/). Prints one JSON object; with
--stages also what each stage produced. Bad input: exit code 2, one line on stderr.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from pipelines import lenders, normalize, redact, tactics
from pipelines.process import process_item
from pipelines.validate import InvalidItem
from scraper import extract

LOOKS_LIKE_HTML = re.compile(r"<\s*(html|body|head|div|p|h1|article|meta|title)\b", re.I)


def item_from_text(text: str, url: str, source: str = "explain") -> dict:
    """A saved page's text -> the item a spider would have yielded."""
    if LOOKS_LIKE_HTML.search(text[:5000]):
        page = extract.extract_page(text, url)
        return {"url": url, "source": source, "title": page.title, "body": page.body,
                "published_at": page.published_at, "chrome": page.chrome}
    lines = [l for l in text.splitlines() if l.strip()]
    if not lines:
        raise InvalidItem("read", "the file holds no text")
    title, body = lines[0].strip(), "\n".join(lines[1:])
    return {"url": url, "source": source, "title": title, "body": body,
            "published_at": extract.date_from_text(body[:2000]), "chrome": []}


def explain(path: Path, url: str | None = None, stages: bool = False) -> dict:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InvalidItem("read", "no such file")
    except IsADirectoryError:
        raise InvalidItem("read", "is a directory, not a file")
    except OSError as exc:
        raise InvalidItem("read", exc.strerror or str(exc))
    try:
        text, encoding = normalize.decode_bytes(data)
    except normalize.DecodeError as exc:
        raise InvalidItem("decode", str(exc))
    if "\x00" in text:
        raise InvalidItem("decode", "binary file, not a page")
    url = url or path.resolve().as_uri()
    item_url = url if url.startswith(("http://", "https://")) else "http://localhost/" + path.name
    item = item_from_text(text, item_url)
    post = process_item(item)
    result = post.summary()
    result["url"] = url
    if stages:
        norm = normalize.normalize_post(item["title"], item["body"])
        result["stages"] = {
            "decode": {"encoding": encoding, "chars": len(text)},
            "normalize": {"title": norm.title, "chrome": norm.chrome},
            "redact": {"masked": len(redact.find_pii(norm.body)) + len(redact.find_pii(norm.title))},
            "lenders": [l.__dict__ for l in post.lenders],
            "tactics": [t.__dict__ for t in post.tactics],
        }
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipelines.explain", description=__doc__.split("\n\n")[0])
    parser.add_argument("path", type=Path, help="saved page: HTML (any encoding) or text")
    parser.add_argument("--url", help="the page's URL (default: the file's path)")
    parser.add_argument("--stages", action="store_true", help="also print what each stage produced")
    args = parser.parse_args(argv)
    try:
        result = explain(args.path, args.url, args.stages)
    except InvalidItem as exc:
        print(f"error: {args.path}: {exc.reason}", file=sys.stderr)
        return 2
    json.dump(result, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
