"""Benchmark: excerpts cost the same whatever a body's length (issue 14, goal 1).

Generates 100 posts of about 500 KB each under bench/.data/ (long prose,
release notes that are one long changelog list, code-heavy posts, and posts
cut with ``<!--more-->``), all inside the digest's window, then times what
``digest list`` does (load, select, read the bodies, compose the excerpts and
thumbnails) next to the floor: reading the same files and parsing their YAML
frontmatter with ``yaml.CSafeLoader``. Goal: ``list`` within 3x the floor.

    python bench/excerpts.py               # 100 posts of 500 KB, 3 repeats
    python bench/excerpts.py --posts 20 --kb 1000

Both are timed in this process (no interpreter start-up on either side); the
whole ``digest list`` command, start-up included, is reported beside them.
Run by hand; figures go in the issue notes, never in a timed unit test.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
UNTIL = date(2026, 11, 26)
WORDS = [
    *("release", "fix", "build", "cache", "parser", "render", "theme", "module", "template"),
    *("config", "server", "client", "image", "feed", "link", "page", "section", "author"),
    *("date", "update", "support", "change", "docs", "test", "error", "warning", "option"),
]


def sentence(rng: random.Random) -> str:
    return " ".join(rng.choices(WORDS, k=rng.randint(8, 16))).capitalize() + "."


def paragraph(rng: random.Random) -> str:
    return " ".join(sentence(rng) for _ in range(rng.randint(3, 6)))


def prose(rng: random.Random, size: int) -> str:
    parts: list[str] = []
    total = 0
    while total < size:
        part = paragraph(rng)
        if rng.random() < 0.2:
            part = f"## {sentence(rng)}\n\n{part}"
        parts.append(part)
        total += len(part) + 2
    return "\n\n".join(parts)


def changelog(rng: random.Random, size: int) -> str:
    """A release post as real project blogs write them: a line or two, then every commit."""
    lines = [paragraph(rng), "", "## Changes", ""]
    total = 0
    while total < size:
        sha = f"{rng.getrandbits(28):07x}"
        line = f"* {sentence(rng)} ([#{rng.randint(1, 9999)}](https://x.example/pull/1)) {sha}"
        lines.append(line)
        total += len(line) + 1
    return "\n".join(lines)


def code_heavy(rng: random.Random, size: int) -> str:
    parts: list[str] = []
    total = 0
    while total < size:
        code = "\n".join(f"let x{i} = {{{{ value }}}};" for i in range(rng.randint(5, 40)))
        part = f"{paragraph(rng)}\n\n```js\n{code}\n```"
        parts.append(part)
        total += len(part) + 2
    return "\n\n".join(parts)


def with_more(rng: random.Random, size: int) -> str:
    return f"{paragraph(rng)}\n\n<!--more-->\n\n{prose(rng, size)}"


SHAPES = (prose, changelog, code_heavy, with_more)


def generate(count: int, kb: int, seed: int) -> Path:
    root = HERE / ".data" / f"excerpts-{count}-{kb}-{seed}"
    posts = root / "posts"
    if posts.is_dir() and len(list(posts.iterdir())) == count:
        return root
    shutil.rmtree(root, ignore_errors=True)
    posts.mkdir(parents=True)
    rng = random.Random(seed)
    for index in range(count):
        day = UNTIL - timedelta(days=index % 7)
        body = SHAPES[index % len(SHAPES)](rng, kb * 1000)
        front = (
            f'---\ntitle: "Release {index}"\ndate: {day.isoformat()}\n'
            f"author: Bench\ncategories: [Releases]\n---\n\n"
        )
        (posts / f"{day.isoformat()}-release-{index:03d}.md").write_text(
            front + body + "\n", encoding="utf-8"
        )
    (root / "digest.toml").write_text(
        '[site]\nname = "Bench"\nurl = "https://bench.example.org/"\n'
        '[email]\nunsubscribe_url = "https://bench.example.org/unsubscribe"\n',
        encoding="utf-8",
    )
    return root


def floor(posts: Path) -> int:
    """Read every file and parse its YAML frontmatter with libyaml: the least any loader does."""
    count = 0
    for path in sorted(posts.rglob("*.md")):
        text = path.read_text(encoding="utf-8")
        _, front, _ = text.split("---", 2)
        yaml.load(front, Loader=yaml.CSafeLoader)
        count += 1
    return count


def timed(func: Callable[[], object], repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--posts", type=int, default=100)
    parser.add_argument("--kb", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    from digest.config import load_config
    from digest.pipeline import plan

    root = generate(args.posts, args.kb, args.seed)
    config = load_config(root / "digest.toml").but(cache_dir=None)
    planned = plan(config, today=UNTIL)  # warm up imports; check everything is selected
    shown = len(planned.digest.entries)
    print(f"{args.posts} posts of {args.kb} KB; {shown} in the digest with excerpts")

    base = timed(lambda: floor(config.paths.posts), args.repeat)
    listing = timed(lambda: plan(config, today=UNTIL), args.repeat)
    command = [
        sys.executable,
        "-m",
        "digest",
        "list",
        "-q",
        "--no-cache",
        "--config",
        str(root / "digest.toml"),
        "--until",
        UNTIL.isoformat(),
    ]
    cli = timed(lambda: subprocess.run(command, check=True, capture_output=True), args.repeat)

    print(f"\n{'case':44} {'median s':>9} {'x floor':>8}")
    for name, seconds in (
        ("floor (read + yaml.CSafeLoader)", base),
        ("digest list's work (load, select, compose)", listing),
        ("digest list command (with start-up)", cli),
    ):
        print(f"{name:44} {seconds:9.3f} {seconds / base:8.2f}")
    print(f"\nlist / floor: {listing / base:.2f} (goal <= 3)")


if __name__ == "__main__":
    main()
