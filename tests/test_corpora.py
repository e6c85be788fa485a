"""The real public blog posts in ../shared/corpora, used exactly as they are.

Each corpus is configured the way its site is (base URL with sub-path,
permalink pattern, time zone). Expected counts, selections and URLs are
literal (``expected/corpora.json``), not derived by the tests.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from digest.config import Config, load_config
from digest.excerpts import make_excerpt
from digest.pipeline import build
from digest.sources.markdown import read_posts, with_bodies

pytestmark = pytest.mark.corpus


@dataclass(frozen=True)
class Corpus:
    name: str
    base_url: str
    permalink: str
    timezone: str
    window: tuple[date, date]
    tags_as_categories: bool = False


CORPORA = [
    Corpus(
        "18f",
        "https://18f.gsa.gov/",
        ":year/:month/:day/:slug/",
        "America/New_York",
        (date(2024, 1, 1), date(2024, 6, 30)),
        tags_as_categories=True,
    ),
    Corpus(
        "jekyll",
        "https://jekyllrb.com/news/",
        ":year/:month/:day/:title/",
        "America/Los_Angeles",
        (date(2016, 1, 1), date(2016, 12, 31)),
    ),
    Corpus(
        "nhs-datascience",
        "https://nhsengland.github.io/datascience/",
        "articles/:year/:month/:day/:slug/",
        "Europe/London",
        (date(2025, 1, 1), date(2025, 12, 31)),
    ),
    Corpus(
        "rust-blog",
        "https://blog.rust-lang.org/",
        ":slug/",
        "UTC",
        (date(2025, 1, 1), date(2025, 6, 30)),
    ),
]
IDS = [c.name for c in CORPORA]
# Files in the corpora that are genuinely unusable as posts, with the reason we expect.
KNOWN_BROKEN: dict[str, dict[str, str]] = {c.name: {} for c in CORPORA}

RESIDUE = re.compile(
    r"\{\{|\{%|%\}|\}\}|\{<|>\}|<[a-zA-Z/!]|\]\(|\]\[|\*\*|__|&[a-z]+;|&#\d+;|!\[|\[\^|\{:|^#+ "
)
# libyaml, as python-frontmatter uses: it reads trailing tabs that pure-Python PyYAML rejects.
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
CODE_SPAN = re.compile(r"(`+)(.+?)\1", re.DOTALL)


def config_for(corpus: Corpus, root: Path, tmp_path: Path) -> Config:
    return load_config(
        None,
        cwd=tmp_path,
        overrides={
            "posts_dir": root / corpus.name / "posts",
            "base_url": corpus.base_url,
            "permalink": corpus.permalink,
            "timezone": corpus.timezone,
            "tags_as_categories": corpus.tags_as_categories,
            "since": corpus.window[0],
            "until": corpus.window[1],
            "out_dir": tmp_path / "out",
        },
    )


# What each corpus holds and what each window selects, as literals. They were written
# down once and checked then against days read from the raw files with strptime and
# tomllib (front matter dates, file names, Zola paths) and against each SOURCE.txt's
# public URL pattern; a change in them is a change in behaviour to review, never a
# value a test re-derives with digest's own rules.
EXPECTED = json.loads((Path(__file__).parent / "expected" / "corpora.json").read_text())


@pytest.mark.parametrize("corpus", CORPORA, ids=IDS)
def test_loads_with_only_genuinely_broken_files_reported(
    corpus: Corpus, corpora: Path, tmp_path: Path
) -> None:
    result = read_posts(config_for(corpus, corpora, tmp_path))
    reported = {p.where: p.message for p in result.problems}
    assert set(reported) == set(KNOWN_BROKEN[corpus.name]), reported
    expected = EXPECTED[corpus.name]
    files = [
        p
        for p in (corpora / corpus.name / "posts").rglob("*")
        if p.suffix in {".md", ".markdown"} and not p.name.startswith("_")
    ]
    assert len(files) == expected["files"]
    assert (len(result.posts), len(result.drafts)) == (expected["posts"], expected["drafts"])
    assert all(p.title and p.date.tzinfo is not None for p in result.posts)


@pytest.mark.parametrize("corpus", CORPORA, ids=IDS)
def test_window_selects_exactly_the_expected_posts(
    corpus: Corpus, corpora: Path, tmp_path: Path
) -> None:
    expected = EXPECTED[corpus.name]
    assert expected["window"] == [d.isoformat() for d in corpus.window]
    result = build(config_for(corpus, corpora, tmp_path), write=False)
    selected = {e.post.source: e.post.url for e in result.digest.entries}
    assert selected == expected["selected"]


@pytest.mark.parametrize("corpus", CORPORA, ids=IDS)
def test_excerpts_carry_no_template_or_markup_residue(
    corpus: Corpus, corpora: Path, tmp_path: Path
) -> None:
    config = config_for(corpus, corpora, tmp_path)
    posts = with_bodies(read_posts(config).posts, config)
    failures = []
    for post in posts:
        excerpt = make_excerpt(post, 55, " […]")
        assert excerpt, post.source
        residue = RESIDUE.search(excerpt)
        if not residue:
            continue
        # Allowed only where the author wrote it as a code literal in backticks.
        source = (post.excerpt or "") + post.body
        literals = [m.group(2).strip() for m in CODE_SPAN.finditer(source)]
        if not any(residue.group(0) in lit and lit in excerpt for lit in literals):
            failures.append(f"{post.source}: {residue.group(0)!r} in {excerpt!r}")
    assert failures == []


@pytest.mark.parametrize("corpus", CORPORA, ids=IDS)
def test_every_link_is_absolute(corpus: Corpus, corpora: Path, tmp_path: Path) -> None:
    config = config_for(corpus, corpora, tmp_path)
    base = urlsplit(corpus.base_url)
    for post in read_posts(config).posts:
        for link in filter(None, (post.url, post.image)):
            parts = urlsplit(link)
            assert parts.scheme in {"http", "https"} and parts.netloc, (post.source, link)
        assert (
            post.url.startswith(f"{base.scheme}://{base.netloc}{base.path}")
            or base.netloc not in post.url
        )
    html = build(config, write=False).rendered.html
    for link in re.findall(r'(?:href|src)="([^"]*)"', html):
        assert urlsplit(link).scheme in {"http", "https", "mailto"}, link


def test_known_public_urls(corpora: Path, tmp_path: Path) -> None:
    """Spot checks against each SOURCE.txt's public URL pattern."""
    by_name = {c.name: c for c in CORPORA}
    checks = {
        "jekyll": (
            "2019-07-02-jekyll-3-8-6-released.markdown",
            "https://jekyllrb.com/news/2019/07/02/jekyll-3-8-6-released/",
        ),
        "18f": (
            "2024-04-03-18f-practices-in-action.md",
            "https://18f.gsa.gov/2024/04/03/18f-practices-in-action/",
        ),
        "rust-blog": ("Rust-1.88.0.md", "https://blog.rust-lang.org/2025/06/26/Rust-1.88.0/"),
        "nhs-datascience": (
            "data-linkage-is-sexy.md",
            "https://nhsengland.github.io/datascience/articles/2026/04/24/data-linkage-is-sexy/",
        ),
    }
    for name, (source, url) in checks.items():
        posts = {
            p.source: p for p in read_posts(config_for(by_name[name], corpora, tmp_path)).posts
        }
        assert posts[source].url == url


def test_parallel_load_equals_sequential(corpora: Path, tmp_path: Path) -> None:
    """Worker processes split the folder in contiguous chunks: same posts, same order."""
    config = config_for(CORPORA[0], corpora, tmp_path)
    sequential = read_posts(config, workers=1)
    parallel = read_posts(config, workers=3)
    assert parallel == sequential
    assert len(parallel.posts) == 400
