import pytest

from digest.links import absolute_url, is_safe_link

BASE = "https://x.example/datascience/"


@pytest.mark.parametrize(
    ("link", "expected"),
    [
        ("https://other.example/a", "https://other.example/a"),
        ("http://other.example/a?b=1#c", "http://other.example/a?b=1#c"),
        ("//cdn.example/img.png", "https://cdn.example/img.png"),
        ("/img/a.png", "https://x.example/datascience/img/a.png"),
        ("/datascience/img/a.png", "https://x.example/datascience/img/a.png"),
        ("img/a.png", "https://x.example/datascience/img/a.png"),
        ("../img/a.png", "https://x.example/img/a.png"),
        ("./a/b/", "https://x.example/datascience/a/b/"),
        ("2026/11/20/post/?q=1", "https://x.example/datascience/2026/11/20/post/?q=1"),
        ("mailto:someone@x.example", "mailto:someone@x.example"),
        ("MAILTO:someone@x.example", "MAILTO:someone@x.example"),
        ("javascript:alert(1)", None),
        ("JaVaScRiPt:alert(1)", None),
        ("data:text/html;base64,xx", None),
        ("vbscript:x", None),
        ("mailto:", None),
        ("https:///nohost", None),
        ("#section", None),
        ("", None),
    ],
)
def test_absolute_url(link: str, expected: str | None) -> None:
    assert absolute_url(link, BASE) == expected


def test_relative_links_need_a_base() -> None:
    assert absolute_url("/a/", "") is None
    assert absolute_url("https://x.example/a", "") == "https://x.example/a"


def test_plain_paths_match_the_standard_library() -> None:
    from urllib.parse import urljoin

    for link in ["a", "a/b/", "a-b_c~d/%20e.html", "2026/01/02/x/"]:
        assert absolute_url(link, BASE) == urljoin(BASE, link)


@pytest.mark.parametrize(
    ("url", "safe"),
    [
        ("https://a.example/", True),
        ("mailto:a@b.example", True),
        ("javascript:x", False),
        ("/rel", False),
        ("//a.example/", False),
    ],
)
def test_is_safe_link(url: str, safe: bool) -> None:
    assert is_safe_link(url) is safe
