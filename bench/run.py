"""`make bench`: the quick runs of every benchmark, each printing its own numbers.

    .venv/bin/python bench/run.py            # extraction (1 core), dedup quality + 100k scale, search at 100k
    .venv/bin/python bench/run.py --full     # also the 1M-post runs (tens of minutes, GBs of disk)

Each benchmark is its own process (they measure memory and time per process).
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(title: str, *args: str) -> int:
    print(f"\n==> {title}: {' '.join(args)}", flush=True)
    started = time.monotonic()
    code = subprocess.run([sys.executable, *args], cwd=ROOT).returncode
    print(f"    ({time.monotonic() - started:.0f}s, exit {code})", flush=True)
    return code


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--full", action="store_true", help="include the 1M-post runs")
    args = parser.parse_args(argv)
    codes = [
        run("text stages, one core (target >= 1,000 posts/s)", "bench/extract_bench.py"),
        run("duplicates: quality on the labelled corpus", "-m", "bench.dedup_bench", "quality"),
        run("whole pipeline at 100k posts", "-m", "bench.dedup_bench", "scale", "--posts", "100000"),
        run("search at 100k posts", "bench/search_bench.py", "--sizes", "100000"),
    ]
    if args.full:
        codes.append(run("whole pipeline at 1M posts", "-m", "bench.dedup_bench", "scale", "--posts", "1000000"))
        codes.append(run("search at 1M posts", "bench/search_bench.py", "--sizes", "1000000"))
    return max(codes)


if __name__ == "__main__":
    sys.exit(main())
