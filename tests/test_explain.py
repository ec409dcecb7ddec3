import json
import subprocess
import sys

from tests.conftest import DEMO_SITE, ROOT, SAMPLES


def explain(*args):
    return subprocess.run([sys.executable, "-m", "pipelines.explain", *map(str, args)],
                          cwd=ROOT, capture_output=True, text=True)


def test_sample_text_page():
    out = explain(SAMPLES / "jirong-cuishou-taidu.txt", "--url", "http://x.cn/a/1.html")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert set(data) >= {"url", "title", "published_at", "body", "lenders", "tactics", "content_hash"}
    assert data["url"] == "http://x.cn/a/1.html"
    assert data["title"] == "极融借款催收态度恶劣"
    assert {"name": "极融借款", "surface": "极融借款", "role": "subject", "known": True} in data["lenders"]
    assert "15070879527" not in out.stdout


def test_big5_html_page():
    data = json.loads(explain(DEMO_SITE / "a" / "1002.html").stdout)
    assert data["title"] == "众信金融疯狂催收" and data["published_at"] == "2025-08-17"
    assert [l["name"] for l in data["lenders"] if l["role"] == "subject"] == ["众信金融"]
    assert {t["code"] for t in data["tactics"]} >= {"T02", "T06"}


def test_missing_file_exits_2_with_one_line():
    out = explain("missing.html")
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == ["error: missing.html: no such file"]


def test_binary_and_empty_files_exit_2(tmp_path):
    (tmp_path / "empty.html").write_bytes(b"")
    (tmp_path / "blob.bin").write_bytes(bytes(range(256)) * 4)
    for name in ("empty.html", "blob.bin"):
        out = explain(tmp_path / name)
        assert out.returncode == 2 and len(out.stderr.strip().splitlines()) == 1, out.stderr
