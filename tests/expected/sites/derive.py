"""Derive each corpus's published URLs from its raw files and its generator's documented rules.

Independent of digest's code on purpose (the standard library and PyYAML only):
``tests/test_sites.py`` compares digest's URLs with what this wrote. Run it only
to regenerate the JSON beside it, and review the diff:

    DIGEST_SHARED=../shared python tests/expected/sites/derive.py
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import tomllib
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

CORPORA = Path(os.environ.get("DIGEST_SHARED", "../shared")) / "corpora"
HERE = Path(__file__).parent
# libyaml, like Jekyll's and python-frontmatter's readers: it accepts trailing tabs.
LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
STAMP = re.compile(
    r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?(?:\s+\d{4})?"
    r"\s*(?:([+-])(\d{1,2}):?(\d{2})?|Z)?\s*$"
)


def front(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    if text.startswith("+++"):
        return tomllib.loads(text.split("+++", 2)[1])
    return yaml.load(text.split("---", 2)[1], Loader=LOADER) or {}  # a safe loader


def day_in(value: object, zone: ZoneInfo) -> dt.date:
    """A front-matter date's calendar day in the site's zone (Jekyll: ``Time#localtime``)."""
    if isinstance(value, dt.datetime):
        return (value.astimezone(zone) if value.tzinfo else value).date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    match = STAMP.match(text)
    assert match, text
    y, mo, d, hour, minute, second, sign, oh, om = match.groups()
    naive = dt.datetime(int(y), int(mo), int(d), int(hour or 0), int(minute or 0), int(second or 0))
    if sign:
        offset = dt.timedelta(hours=int(oh), minutes=int(om or 0)) * (1 if sign == "+" else -1)
        return naive.replace(tzinfo=dt.timezone(offset)).astimezone(zone).date()
    if text.endswith("Z"):
        return naive.replace(tzinfo=dt.UTC).astimezone(zone).date()
    return naive.date()


def jekyll() -> dict[str, str]:
    """jekyllrb.com/docs/permalinks: ``/news/:year/:month/:day/:title/`` (the docs site's
    _config.yml), the date in America/Los_Angeles, ``:title`` the name after the date."""
    zone, urls = ZoneInfo("America/Los_Angeles"), {}
    for path in sorted((CORPORA / "jekyll/posts").iterdir()):
        match = re.match(r"(\d{4})-(\d{2})-(\d{2})-(.*)\.(?:markdown|md)$", path.name)
        assert match, path
        meta = front(path)
        day = (
            day_in(meta["date"], zone) if "date" in meta else dt.date(*map(int, match.groups()[:3]))
        )
        urls[path.name] = f"https://jekyllrb.com/news/{day:%Y/%m/%d}/{match.group(4)}/"
    return urls


def zola() -> dict[str, str]:
    """getzola.org/documentation/content/page: ``base_url`` + ``/`` + the ``path`` field + ``/``."""
    root, urls = CORPORA / "rust-blog/posts", {}
    for path in root.rglob("*.md"):
        if path.name != "_index.md":
            rel = path.relative_to(root).as_posix()
            urls[rel] = "https://blog.rust-lang.org/" + front(path)["path"].strip("/") + "/"
    return urls


def mkdocs() -> dict[str, str]:
    """The blog plugin: site_url + blog_dir (``articles``) + ``{date:yyyy/MM/dd}/{slug}/``;
    ``slug`` as the post writes it (every post here has one)."""
    urls = {}
    for path in sorted((CORPORA / "nhs-datascience/posts").glob("*.md")):
        meta = front(path)
        day = meta["date"]["created"] if isinstance(meta["date"], dict) else meta["date"]
        urls[path.name] = (
            f"https://nhsengland.github.io/datascience/articles/{day:%Y/%m/%d}/{meta['slug']}/"
        )
    return urls


def eleventy() -> dict[str, str]:
    """18F's posts.11tydata.js: ``/<page.date YYYY/MM/DD>/<page.fileSlug>/``; fileSlug drops a
    ``YYYY-MM-DD-`` prefix (a bundle's folder name for index.md); page.date is ``date``, else
    the file name's."""
    root, zone, urls = CORPORA / "18f/posts", ZoneInfo("America/New_York"), {}
    for path in root.rglob("*.md"):
        stem = path.parent.name if path.name == "index.md" else path.stem
        match = re.match(r"(\d{4})-(\d{2})-(\d{2})-(.*)$", stem)
        slug = match.group(4) if match else stem
        meta = front(path)
        if meta.get("date"):
            day = day_in(meta["date"], zone)
        else:
            assert match, path
            day = dt.date(*map(int, match.groups()[:3]))
        urls[path.relative_to(root).as_posix()] = f"https://18f.gsa.gov/{day:%Y/%m/%d}/{slug}/"
    return urls


def main() -> None:
    for name, derive in (
        ("jekyll", jekyll),
        ("rust-blog", zola),
        ("nhs-datascience", mkdocs),
        ("18f", eleventy),
    ):
        urls = derive()
        text = json.dumps(urls, indent=1, ensure_ascii=False, sort_keys=True) + "\n"
        (HERE / f"{name}.json").write_text(text, encoding="utf-8")
        print(f"{name}: {len(urls)} URLs")


if __name__ == "__main__":
    main()
