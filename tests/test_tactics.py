from pipelines.tactics import find_tactics, sentences


def codes(title, body):
    return {h.code for h in find_tactics(title, body)}


def test_each_tag_carries_its_sentence():
    hits = find_tactics("", "借款三个月。昨天他们爆通讯录,打给我所有同事。今天还好。")
    assert [(h.code, h.evidence) for h in hits if h.code == "T03"] == [("T03", "昨天他们爆通讯录,打给我所有同事。")]


def test_negation_and_hearsay_do_not_count():
    assert codes("", "他们倒是没有爆通讯录。") == set()
    assert codes("", "听说有人会上门。") == set()
    assert codes("", "并未上门,但是天天辱骂我。") == {"T05"}


def test_catch_all_only_without_a_specific_tactic():
    assert codes("暴力催收", "催收太狠了") == {"T15"}
    assert codes("暴力催收", "半夜打电话辱骂") == {"T02", "T05"}


def test_title_counts_as_evidence():
    hits = find_tactics("催收冒充公检法", "我很害怕")
    assert [(h.code, h.evidence) for h in hits] == [("T08", "催收冒充公检法")]


def test_sentence_split_keeps_punctuation():
    assert sentences("一。二!三\n四") == ["一。", "二!", "三", "四"]
