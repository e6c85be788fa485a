"""Build the sample digest in other languages, for the README and for review.

    python scripts/build_samples.py [OUT] [LANG ...]   # default: dist/samples, fr and ar

Builds the repository's sample (``digest.toml`` and ``posts/``) for the week to
2026-11-26 once per language, into ``OUT/<lang>/`` (digest.html, digest.txt,
digest.json), with ``[site] language`` set to the language and the sample's
English subject, intro and section name for unmatched posts replaced by the
built-in ones, so that every word digest writes itself is translated. (The
posts and the section titles in digest.toml stay as their authors wrote them.)
The same as ``digest build --until 2026-11-26`` with ``language = "fr"`` in
``[site]`` and no ``subject``/``intro`` in ``[digest]``.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from digest.config import DEFAULT_OTHER_SECTION, DEFAULT_SUBJECT, load_config  # noqa: E402
from digest.output import write_build  # noqa: E402
from digest.pipeline import build  # noqa: E402

SAMPLE_UNTIL = date(2026, 11, 26)


def build_sample(language: str, out: Path) -> Path:
    """The sample digest in ``language``, written to ``out``; returns the HTML file."""
    config = load_config(REPO / "digest.toml").but(
        until=SAMPLE_UNTIL,
        out_dir=out,
        language=language,
        subject=DEFAULT_SUBJECT,
        intro="",
        other_section=DEFAULT_OTHER_SECTION,
        cache_dir=None,
    )
    result = build(config, write=False)
    write_build(out, result.digest, result.rendered)
    return out / "digest.html"


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else REPO / "dist" / "samples"
    for language in argv[1:] or ["fr", "ar"]:
        html = build_sample(language, out / language)
        print(f"{language}: {html}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
