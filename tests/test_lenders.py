import pytest

from pipelines.lenders import Registry, discover, find_lenders, clean_target
from pipelines.normalize import normalize_post
from tests.conftest import SAMPLES


def roles(result):
    return {(l.name, l.role, l.known) for l in result.lenders}


def test_longest_registry_name_wins():
    result = find_lenders("催收太狠", "我在有钱花金融借了一万,有钱花金融的催收天天打电话")
    assert roles(result) == {("有钱花", "subject", True)}


def test_everyday_phrase_is_not_a_lender():
    result = find_lenders("月底了", "这个月又没有钱花了,只好省着点")
    assert result.lenders == []


def test_traditional_and_masked_forms_match():
    assert roles(find_lenders(*_norm("眾信金融瘋狂催收", "眾信金融的催收"))) == {("众信金融", "subject", True)}
    assert roles(find_lenders("分*乐逾期", "催收每天打电话")) == {("分期乐", "subject", True)}


def test_spaces_inside_a_brand_still_match():
    assert {l.name for l in find_lenders("催收", "我在安 逸 花借的钱").lenders} == {"安逸花"}


def test_next_article_link_is_mentioned_never_subject():
    lines = (SAMPLES / "zhongxin-fengkuang-cuishou.txt").read_text(encoding="utf-8").splitlines()
    post = normalize_post(lines[0], "\n".join(lines[1:]))
    result = find_lenders(post.title, post.body, post.chrome)
    assert ("众信金融", "subject", True) in roles(result)
    assert ("京东金条", "mentioned", True) in roles(result)


def test_unknown_lender_in_title_is_discovered():
    result = find_lenders("金狐贷暴力催收,半夜打电话辱骂", "借了两千,到手一千四")
    assert roles(result) == {("金狐贷", "subject", False)}


def test_unknown_lender_in_body_needs_collection_context():
    assert roles(find_lenders("求助", "我在速融贷借款后,速融贷催收天天骚扰")) == {("速融贷", "subject", False)}
    assert find_lenders("求助", "听说速融贷放款很快").lenders == []


@pytest.mark.parametrize("title", ["714网贷死灰复燃", "高利贷害人", "套路贷暴力催收", "网贷催收"])
def test_kinds_of_loan_are_not_discovered_as_brands(title):
    assert discover(title) == []


def test_platform_target_is_the_strongest_signal():
    result = find_lenders("催收骚扰", "他们打电话给我家人", target="马上消费金融股份有限公司")
    assert ("马上消费金融", "subject", True) in roles(result)


def test_unknown_platform_target_becomes_a_discovered_subject():
    result = find_lenders("利息太高", "要求减免", target="功夫贷")
    assert roles(result) == {("功夫贷", "subject", False)}
    assert clean_target("某某科技有限公司") == "某某科技"


def test_registry_can_drop_lenders():
    registry = Registry.from_csv(drop={"极融借款"})
    assert "极融借款" not in registry.lenders
    result = find_lenders("极融借款催收态度恶劣", "极融借款的催收", registry=registry)
    assert roles(result) == {("极融借款", "subject", False)}


def _norm(title, body):
    post = normalize_post(title, body)
    return post.title, post.body, post.chrome


def test_lender_and_collector_are_both_kept():
    result = find_lenders("从安逸花借款后被永雄集团催收", "永雄集团的人天天打电话")
    assert [(l.name, l.role) for l in result.subjects] == [("安逸花", "subject"), ("永雄集团", "subject")]
    result = find_lenders("催收太狠", "我在拍拍贷借的钱,后来被北极资产管理有限公司暴力催收,爆通讯录")
    names = [(l.name, l.role, l.known, l.kind) for l in result.lenders]
    assert names[0] == ("拍拍贷", "subject", True, "p2p")
    assert ("北极资产管理", "subject", False, "collection_agency") in names


@pytest.mark.parametrize("title", ["借了三万逾期半年,催收天天打电话", "两千借款逾期催收", "三期借款暴力催收"])
def test_amounts_are_not_discovered_as_brands(title):
    assert discover(title, title=True) == []


def test_short_first_item_of_a_title_list_is_discovered():
    registry = Registry.from_csv(drop={"钱站"})
    result = find_lenders("钱站,爱钱进,高利贷,阴阳合同", "在钱站借款一万,合同金额一万三", registry=registry)
    assert [(l.name, l.role, l.known) for l in result.subjects][:1] == [("钱站", "subject", False)]
    assert find_lenders("涉黑,敲诈", "借款一万,被威胁", registry=registry).lenders == []   # not named again
    assert find_lenders("求助,催收太狠", "借款一万").lenders == []       # an everyday word, not a brand
    assert find_lenders("利息太高,要求减免", "借款一万").lenders == []
