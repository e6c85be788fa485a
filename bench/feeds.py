"""Benchmark: parsing feeds against the parsers alone on the same file.

Generates, under bench/.data/, a WordPress-like RSS feed of about 10 MB and a
WordPress export (WXR) of about 100 MB (posts, pages, attachments, menu items,
comments), then reports:

- ``parse_feed`` on the RSS bytes against ``feedparser.parse`` alone, with the
  options parse_feed uses (no sanitising, no link rewriting: the floor) and with
  feedparser's defaults;
- ``parse_feed_file`` on the WXR against a bare ``lxml.etree.iterparse`` that
  only walks and clears the items (the floor);
- the WXR's peak memory: the Python heap (tracemalloc) and the whole process
  (peak resident set, VmHWM, in a fresh child process, against the same child that
  only imports the modules).

Times are CPU seconds (median of the repeats). The goal is at most 2x the floor,
and memory that does not grow with the export beyond what is kept of each post.

    python bench/feeds.py                      # 10 MB RSS, 100 MB WXR, 3 repeats
    python bench/feeds.py --rss-mb 2 --wxr-mb 20 --repeat 1

Run by hand; figures go in the issue notes, never in a timed unit test.
"""

from __future__ import annotations

import argparse
import io
import random
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / ".data"
START = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
WORDS = [
    *("care", "team", "ward", "patient", "staff", "rota", "handover", "board", "data"),
    *("night", "shift", "audit", "clinic", "nurse", "doctor", "plan", "review", "budget"),
    *("service", "quality", "safety", "learning", "change", "people"),
]


def words(rng: random.Random, count: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(count))


def paragraphs(rng: random.Random, count: int) -> str:
    out = []
    for i in range(count):
        text = words(rng, rng.randint(40, 90))
        if i % 3 == 1:
            out.append(f'<p><img src="/wp-content/uploads/{i}.jpg" alt="{words(rng, 3)}"/></p>')
        out.append(f'<p>{text} <a href="https://example.org/{i}">{words(rng, 2)}</a>.</p>')
    return "\n".join(out)


def rss_item(rng: random.Random, index: int) -> str:
    when = format_datetime(START - timedelta(hours=index * 7))
    slug = f"post-{index}"
    return f"""
<item>
  <title>{words(rng, 6).title()} &#8211; part {index}</title>
  <link>https://example.org/{slug}/?utm_source=rss&amp;utm_medium=rss</link>
  <comments>https://example.org/{slug}/#respond</comments>
  <pubDate>{when}</pubDate>
  <dc:creator><![CDATA[{rng.choice(["Priya Raman", "Tom Okafor", "Hannah Lewis"])}]]></dc:creator>
  <category><![CDATA[{rng.choice(["Leadership", "Data", "Interview"])}]]></category>
  <category><![CDATA[{rng.choice(["Health", "Research"])}]]></category>
  <guid isPermaLink="false">https://example.org/?p={index}</guid>
  <description><![CDATA[{words(rng, 55)} [&#8230;]]]></description>
  <content:encoded><![CDATA[{paragraphs(rng, 8)}
<p>The post <a href="https://example.org/{slug}/">X</a> appeared first on <a href="https://example.org">Y</a>.</p>]]></content:encoded>
  <media:thumbnail url="https://example.org/wp-content/uploads/{index}-150x150.jpg"/>
</item>"""


def make_rss(megabytes: int, seed: int) -> Path:
    path = DATA / f"feed-{megabytes}mb-{seed}.xml"
    if path.is_file():
        return path
    DATA.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:media="http://search.yahoo.com/mrss/">\n<channel><title>Bench</title>'
        "<link>https://example.org/</link><description>d</description>"
    ]
    size, index = 0, 0
    while size < megabytes * 1_000_000:
        item = rss_item(rng, index)
        parts.append(item)
        size += len(item.encode())
        index += 1
    parts.append("</channel></rss>\n")
    path.write_text("".join(parts), encoding="utf-8")
    return path


