import pytest

from pipelines.redact import find_pii, redact


@pytest.mark.parametrize("text,secret", [
    ("催收打我电话13812345678", "13812345678"),
    ("手机 +86 139 1234 5678 一直响", "139 1234 5678"),
    ("身份证110101199003071234被念出来", "110101199003071234"),
    ("身份证号11010119900307123X", "11010119900307123X"),
    ("还款卡6222021234567890123", "6222021234567890123"),
    ("卡号 6222 0212 3456 7890", "6222 0212 3456 7890"),
    ("加QQ:123456789 联系", "123456789"),
    ("扣扣号 87654321", "87654321"),
    ("邮箱 zhangsan_demo@163.com", "zhangsan_demo@163.com"),
    ("联系方式:15070879527 3590931873@qq.com", "3590931873"),
    ("座机 010-12345678 打来", "12345678"),
])
def test_personal_data_is_masked(text, secret):
    masked = redact(text)
    assert secret not in masked
    assert find_pii(masked) == []
    assert find_pii(text)


@pytest.mark.parametrize("text", [
    "借了31000,分24期,要还47749.54元",
    "2019年2月7日借款,20190207到期",
    "订单号 2019-06-02 17:23:52",
    "年化利率36%,逾期一天利息45元",
])
def test_amounts_dates_and_rates_are_left_alone(text):
    assert redact(text) == text
    assert find_pii(text) == []


def test_masking_keeps_enough_to_read():
    assert redact("电话13812345678") == "电话138****5678"
    assert redact(None) is None and redact("") == ""
