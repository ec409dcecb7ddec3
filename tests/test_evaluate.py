"""The evaluation command on a tiny made-up set (our own texts), and the hand labels' file."""
import json
import subprocess
import sys

from tests.conftest import ROOT, SHARED

TINY = ROOT / "tests" / "data" / "eval_tiny.jsonl"
TINY_LABELS = ROOT / "tests" / "data" / "eval_tiny_labels.jsonl"


def run(*args):
    return subprocess.run([sys.executable, "-m", "pipelines.evaluate", *map(str, args)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_report_and_predictions(tmp_path):
    out = run(TINY, "--labels", TINY_LABELS, "--drop-registry", "0.2", "--json", tmp_path / "r.json",
              "--predictions", tmp_path / "p.jsonl")
    assert out.returncode == 0, out.stderr
    assert "posts/s" in out.stdout
    report = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert report["posts"] == 4 and report["posts_per_s"] > 0
    assert report["subject"]["precision"] == 1.0 and report["subject"]["recall"] == 1.0
    assert report["subject_content_only"]["recall"] < 1.0     # t-2 names no lender in its text
    assert report["subject_content_only_answerable"]["posts"] == 1     # only t-1 names its lender in its text
    assert report["subject_content_only_answerable"]["recall"] == 1.0
    assert report["tactics"]["micro_f1"] == 1.0
    assert "dropped" in report and "subject_recall" in report["dropped"]
    preds = [json.loads(l) for l in (tmp_path / "p.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [p["id"] for p in preds] == ["t-1", "t-2", "t-3", "t-4"]
    first = preds[0]
    assert {"name": "速融贷", "role": "subject"} in first["lenders"]
    assert {t["code"] for t in first["tactics"]} == {"T01", "T03", "T05"}
    assert all(t["evidence"] for t in first["tactics"])


def test_drop_registry_is_reproducible(tmp_path):
    reports = []
    for n in (1, 2):
        assert run(TINY, "--drop-registry", "0.2", "--json", tmp_path / f"{n}.json").returncode == 0
        reports.append(json.loads((tmp_path / f"{n}.json").read_text(encoding="utf-8"))["dropped"])
    assert reports[0] == reports[1]
    assert len(reports[0]["lenders"]) >= 20


def test_missing_input_is_a_clear_error():
    out = run("nope.jsonl")
    assert out.returncode == 2 and "no such file" in out.stderr


def test_hand_labels_are_ids_and_codes_only():
    dev_ids = {json.loads(l)["id"] for l in (SHARED / "data" / "complaints_dev.jsonl").read_text(encoding="utf-8").splitlines()}
    rows = [json.loads(l) for l in (ROOT / "tests" / "data" / "tactic_labels_dev.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(rows) >= 300
    for row in rows:
        assert set(row) == {"id", "codes"} and row["id"] in dev_ids
        assert all(code in {f"T{n:02d}" for n in range(1, 16)} for code in row["codes"])
    assert sum(1 for r in rows if not r["codes"]) >= 10
