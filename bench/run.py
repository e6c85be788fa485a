"""Benchmark: how long a digest build takes on a large synthetic blog.

Generates N posts (default 10,000, about 3 KB each, a realistic mix of
frontmatter shapes) under bench/.data/, then reports the wall time of each
stage and of the whole ``digest build`` command, next to the floor: reading
the same files and parsing their YAML frontmatter with ``yaml.CSafeLoader``
and nothing else. The goal is a whole build within 1.5x of that floor.

    python bench/run.py                 # 10,000 posts, 3 repeats
    python bench/run.py --posts 2000 --repeat 5

Also: a cold build (no cache), a warm build (the frontmatter cache), and N
editions (default 50) in one --all-editions run against N separate processes.

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
CATEGORIES = [
    "Leadership",
    "Book Review",
    "Interview",
    "Greener Leader",
    "Health Inequalities",
    "Data",
]
AUTHORS = [
    "Priya Raman",
    "Tom Okafor",
    "Hannah Lewis",
    "Grace Mensah",
    "Sam Whitfield",
    "Amara Nwosu",
]
WORDS = [
    "care",
    "team",
    "ward",
    "patient",
    "staff",
    "rota",
    "handover",
    "board",
    "data",
    "outcome",
    "service",
    "clinic",
    "nurse",
    "doctor",
    "leader",
    "plan",
    "change",
    "budget",
    "winter",
    "flow",
    "discharge",
    "audit",
    "quality",
    "safety",
    "culture",
    "listening",
    "decision",
    "meeting",
    "carbon",
    "travel",
    "waste",
    "energy",
    "theatre",
    "pharmacy",
    "community",
]


def sentence(rng: random.Random) -> str:
    words = rng.choices(WORDS, k=rng.randint(8, 18))
    return " ".join(words).capitalize() + "."


def paragraph(rng: random.Random) -> str:
    text = " ".join(sentence(rng) for _ in range(rng.randint(3, 6)))
    if rng.random() < 0.3:
        text += f" See [the notes](/notes/{rng.randint(1, 999)}/) for more."
    if rng.random() < 0.1:
        text += " {% include callout.html %}"
    return text


def make_post(rng: random.Random, index: int) -> tuple[str, str]:
    day = UNTIL - timedelta(days=index % 1500)
    slug = f"post-{index:05d}"
    title = sentence(rng).rstrip(".")
    cats = rng.sample(CATEGORIES, k=rng.randint(1, 2))
    body = []
    while sum(len(p) for p in body) < 2600:
        body.append(paragraph(rng))
    front = [
        "---",
        f'title: "{title}"',
        f"date: {day.isoformat()} {rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:00 +0000",
        f"author: {rng.choice(AUTHORS)}",
        f"categories: [{', '.join(cats)}]",
        f"tags: [{', '.join(rng.sample(WORDS, k=3))}]",
    ]
    if rng.random() < 0.5:
        front.append(f"excerpt: {sentence(rng)}")
    front.append("---")
    return f"{day.isoformat()}-{slug}.md", "\n".join(front) + "\n\n" + "\n\n".join(body) + "\n"


def generate(count: int, seed: int) -> Path:
    root = HERE / ".data" / f"posts-{count}-{seed}"
    posts = root / "posts"
    if posts.is_dir() and len(list(posts.iterdir())) == count:
        return root
    shutil.rmtree(root, ignore_errors=True)
    posts.mkdir(parents=True)
    rng = random.Random(seed)
    for index in range(count):
        name, text = make_post(rng, index)
        (posts / name).write_text(text, encoding="utf-8")
    (root / "digest.toml").write_text(
        '[site]\nname = "Bench"\nurl = "https://bench.example.org/"\n'
        '[email]\nunsubscribe_url = "https://bench.example.org/unsubscribe"\n',
        encoding="utf-8",
    )
    return root


def floor(posts: Path) -> int:
    """Read every file and parse its YAML frontmatter with libyaml: the least any loader does."""
    loader = yaml.CSafeLoader
    count = 0
    for path in sorted(posts.rglob("*.md")):
        text = path.read_text(encoding="utf-8")
        _, front, _ = text.split("---", 2)
        yaml.load(front, Loader=loader)
        count += 1
    return count


def timed(func: Callable[[], object], repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def write_editions_config(root: Path, count: int) -> Path:
    """A digest.toml declaring ``count`` editions, each a slice of the categories."""
    lines = [
        '[site]\nname = "Bench"\nurl = "https://bench.example.org/"\n',
        '[email]\nunsubscribe_url = "https://bench.example.org/unsubscribe"\n',
    ]
    for index in range(count):
        category = CATEGORIES[index % len(CATEGORIES)]
        lines.append(
            f'[editions.e{index:02d}]\ncategories = ["{category}"]\n'
            f'subject = "Edition {index}: {{{{ first_title }}}}"\n'
        )
    path = root / "digest-editions.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def run_cli(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "digest", *args], check=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--editions", type=int, default=50)
    args = parser.parse_args()

    from digest.compose import compose
    from digest.config import load_config
    from digest.render import render
    from digest.select import resolve_window, select
    from digest.sources.markdown import read_posts

    root = generate(args.posts, args.seed)
    config = load_config(root / "digest.toml")
    loaded = read_posts(config)
    window = resolve_window(config, UNTIL)
    selection = select(loaded.posts, config, window)
    print(
        f"{len(loaded.posts)} posts, {len(loaded.problems)} problems; "
        f"{len(selection.posts)} selected for {window.since} to {window.until}"
    )
    build_args = [
        "build",
        "-q",
        "--config",
        str(root / "digest.toml"),
        "--until",
        UNTIL.isoformat(),
        "--out",
        str(root / "dist"),
    ]
    cache = root / ".digest-cache"

    def cold() -> None:
        shutil.rmtree(cache, ignore_errors=True)
        run_cli(*build_args)

    editions_toml = write_editions_config(root, args.editions)
    names = [f"e{i:02d}" for i in range(args.editions)]

    editions_args = [
        "build",
        "-q",
        "--config",
        str(editions_toml),
        "--until",
        UNTIL.isoformat(),
        "--out",
        str(root / "dist-editions"),
    ]

    def separate_processes() -> None:
        for name in names:
            run_cli(*editions_args, "--edition", name)

    results = {
        "floor (read + yaml.CSafeLoader)": timed(lambda: floor(config.paths.posts), args.repeat),
        "load (read_posts)": timed(lambda: read_posts(config), args.repeat),
        "select": timed(lambda: select(loaded.posts, config, window), args.repeat),
        "compose + render": timed(
            lambda: render(compose(selection, config), config.paths.templates), args.repeat
        ),
        "digest build, cold (no cache)": timed(cold, args.repeat),
        "digest build --no-cache": timed(lambda: run_cli(*build_args, "--no-cache"), args.repeat),
    }
    run_cli(*build_args)  # fill the caches; files must age past the 2 s "racy" window
    time.sleep(2.1)
    run_cli(*build_args)
    results["digest build, warm (cache)"] = timed(lambda: run_cli(*build_args), args.repeat)
    results[f"{args.editions} editions, one --all-editions"] = timed(
        lambda: run_cli(*editions_args, "--all-editions"),
        args.repeat,
    )
    results[f"{args.editions} editions, separate processes"] = timed(separate_processes, 1)

    base = results["floor (read + yaml.CSafeLoader)"]
    print(f"\n{'case':40} {'median s':>9} {'x floor':>8}")
    for name, seconds in results.items():
        print(f"{name:40} {seconds:9.3f} {seconds / base:8.2f}")
    cold_time = results["digest build, cold (no cache)"]
    warm_time = results["digest build, warm (cache)"]
    one, many = (
        results[f"{args.editions} editions, one --all-editions"],
        results[f"{args.editions} editions, separate processes"],
    )
    print(f"\ncold build / floor: {cold_time / base:.2f} (goal <= 1.5)")
    print(f"warm / cold: {warm_time / cold_time:.2f} (goal < 0.25)")
    print(f"{args.editions} separate processes / one --all-editions: {many / one:.1f}x (goal >= 3)")


if __name__ == "__main__":
    main()
