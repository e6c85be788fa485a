"""Credentials in a feed address never reach a message, even when the address is refused
before anything is fetched (a malformed URL, a scheme that is not http(s))."""

from __future__ import annotations

import base64
from pathlib import Path
from urllib.parse import quote

import pytest
from click.testing import CliRunner

from digest.cli import main
from digest.links import redact_url

SECRET = "pSEKRIT42"


@pytest.mark.parametrize(
    "feed",
    [
        f"http://editor:{SECRET}@[::1/feed?token={SECRET}",  # urlsplit: Invalid IPv6 URL
        f"ftp://editor:{SECRET}@example.org/feed.xml",  # not http(s): refused
        f"gopher://example.org/feed?api_key={SECRET}",
    ],
)
def test_a_refused_feed_address_keeps_its_secrets(tmp_path: Path, feed: str) -> None:
    (tmp_path / "digest.toml").write_text('[site]\nurl = "https://example.org/"\n')
    result = CliRunner().invoke(
        main, ["list", "--config", str(tmp_path / "digest.toml"), "--feed", feed]
    )
    assert result.exit_code != 0
    assert "--feed" in result.output
    for form in (SECRET, quote(SECRET), base64.b64encode(SECRET.encode()).decode()):
        assert form not in result.output, result.output


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://u:p@ss@[::1/f", "http://[::1/f"),
        ("ftp://u:secret@host/f", "ftp://host/f"),
        ("weird://host/f?token=abc&x=1", "weird://host/f?token=***&x=1"),
        ("/home/a@b/feed.xml", "/home/a@b/feed.xml"),  # a path is not an address
    ],
)
def test_redact_url_copes_with_what_urlsplit_refuses(url: str, expected: str) -> None:
    assert redact_url(url) == expected
