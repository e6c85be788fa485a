"""Extract digest's own words into messages.pot and merge them into every catalog.

    python scripts/extract_messages.py          # update messages.pot and each digest.po
    python scripts/extract_messages.py --check  # exit 1 if either would change

Reads what ``babel.cfg`` lists (the package's Python code and the built-in
email templates) with Babel's extractors, writes
``src/digest/locale/messages.pot``, then merges the template into each
``src/digest/locale/<lang>/LC_MESSAGES/digest.po`` (new messages arrive
untranslated, vanished ones become obsolete ``#~`` entries). The same as
``pybabel extract -F babel.cfg`` followed by ``pybabel update``, without the
creation dates that would make every run a diff.
"""

from __future__ import annotations

import argparse
import io
import sys
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po, write_po

REPO = Path(__file__).resolve().parents[1]
LOCALE = REPO / "src" / "digest" / "locale"
POT = LOCALE / "messages.pot"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2)}
# A fixed date in the header: the catalogs change only when their messages do.
_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


def extract() -> Catalog:
    """Every message in the sources babel.cfg names, with where it is used."""
    with (REPO / "babel.cfg").open(encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    template = Catalog(project="digest", domain="digest", charset="utf-8", fuzzy=False)
    template.msgid_bugs_address = ""
    template.copyright_holder = "digest developers"
    for filename, lineno, message, comments, context in extract_from_dir(
        str(REPO),
        method_map,
        options_map,
        keywords=KEYWORDS,
        comment_tags=("TRANSLATORS:",),
        strip_comment_tags=True,
    ):
        template.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return template


def as_text(catalog: Catalog, **options: bool) -> str:
    """A catalog as .po text, stable from run to run (no creation dates)."""
    catalog.creation_date = catalog.revision_date = _EPOCH
    buffer = io.BytesIO()
    # No source locations: they would change with every edit of a template.
    write_po(buffer, catalog, width=0, no_location=True, **options)
    lines = buffer.getvalue().decode("utf-8").splitlines(keepends=True)
    dated = ('"POT-Creation-Date:', '"PO-Revision-Date:', '"Generated-By:')
    return "".join(line for line in lines if not line.startswith(dated))


def merged(path: Path, template: Catalog) -> str:
    """``path``'s catalog updated from ``template``: translations kept, new ids added."""
    with path.open("rb") as handle:
        catalog = read_po(handle)
    catalog.update(template, no_fuzzy_matching=True, update_header_comment=False)
    return as_text(catalog, ignore_obsolete=True)


def _content(text: str) -> set[tuple[object, ...]]:
    """A catalog's messages as a set: what --check compares, whatever their order."""
    catalog = read_po(io.StringIO(text))
    return {
        (
            m.id if isinstance(m.id, str) else tuple(m.id),
            m.string if isinstance(m.string, str) else tuple(m.string),
            m.fuzzy,
            tuple(m.auto_comments),
        )
        for m in catalog
        if m.id
    } | {("", catalog.plural_forms, False, ())}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if stale")
    args = parser.parse_args(argv)
    template = extract()
    wanted = {POT: as_text(template)}
    for po in sorted(LOCALE.glob("*/LC_MESSAGES/digest.po")):
        wanted[po] = merged(po, template)
    stale = [p for p, text in wanted.items() if not p.exists() or p.read_text("utf-8") != text]
    if args.check:
        # Order is not content: after a merge of two branches that each added messages,
        # the catalogs are complete even if their entries are not in extraction order.
        stale = [
            p
            for p in stale
            if not p.exists() or _content(p.read_text("utf-8")) != _content(wanted[p])
        ]
        for path in stale:
            print(f"{path.relative_to(REPO)} is out of date", file=sys.stderr)
        return 1 if stale else 0
    for path in stale:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(wanted[path], encoding="utf-8")
        print(f"updated {path.relative_to(REPO)}")
    print(f"{len(template)} messages; {len(wanted) - 1} catalogs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
