"""Every exporter's output for the sample digest, byte for byte (regenerate: --update-golden).

The files hold no secrets (credentials come from the environment only at push
time) and no clock: the .eml Date is the issue day at ``[email] send_time``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from digest.delivery import export
from digest.exporters import BUILTINS

from .exporthelp import build_project


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, bytes]]:
    config, dist = build_project(tmp_path_factory.mktemp("golden-exports"))
    return {
        result.name: {path.relative_to(dist).as_posix(): path.read_bytes() for path in result.files}
        for result in export(config, dist, sorted(BUILTINS))
    }


@pytest.mark.parametrize("name", sorted(BUILTINS))
def test_exporter_output_matches_its_golden_file(
    name: str, exported: dict[str, dict[str, bytes]], golden
) -> None:
    files = exported[name]
    assert files, f"{name} wrote nothing"
    for relative, data in sorted(files.items()):
        golden(f"export/{Path(relative).name}", data.decode("utf-8"))
