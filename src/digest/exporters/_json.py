"""Payload files: stable, readable JSON (sorted keys are not used: field order is the API's)."""

from __future__ import annotations

import json
from typing import Any


def payload_bytes(data: Any) -> bytes:
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
