"""``check --site URL``: credentials in the sitemap's address never reach a finding."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from digest.checks.model import PostRef
from digest.checks.site import site_findings
from tests.feedserver import redirect, serving, static, status

BASE = "https://site.example/"
SITEMAP = (
    b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
    b"<url><loc>https://site.example/a/</loc></url></urlset>"
)


@pytest.mark.parametrize("route", ["missing", "ok", "file"])
def test_site_address_secrets_stay_out_of_findings(route: str) -> None:
    routes = {
        "/missing.xml": status(404),
        "/ok.xml": static(SITEMAP, "application/xml"),
        "/file.xml": redirect("file:///etc/passwd"),
    }
    with serving(routes) as server:
        url = server.url(f"/{route}.xml").replace("http://", "http://editor:pw%40SEKRIT1@")
        url += "?token=SEKRIT2"
        findings = site_findings([PostRef(title="B", url=f"{BASE}b/")], url, BASE)
    assert findings
    text = " ".join(f.message + " " + (f.where or "") for f in findings)
    for secret in ("SEKRIT1", "SEKRIT2", "pw@", quote("pw@")):
        assert secret not in text, text
    assert "token=***" in text
