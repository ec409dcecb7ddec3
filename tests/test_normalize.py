import pytest

from pipelines import normalize
from tests.conftest import DEMO_SITE, SAMPLES


@pytest.mark.parametrize("rule", normalize.load_rules(), ids=lambda r: r.name)
def test_every_rule_has_a_real_example_that_holds(rule):
    example = rule.example
    assert example, f"rule {rule.name} has no example"
    if rule.kind == "inline":
        assert normalize.strip_pinyin(example["input"]) == example["output"]
    elif rule.kind == "drop_line":
        assert normalize.boilerplate_rule(normalize.normalize_line(example["input"])) is rule
    else:  # keep: normalization leaves the censored gap as it is
        assert normalize.normalize_line(example["input"]) == example["output"]


def test_pinyin_is_stripped_before_conversion():
    assert normalize.normalize_line("極融借款催收態(tài)度惡劣") == "极融借款催收态度恶劣"


def test_latin_in_parentheses_is_not_taken_for_pinyin():
    assert normalize.normalize_line("下载(APP)后借款(ok)") == "下载(APP)后借款(ok)"


def test_censored_gaps_are_kept():
    # 電話 deleted: the gap stays; 問題 lost its 題: not repaired; 糾紛 -> *** kept
    line = normalize.normalize_line("包括 催收、短信催收,催收問也逐漸浮出水面,法律***")
    assert line == "包括 催收、短信催收,催收问也逐渐浮出水面,法律***"


def test_sample_body_loses_boilerplate_and_keeps_content():
    lines = (SAMPLES / "jirong-cuishou-taidu.txt").read_text(encoding="utf-8").splitlines()
    post = normalize.normalize_post(lines[0], "\n".join(lines[1:]))
    assert post.title == "极融借款催收态度恶劣"
    assert "小编导语" not in post.body and "小编总结" not in post.body
    assert "责任编辑" not in post.body and "15070879527" not in post.body
    assert "内容侵权" in " ".join(post.chrome)
    assert "催收态度的表现" in post.body
    assert "(" not in post.body.replace("(tm)", "")


def test_next_link_goes_to_chrome():
    lines = (SAMPLES / "zhongxin-fengkuang-cuishou.txt").read_text(encoding="utf-8").splitlines()
    post = normalize.normalize_post(lines[0], "\n".join(lines[1:]))
    assert post.chrome[-1] == "下一篇:京东金条贷款怎样借"
    assert "京东金条" not in post.body


@pytest.mark.parametrize("page,encoding", [
    ("a/1001.html", "utf-8"),        # declared utf-8
    ("a/1002.html", "big5hkscs"),    # Big5, undeclared
    ("a/1003.html", "gb18030"),      # GBK, declared in http-equiv
    ("a/1004.html", "gb18030"),      # GB18030, undeclared
    ("a/1008.html", "big5hkscs"),    # Big5, declared
    ("a/1009.html", "utf-8"),        # truncated inside a character
])
def test_decodes_every_demo_encoding(page, encoding):
    text, found = normalize.decode_bytes((DEMO_SITE / page).read_bytes())
    assert found == encoding
    assert "催收" in normalize.to_simplified(text)


def test_header_declaration_wins_over_detection():
    data = "催收态度恶劣".encode("gbk")
    assert normalize.decode_bytes(data, "text/html; charset=GBK") == ("催收态度恶劣", "gb18030")


def test_a_wrong_declaration_is_not_trusted():
    data = "<meta charset='utf-8'><p>催收态度恶劣，上门催收</p>".encode("gbk")
    text, enc = normalize.decode_bytes(data)
    assert enc == "gb18030" and "上门催收" in text


def test_empty_bytes_are_an_error():
    with pytest.raises(normalize.DecodeError):
        normalize.decode_bytes(b"")


def test_content_hash_ignores_spacing_and_punctuation():
    assert normalize.content_hash("催收, 态度 恶劣。") == normalize.content_hash("催收态度恶劣")
    assert normalize.content_hash("催收态度恶劣") != normalize.content_hash("催收态度很好")