def wxr_item(rng: random.Random, index: int) -> str:
    kind = rng.choices(["post", "page", "attachment", "nav_menu_item"], [6, 1, 2, 1])[0]
    status = "inherit" if kind == "attachment" else rng.choices(["publish", "draft"], [9, 1])[0]
    when = START - timedelta(hours=index * 3)
    comments = "".join(
        f"""<wp:comment><wp:comment_id>{index * 10 + c}</wp:comment_id>
<wp:comment_author><![CDATA[Reader]]></wp:comment_author>
<wp:comment_content><![CDATA[{words(rng, 40)}]]></wp:comment_content></wp:comment>"""
        for c in range(rng.randint(0, 3))
    )
    attachment = (
        f"<wp:attachment_url>https://example.org/uploads/{index}.jpg</wp:attachment_url>"
        if kind == "attachment"
        else ""
    )
    return f"""
<item>
  <title>{words(rng, 6).title()} {index}</title>
  <link>https://example.org/?p={index}</link>
  <pubDate>{format_datetime(when)}</pubDate>
  <dc:creator><![CDATA[admin]]></dc:creator>
  <guid isPermaLink="false">https://example.org/?p={index}</guid>
  <description></description>
  <content:encoded><![CDATA[<!-- wp:paragraph -->
{paragraphs(rng, 10)}
<!-- /wp:paragraph -->]]></content:encoded>
  <excerpt:encoded><![CDATA[]]></excerpt:encoded>
  <wp:post_id>{index}</wp:post_id>
  <wp:post_date><![CDATA[{when:%Y-%m-%d %H:%M:%S}]]></wp:post_date>
  <wp:post_date_gmt><![CDATA[{when:%Y-%m-%d %H:%M:%S}]]></wp:post_date_gmt>
  <wp:status><![CDATA[{status}]]></wp:status>
  <wp:post_type><![CDATA[{kind}]]></wp:post_type>
  <wp:post_password><![CDATA[]]></wp:post_password>
  <category domain="category" nicename="news"><![CDATA[News]]></category>
  <category domain="post_tag" nicename="t{index % 50}"><![CDATA[Tag {index % 50}]]></category>
  {attachment}
  <wp:postmeta><wp:meta_key><![CDATA[_thumbnail_id]]></wp:meta_key>
  <wp:meta_value><![CDATA[{index + 1}]]></wp:meta_value></wp:postmeta>
  {comments}
</item>"""


def make_wxr(megabytes: int, seed: int) -> Path:
    path = DATA / f"export-{megabytes}mb-{seed}.xml"
    if path.is_file():
        return path
    DATA.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as out:
        out.write(
            '<?xml version="1.0" encoding="UTF-8" ?>\n<rss version="2.0" '
            'xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/" '
            'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
            'xmlns:wfw="http://wellformedweb.org/CommentAPI/" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" '
            'xmlns:wp="http://wordpress.org/export/1.2/">\n<channel><title>Bench</title>'
            "<link>https://example.org</link><wp:wxr_version>1.2</wp:wxr_version>"
            "<wp:author><wp:author_login><![CDATA[admin]]></wp:author_login>"
            "<wp:author_display_name><![CDATA[Ada Admin]]></wp:author_display_name></wp:author>\n"
        )
        size, index = 0, 0
        while size < megabytes * 1_000_000:
            item = wxr_item(rng, index)
            out.write(item)
            size += len(item.encode())
            index += 1
        out.write("</channel></rss>\n")
    return path


def timed(func: Callable[[], object], repeat: int) -> float:
    """Median CPU time of ``func``: the machine may be shared, and the ratios should not
    depend on what else runs (both sides are single-threaded)."""
    runs = []
    for _ in range(repeat):
        start = time.process_time()
        func()
        runs.append(time.process_time() - start)
    return statistics.median(runs)


