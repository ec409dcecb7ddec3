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


def test_threat_of_an_action_is_a_threat_not_the_action():
    assert codes("", "催收威胁我要上门。") == {"T06"}
    assert codes("", "催收说要骚扰我家人。") == {"T06"}
    assert codes("", "他们还说去我家找我奶奶。") == set()
    assert codes("", "前几天两个自称外访专员的人真的上门了。") == {"T11"}


def test_writers_own_police_report_is_not_impersonation():
    assert "T08" not in codes("", "我已经报案,已报备公安局。")
    assert "T08" in codes("", "对方自称是公安局经侦大队的警官。")


def test_affirming_words_are_not_negations():
    assert "T03" in codes("", "未经同意私爆通讯录。")
    assert "T01" in codes("", "无限骚扰,一天几十个电话。")
