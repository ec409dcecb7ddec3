import pytest

from pipelines.dedup import canonical_url


@pytest.mark.parametrize("url,expected", [
    ("http://Demo.local/a/1.html?from=index#top", "http://demo.local/a/1.html"),
    ("https://x.cn/a?utm_source=tag&utm_medium=list&id=3", "https://x.cn/a?id=3"),
    ("https://x.cn/a?b=2&a=1", "https://x.cn/a?a=1&b=2"),
    ("https://tousu.sina.com.cn/complaint/view/17347424602/?sld=abc", "https://tousu.sina.com.cn/complaint/view/17347424602/"),
])
def test_canonical_url(url, expected):
    assert canonical_url(url) == expected