def bare_iterparse(path: Path) -> int:
    """Walk the export's items with the same parser options, clearing each: the floor."""
    from lxml import etree

    count = 0
    for _event, elem in etree.iterparse(
        str(path),
        events=("end",),
        tag="item",
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        load_dtd=False,
    ):
        count += 1
        elem.clear(keep_tail=False)
        parent = elem.getparent()
        while elem.getprevious() is not None:
            del parent[0]
    return count


CHILD = """
import sys
from pathlib import Path
sys.path.insert(0, {src!r})
from digest.config import Config
from digest.sources.feeds import parse_feed_file
import lxml.etree, feedparser
if {run!r}:
    load = parse_feed_file(Path({path!r}), feed="export.xml", config=Config())
# VmHWM, not getrusage: Linux carries ru_maxrss over from the parent across exec
status = Path("/proc/self/status").read_text()
print(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:")))
"""


def child_peak_kb(path: Path, run: bool) -> int | None:
    """Peak resident memory (kB) of a fresh process that parses ``path`` (or only imports
    the modules, for the baseline); None where /proc is not there to tell."""
    if not Path("/proc/self/status").is_file():
        return None
    src = str(HERE.parent / "src")
    code = CHILD.format(src=src, run=run, path=str(path))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return int(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rss-mb", type=int, default=10)
    parser.add_argument("--wxr-mb", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    sys.path.insert(0, str(HERE.parent / "src"))
    import feedparser

    from digest.config import Config
    from digest.sources.feeds import parse_feed, parse_feed_file

    config = Config()
    rss_path = make_rss(args.rss_mb, args.seed)
    data = rss_path.read_bytes()
    load = parse_feed(data, feed=str(rss_path), config=config)
    print(f"RSS {len(data) / 1e6:.1f} MB: {len(load.posts)} posts, {len(load.problems)} problems")
    ours = timed(lambda: parse_feed(data, feed=str(rss_path), config=config), args.repeat)
    floor = timed(
        lambda: feedparser.parse(
            io.BytesIO(data), sanitize_html=False, resolve_relative_uris=False
        ),
        args.repeat,
    )
    default = timed(lambda: feedparser.parse(io.BytesIO(data)), args.repeat)
    print(f"  parse_feed                          {ours:7.2f} s")
    print(f"  feedparser.parse, same options      {floor:7.2f} s   ratio {ours / floor:.2f}x")
    print(f"  feedparser.parse, default options   {default:7.2f} s   ratio {ours / default:.2f}x")

    wxr_path = make_wxr(args.wxr_mb, args.seed)
    size = wxr_path.stat().st_size
    load = parse_feed_file(wxr_path, feed=str(wxr_path), config=config)
    items = bare_iterparse(wxr_path)
    print(
        f"WXR {size / 1e6:.1f} MB, {items} items: {len(load.posts)} posts, "
        f"{len(load.drafts)} drafts, {len(load.problems)} problems"
    )
    ours = timed(lambda: parse_feed_file(wxr_path, feed=str(wxr_path), config=config), args.repeat)
    floor = timed(lambda: bare_iterparse(wxr_path), args.repeat)
    print(f"  parse_feed_file                     {ours:7.2f} s")
    print(f"  bare lxml iterparse                 {floor:7.2f} s   ratio {ours / floor:.2f}x")

    tracemalloc.start()
    load = parse_feed_file(wxr_path, feed=str(wxr_path), config=config)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    kept = sum(len(p.body) + len(p.excerpt or "") for p in load.posts)
    print(
        f"  Python heap peak (tracemalloc)      {peak / 1e6:7.1f} MB "
        f"(posts' kept HTML: {kept / 1e6:.1f} M characters)"
    )
    base = child_peak_kb(wxr_path, run=False)
    full = child_peak_kb(wxr_path, run=True)
    if base is not None and full is not None:
        print(
            f"  process peak RSS                    {full / 1e3:7.1f} MB "
            f"({(full - base) / 1e3:.1f} MB above the {base / 1e3:.1f} MB of imports alone)"
        )


if __name__ == "__main__":
    main()
