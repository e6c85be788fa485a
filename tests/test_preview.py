"""digest preview: in headless Chromium (loads, switches views, follows edits, shows errors,
keeps the email sandboxed) and over raw HTTP (Host checks, quiet disconnects, headers)."""

from __future__ import annotations

import http.client
import logging
import re
import socket
import struct
import threading
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from digest.config import load_config
from digest.preview import Preview, with_scheme

from .browser import offline


def playwright() -> Any:
    return pytest.importorskip("playwright.sync_api", reason="playwright is a test dependency")


@pytest.fixture
def project(project: Path) -> Path:
    """The sample project, with an (empty) templates folder to put overrides in."""
    (project / "templates").mkdir()
    return project


@pytest.fixture
def server(project: Path) -> Iterator[Preview]:
    def make_config():
        return load_config(project / "digest.toml").but(until=date(2026, 11, 26))

    preview = Preview(make_config).start()
    yield preview
    preview.stop()


def wait_for_version(server: Preview, above: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while server.version <= above:
        assert time.monotonic() < deadline, "the preview did not rebuild"
        time.sleep(0.05)


def open_preview(browser: Any, server: Preview) -> Any:
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.route("https://**/*", offline)
    page.goto(server.url)
    return page


def test_preview_loads_the_email_at_phone_width(browser: Any, server: Preview) -> None:
    expect = playwright().expect
    page = open_preview(browser, server)
    phone = page.frame_locator("#phone")
    expect(phone.locator("h3").first).to_have_text("Saying no without closing the door")
    expect(page.locator("#summary")).to_contain_text("0 errors, 0 warnings")
    width = page.locator("#phone").evaluate("e => e.getBoundingClientRect().width")
    assert width == pytest.approx(375, abs=2)
    page.close()


def test_preview_switches_views(browser: Any, server: Preview) -> None:
    expect = playwright().expect
    page = open_preview(browser, server)
    # dark scheme: the email's own dark styles, whatever the viewer's setting
    page.get_by_role("button", name="Dark").click()
    expect(page.locator("#phone")).to_have_attribute("src", re.compile("scheme=dark"))
    phone = page.frame_locator("#phone")
    expect(phone.locator("h3").first).to_be_visible()
    background = phone.locator("body").evaluate("b => getComputedStyle(b).backgroundColor")
    assert background == "rgb(15, 20, 25)"
    page.get_by_role("button", name="Plain text").click()
    expect(page.locator("#text")).to_contain_text("Read more: https://leadingwell.example.org/")
    expect(page.locator("#view-email")).to_be_hidden()
    page.get_by_role("button", name="Checks").click()
    expect(page.locator("#findings")).to_contain_text("[size] HTML is")
    page.get_by_role("button", name="Email").click()
    expect(page.locator("#view-email")).to_be_visible()
    page.close()


POST = "2026-11-26-saying-no-without-closing-the-door.md"
TITLE = 'title: "Saying no without closing the door"'


def retitle(project: Path, title: str) -> None:
    post = project / "posts" / POST
    text = re.sub(r'^title: ".*"$', f'title: "{title}"', post.read_text(), flags=re.M)
    post.write_text(text)


def test_preview_reloads_after_an_edit(browser: Any, server: Preview, project: Path) -> None:
    expect = playwright().expect
    page = open_preview(browser, server)
    expect(page.frame_locator("#phone").locator("h3").first).to_be_visible()
    before = server.version
    retitle(project, "Saying no, kindly")
    wait_for_version(server, before)
    expect(page.frame_locator("#phone").locator("h3").first).to_have_text(
        "Saying no, kindly", timeout=10_000
    )
    page.close()


def test_preview_survives_a_template_error(browser: Any, server: Preview, project: Path) -> None:
    """A broken template shows on the page with file and line; the server stays up."""
    expect = playwright().expect
    page = open_preview(browser, server)
    before = server.version
    (project / "templates" / "digest.txt.j2").write_text("fine\n{% if %}\n")
    wait_for_version(server, before)
    expect(page.locator("#error")).to_contain_text(
        "digest.txt.j2:2: template syntax error", timeout=10_000
    )
    before = server.version
    (project / "templates" / "digest.txt.j2").unlink()
    wait_for_version(server, before)
    expect(page.locator("#error")).to_be_hidden(timeout=10_000)
    page.close()


def test_preview_catches_an_edit_made_mid_rebuild(
    server: Preview, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An edit saved while a rebuild runs (after it read the posts) is built too."""
    import digest.preview as preview_module

    real_build = preview_module.build
    edited = []

    def build_then_edit(*args: Any, **kwargs: Any) -> Any:
        result = real_build(*args, **kwargs)
        if not edited:  # the first rebuild after the first edit: a second edit lands now
            edited.append(True)
            time.sleep(0.3)
            retitle(project, "Second edit, made mid-rebuild")
        return result

    monkeypatch.setattr(preview_module, "build", build_then_edit)
    before = server.version
    retitle(project, "First edit")
    deadline = time.monotonic() + 20
    while "Second edit, made mid-rebuild" not in server.state_html():
        assert time.monotonic() < deadline, (
            f"the edit made during a rebuild never showed (version {server.version}, was {before})"
        )
        time.sleep(0.05)


def test_with_scheme_forces_the_dark_styles() -> None:
    html = "<style>@media (prefers-color-scheme: dark) { body { color: white } }</style>"
    assert "@media all {" in with_scheme(html, "dark")
    assert "@media not all {" in with_scheme(html, "light")


def test_the_email_frames_are_sandboxed(browser: Any, server: Preview) -> None:
    playwright_api = playwright()
    page = browser.new_page()
    page.route("https://**/*", offline)
    page.goto(server.url)
    for frame_id in ("phone", "desktop"):
        sandbox = page.locator(f"#{frame_id}").get_attribute("sandbox")
        assert sandbox is not None
        assert not {"allow-scripts", "allow-same-origin"} & set(sandbox.split())
    phone = page.frame_locator("#phone")
    playwright_api.expect(phone.locator("h3").first).to_be_visible()
    # the email runs in an opaque origin: it cannot reach into the preview page
    reach = phone.locator("body").evaluate(
        "() => { try { return parent.document.title } catch (e) { return e.name } }"
    )
    assert reach == "SecurityError"
    page.close()


# --- raw HTTP: what a hostile page or a careless client can send -----------------------------


def get(server: Preview, path: str = "/", host: str | list[str] | None = "default") -> Any:
    """GET ``path`` with exactly the Host headers given (None: no Host header at all)."""
    port = server._server.server_port
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.putrequest("GET", path, skip_host=True, skip_accept_encoding=True)
    hosts = [f"127.0.0.1:{port}"] if host == "default" else host
    for value in [hosts] if isinstance(hosts, str) else hosts or []:
        connection.putheader("Host", value)
    connection.endheaders()
    response = connection.getresponse()
    response.body = response.read()
    connection.close()
    return response


def test_requests_for_another_host_are_refused(server: Preview) -> None:
    port = server._server.server_port
    refused = [
        f"evil.example:{port}",
        "evil.example",
        f"localhost:{port + 1 if port < 65535 else port - 1}",
        "127.0.0.1",  # no port: not what a browser sends for this server
        f"127.0.0.2:{port}",
        f"localhost.:{port}",
        f"localhost:{port}@evil.example",
        None,  # no Host at all
        [f"localhost:{port}", f"evil.example:{port}"],  # two of them
    ]
    for host in refused:
        for path in ("/", "/status.json", "/email.html", "/email.txt"):
            response = get(server, path, host)
            assert response.status == 403, (host, path)
            assert b"forbidden" in response.body
            assert b"<" not in response.body  # nothing of the page or the email
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}", f"LocalHost:{port}"):
        assert get(server, "/status.json", host).status == 200, host


def test_security_headers(server: Preview) -> None:
    email = get(server, "/email.html")
    assert email.status == 200
    policy = email.getheader("Content-Security-Policy")
    assert "default-src 'none'" in policy and "script-src" not in policy
    assert "sandbox" in policy and "allow-scripts" not in policy
    page = get(server, "/")
    assert "script-src 'sha256-" in page.getheader("Content-Security-Policy")
    assert "frame-ancestors 'none'" in page.getheader("Content-Security-Policy")
    for path in ("/", "/email.html", "/email.txt", "/status.json", "/nothing"):
        assert get(server, path).getheader("X-Content-Type-Options") == "nosniff", path


def reset_after_request(server: Preview) -> None:
    """Send a request and drop the connection at once (a RST), before the answer arrives."""
    port = server._server.server_port
    with socket.create_connection(("127.0.0.1", port), timeout=5) as client:
        client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        client.sendall(f"GET /email.html HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())


def test_a_client_that_disconnects_leaves_no_traceback(
    server: Preview, capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="digest")
    deadline = time.monotonic() + 20
    while "went away" not in caplog.text:  # until a disconnect did land mid-answer
        assert time.monotonic() < deadline, "no disconnect reached the server"
        reset_after_request(server)
        time.sleep(0.05)
    assert get(server, "/status.json").status == 200  # and the server carries on
    err = capfd.readouterr().err
    assert "Traceback" not in err and "Exception occurred" not in err
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_a_failing_request_is_one_line_not_a_traceback(
    server: Preview,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken() -> Any:
        raise RuntimeError("a bug")

    monkeypatch.setattr(server, "_snapshot", broken)
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        get(server, "/status.json")
    err = capfd.readouterr().err
    assert "Traceback" not in err
    assert any("RuntimeError('a bug')" in r.getMessage() for r in caplog.records)


def test_a_project_folder_holding_anything_does_not_stop_the_watch(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only digest.toml, the posts and the templates are watched: a link to / beside them
    (whose unreadable corners made the watcher thread die) changes nothing."""
    (project / "rootlink").symlink_to("/")
    died: list[BaseException] = []
    monkeypatch.setattr(threading, "excepthook", lambda args: died.append(args.exc_value))
    preview = Preview(lambda: load_config(project / "digest.toml").but(until=date(2026, 11, 26)))
    preview.start()
    try:
        before = preview.version
        toml = project / "digest.toml"
        toml.write_text(toml.read_text().replace('name = "Leading Well"', 'name = "Led Well"', 1))
        wait_for_version(preview, before)
        deadline = time.monotonic() + 15
        while "Led Well" not in preview.state_html():
            assert time.monotonic() < deadline, "digest.toml edit not rebuilt"
            time.sleep(0.05)
    finally:
        preview.stop()
    assert died == []
