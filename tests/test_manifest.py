"""The typed digest.json record: one shape for writers and readers."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest

from digest.errors import ExportError
from digest.manifest import SCHEMA, Manifest, issue_id
from digest.output import read_build
from digest.pipeline import build

from .conftest import sample_config_in


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Manifest, Path]:
    root = tmp_path_factory.mktemp("manifest")
    config = sample_config_in(root).but(until=date(2026, 11, 26))
    build(config)
    _, _, manifest = read_build(config.paths.out)
    assert manifest is not None
    return manifest, config.paths.out


def test_round_trip_is_exact(built: tuple[Manifest, Path]) -> None:
    manifest, out = built
    on_disk = json.loads((out / "digest.json").read_text())
    assert manifest.to_json() == on_disk
    assert Manifest.from_json(on_disk) == manifest
    assert manifest.schema == SCHEMA and on_disk["schema"] == SCHEMA
    assert len(manifest.posts) == on_disk["counts"]["posts"] == 8


def test_the_issue_id_has_one_rule(built: tuple[Manifest, Path]) -> None:
    manifest, _ = built
    assert manifest.issue_id == issue_id("digest", date(2026, 11, 26)) == "digest-2026-11-26"


def test_keys_a_newer_digest_adds_are_kept(built: tuple[Manifest, Path]) -> None:
    _, out = built
    data = json.loads((out / "digest.json").read_text())
    data["from_the_future"] = {"x": 1}
    again = Manifest.from_json(data)
    assert again.extra == {"from_the_future": {"x": 1}}
    assert again.to_json()["from_the_future"] == {"x": 1}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(schema=SCHEMA + 1), "written by a newer digest"),
        (lambda d: d.update(subject=3), "subject: expected text, found a number 3"),
        (lambda d: d["window"].update(until="soon"), "window.until: not an ISO date"),
        (lambda d: d.update(edition="../../x"), "edition '../../x' is not a valid name"),
        (lambda d: d["sections"][0]["posts"][0].update(date="yesterday"), "posts[0].date"),
        (lambda d: d["sections"][0]["posts"][0].update(shown="hidden"), "posts[0].shown"),
        (lambda d: d["sections"][0].update(posts={}), "sections[0].posts: expected a list"),
        (lambda d: d.update(html_sha256="abc"), "html_sha256: expected a SHA-256"),
    ],
)
def test_a_damaged_manifest_is_one_clear_error(
    built: tuple[Manifest, Path], tmp_path: Path, change, message: str
) -> None:
    _, out = built
    data = json.loads((out / "digest.json").read_text())
    change(data)
    with pytest.raises(ValueError, match=re.escape(message)):
        Manifest.from_json(data)
    copy = tmp_path / "copy"
    copy.mkdir()
    for name in ("digest.html", "digest.txt"):
        (copy / name).write_bytes((out / name).read_bytes())
    (copy / "digest.json").write_text(json.dumps(data))
    with pytest.raises(ExportError, match=r"digest\.json: not a valid digest manifest"):
        read_build(copy)
