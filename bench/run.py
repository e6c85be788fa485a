"""Benchmark: digest on large synthetic blogs, each figure beside a floor measured in the same run.

Generates N posts (about 3 KB each, a realistic mix of frontmatter shapes) under
bench/.data/ (or $DIGEST_BENCH_DATA) and reports, as ratios (the machine's load
changes seconds, much less ratios measured side by side):

- the scaling table: 1,000, 10,000 and 100,000 posts, a cold ``digest build``
  (no cache; the cache is written) and a warm one (unchanged posts), next to
  the floor: reading the same files and parsing their YAML frontmatter with
  ``yaml.CSafeLoader`` in one process and nothing else. Also the main process's
  peak memory and the post cache's size per post;
- start-up: ``digest --version`` and ``digest --help``;
- the post cache dropping deleted posts;
- size-budget fitting: how many renders it takes;
- rendering a 20-post digest (Jinja + MJML + premailer + text) against the
  official MJML JavaScript API rendering the same MJML alone (when node and the
  ``mjml`` package are found: ``npm install --prefix DIR mjml@4`` and
  ``NODE_PATH=DIR/node_modules``), and against mjml-python alone; and how much
  HTML leaving MJML's resets out of inlining saves on a three-week digest;
- N editions (default 50) in one ``--all-editions`` run against N processes.

    python bench/run.py                          # everything, 1k/10k/100k
    python bench/run.py --sizes 1000,10000 --repeat 5 --editions 0

Run by hand; figures go in the README's performance section and the issue
notes, never in a timed unit test.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
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

# The goals of issue 14, as (label, limit): each is printed with its figure and PASS/MISS.
GOALS = {
    "cold10k": ("10k posts: cold build (cache written) / floor", 1.25),
    "warm10k": ("10k posts: warm build / cold build", 0.15),
    "version": ("digest --version, wall seconds (best of 9)", 0.1),
    "help": ("digest --help, wall seconds (best of 9)", 0.1),
    "renders": ("size-budget fitting: renders (full render included)", 2),
    "cold100k": ("100k posts: cold build / single-core floor", 1.0),
    "memory100k": ("100k posts: main-process peak memory, MB", 300),
    "render20": ("20-post render / official MJML JS on the same MJML", 0.5),
}


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


CONFIG = (
    '[site]\nname = "Bench"\nurl = "https://bench.example.org/"\n'
    '[email]\nunsubscribe_url = "https://bench.example.org/unsubscribe"\n'
    'from = "Bench <news@bench.example.org>"\n'
)


# Where the synthetic blogs go: bench/.data/ unless $DIGEST_BENCH_DATA names another folder.
DATA = Path(os.environ.get("DIGEST_BENCH_DATA") or HERE / ".data")


def generate(count: int, seed: int) -> Path:
    root = DATA / f"posts-{count}-{seed}"
    posts = root / "posts"
    if posts.is_dir() and len(os.listdir(posts)) == count:
        (root / "digest.toml").write_text(CONFIG, encoding="utf-8")
        return root
    shutil.rmtree(root, ignore_errors=True)
    posts.mkdir(parents=True)
    rng = random.Random(seed)
    for index in range(count):
        name, text = make_post(rng, index)
        (posts / name).write_text(text, encoding="utf-8")
    (root / "digest.toml").write_text(CONFIG, encoding="utf-8")
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


def best_of(func: Callable[[], object], repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        runs.append(time.perf_counter() - start)
    return min(runs)


def timed(func: Callable[[], object], repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


# --- running the command as a user would ---------------------------------------------------------

# The command in a fresh interpreter, which then reports its own peak memory (the main
# process alone: the forked workers that parse a large folder are not counted).
RUNNER = """
import json, os, resource, sys
from digest.cli import main
try:
    main(sys.argv[1:], prog_name="digest")
except SystemExit as exc:
    if exc.code not in (0, None):
        raise
finally:
    with open(os.environ["DIGEST_BENCH_REPORT"], "w") as out:
        json.dump(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, out)
"""


def cli_env() -> dict[str, str]:
    """This checkout first on the path; bytecode written as in a normal install (a
    PYTHONDONTWRITEBYTECODE environment would compile digest again on every start)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO / "src"), env.get("PYTHONPATH")]))
    return env


@dataclass
class Run:
    seconds: float
    peak_mb: float
    cpu: float = 0.0  # CPU seconds of the command and its workers: what load does not change


def children_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def run_cli(*args: str, quiet_output: bool = True) -> Run:
    with tempfile.NamedTemporaryFile("r", suffix=".json") as report:
        env = {**cli_env(), "DIGEST_BENCH_REPORT": report.name}
        cpu = children_cpu()
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-c", RUNNER, *args],
            check=True,
            env=env,
            stdout=subprocess.DEVNULL if quiet_output else None,
        )
        seconds = time.perf_counter() - start
        cpu = children_cpu() - cpu
        peak_kb = json.loads(Path(report.name).read_text() or "0")
    return Run(seconds=seconds, peak_mb=peak_kb / 1024, cpu=cpu)


def run_plain(*args: str) -> float:
    """``python -m digest ARGS``: wall seconds, as a user's shell sees them."""
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "digest", *args],
        check=True,
        env=cli_env(),
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - start


def build_args(root: Path, *extra: str) -> list[str]:
    return [
        "build",
        "-q",
        "--config",
        str(root / "digest.toml"),
        "--until",
        UNTIL.isoformat(),
        "--out",
        str(root / "dist"),
        *extra,
    ]


# --- the sections --------------------------------------------------------------------------------


@dataclass
class Results:
    figures: dict[str, float] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)

    def say(self, line: str = "") -> None:
        print(line, flush=True)
        self.lines.append(line)


@dataclass
class Scale:
    posts: int
    floor: float
    floor_cpu: float
    cold: Run
    warm: Run
    cache_bytes: int


def scaling(sizes: list[int], repeat: int, seed: int, out: Results) -> list[Scale]:
    rows = []
    run_plain("--version")  # digest's bytecode written before anything is timed
    for count in sizes:
        root = generate(count, seed)
        tries = repeat if count <= 10_000 else 1
        cpu = time.process_time()
        base = timed(lambda root=root: floor(root / "posts"), tries)
        base_cpu = (time.process_time() - cpu) / tries
        cache = root / ".digest-cache"
        colds = []
        for _ in range(tries):
            shutil.rmtree(cache, ignore_errors=True)
            colds.append(run_cli(*build_args(root)))
        time.sleep(2.1)  # past the two-second "racy" window of the post cache
        run_cli(*build_args(root))
        warms = [run_cli(*build_args(root)) for _ in range(max(tries, 3))]
        cache_bytes = sum(p.stat().st_size for p in cache.glob("posts-*.json"))
        rows.append(
            Scale(
                posts=count,
                floor=base,
                floor_cpu=base_cpu,
                cold=min(colds, key=lambda r: r.seconds)
                if tries == 1
                else sorted(colds, key=lambda r: r.seconds)[len(colds) // 2],
                warm=sorted(warms, key=lambda r: r.seconds)[len(warms) // 2],
                cache_bytes=cache_bytes,
            )
        )
        row = rows[-1]
        print(
            f"  {count:,} posts: floor {base:.2f} s, cold {row.cold.seconds:.2f} s, "
            f"warm {row.warm.seconds:.2f} s",
            flush=True,
        )
    out.say("Scaling (medians; cold includes writing the cache; warm: no post changed)")
    out.say()
    out.say(
        "| posts | floor s | cold s | cold / floor | warm s | warm / cold | warm / floor "
        "| main peak MB | cache bytes/post |"
    )
    out.say("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        out.say(
            f"| {row.posts:,} | {row.floor:.2f} | {row.cold.seconds:.2f} | "
            f"{row.cold.seconds / row.floor:.2f} | {row.warm.seconds:.2f} | "
            f"{row.warm.seconds / row.cold.seconds:.2f} | {row.warm.seconds / row.floor:.2f} | "
            f"{row.cold.peak_mb:.0f} | {row.cache_bytes / row.posts:.0f} |"
        )
        if row.posts == 10_000:
            out.figures["cold10k"] = row.cold.seconds / row.floor
            out.figures["warm10k"] = row.warm.seconds / row.cold.seconds
        if row.posts == 100_000:
            out.figures["cold100k"] = row.cold.seconds / row.floor
            out.figures["memory100k"] = row.cold.peak_mb
    out.say()
    out.say("The same runs in CPU seconds (the command and its worker processes; the machine's")
    out.say("other load does not change these): on 2 idle cores a cold build's wall time is at")
    out.say("least half its CPU time.")
    out.say()
    out.say("| posts | floor CPU s | cold CPU s | cold / floor | warm CPU s | warm / cold |")
    out.say("|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        out.say(
            f"| {row.posts:,} | {row.floor_cpu:.2f} | {row.cold.cpu:.2f} | "
            f"{row.cold.cpu / row.floor_cpu:.2f} | {row.warm.cpu:.2f} | "
            f"{row.warm.cpu / row.cold.cpu:.2f} |"
        )
    out.say()
    return rows


def startup(out: Results) -> None:
    run_plain("--version")  # bytecode written
    for flag, goal in (("--version", "version"), ("--help", "help")):
        walls = [run_plain(flag) for _ in range(9)]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        for _ in range(5):
            run_plain(flag)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) / 5
        bare = statistics.median(
            timed(lambda: subprocess.run([sys.executable, "-c", "pass"], check=True), 1)
            for _ in range(5)
        )
        out.figures[goal] = min(walls)
        out.say(
            f"digest {flag}: {min(walls):.3f} s wall (best of 9; median "
            f"{statistics.median(walls):.3f}), {cpu:.3f} s CPU; a bare `python -c pass`: "
            f"{bare:.3f} s"
        )


def cache_drops(seed: int, out: Results) -> None:
    """A copy of the 1,000-post blog: build, delete a tenth of the posts, build again."""
    source = generate(1000, seed)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "blog"
        shutil.copytree(source / "posts", root / "posts")
        shutil.copy(source / "digest.toml", root / "digest.toml")
        old = time.time() - 60
        for path in (root / "posts").iterdir():
            os.utime(path, (old, old))
        run_cli(*build_args(root))
        [cache] = (root / ".digest-cache").glob("posts-*.json")
        before = cache.stat().st_size
        for path in sorted((root / "posts").iterdir())[::10]:
            path.unlink()
        run_cli(*build_args(root))
        after = cache.stat().st_size
        files = cache.read_bytes().partition(b"\n")[2]
        listed = len(json.loads(files)["files"])
    out.say(
        f"post cache after deleting 100 of 1,000 posts: {listed} files listed, "
        f"{after / before:.2f} of its former size"
    )


@contextmanager
def counting(module: object, name: str) -> Iterator[list[int]]:
    calls: list[int] = []
    real = getattr(module, name)

    def spy(*args: object, **kwargs: object) -> object:
        calls.append(1)
        return real(*args, **kwargs)

    setattr(module, name, spy)
    try:
        yield calls
    finally:
        setattr(module, name, real)


def digest_of(root: Path, days: int) -> object:
    from digest.config import load_config
    from digest.pipeline import plan

    config = load_config(root / "digest.toml").but(
        until=UNTIL, since=UNTIL - timedelta(days=days - 1), cache_dir=None
    )
    return plan(config).digest


def fitting(seed: int, out: Results) -> None:
    from digest import render as render_module
    from digest.templates import make_environment

    digest = digest_of(generate(1000, seed), 28)
    env = make_environment(None)
    full = render_module.render(digest, env=env)
    one = timed(lambda: render_module.render(digest), 5)  # templates compiled, as in fitting
    worst = 0
    for budget_kb in (40, 60, 80, 100):
        budget = budget_kb * 1000
        with counting(render_module, "inline_css") as calls:
            start = time.perf_counter()
            fitted, rendered = render_module.render_within_budget(digest, None, budget)
            seconds = time.perf_counter() - start
        worst = max(worst, len(calls))
        out.say(
            f"size budget {budget_kb} KB, {len(digest.full_entries)} posts "
            f"({full.html_bytes / 1000:.0f} KB in full): {len(calls)} render(s), "
            f"{len(fitted.more)} collapsed, {rendered.html_bytes / 1000:.1f} KB, "
            f"{seconds / one:.1f}x one render"
        )
    out.figures["renders"] = worst


def official_mjml(mjml_file: Path) -> dict[str, object] | None:
    """The official MJML JS API's median time on ``mjml_file``, or None without node/mjml."""
    node = shutil.which("node")
    if node is None:
        return None
    done = subprocess.run(
        [node, str(HERE / "mjml_js.js"), str(mjml_file), "30"],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        return None
    found: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


def rendering(seed: int, out: Results) -> None:
    import mjml

    from digest import render as render_module
    from digest.templates import make_environment

    digest = digest_of(generate(1000, seed), 20)
    env = make_environment(None)
    source = render_module._mjml_of(digest, env)
    ours = best_of(lambda: render_module.render(digest, env=env), 30)
    alone = best_of(lambda: mjml.mjml2html(source, disable_comments=True, fonts={}), 30)
    inline = best_of(lambda: render_module.inline_css(render_module.compile_mjml(source)), 30)
    with tempfile.NamedTemporaryFile("w", suffix=".mjml") as handle:
        handle.write(source)
        handle.flush()
        official = official_mjml(Path(handle.name))
    posts = len(digest.full_entries)
    out.say(  # best of 30 on both sides: the least disturbed by the machine's other load
        f"render of a {posts}-post digest (Jinja + MJML + premailer + text), best of 30: "
        f"{ours * 1000:.1f} ms; mjml-python alone {alone * 1000:.1f} ms "
        f"({ours / alone:.1f}x); MJML + premailer {inline * 1000:.1f} ms"
    )
    if official is None:
        out.say(
            "official MJML JS: not found (npm install --prefix DIR mjml@4, "
            "NODE_PATH=DIR/node_modules)"
        )
    else:
        js = float(str(official["best_ms"])) / 1000
        out.figures["render20"] = ours / js
        out.say(
            f"official MJML {official['version']} (node) on the same MJML, best of 30: "
            f"{js * 1000:.1f} ms; "
            f"ours / official: {ours / js:.2f}"
        )
    for label, root, days in (
        ("the sample blog, three weeks", REPO, 21),
        ("the synthetic blog, three weeks", generate(1000, seed), 21),
    ):
        three = digest_of(root, days)
        compiled = render_module.compile_mjml(render_module._mjml_of(three, env))
        now = len(render_module.inline_css(compiled).encode())
        real = render_module._MJML_STYLE
        render_module._MJML_STYLE = re.compile(r"(?!)")  # inline MJML's resets too, as before
        try:
            before = len(render_module.inline_css(compiled).encode())
        finally:
            render_module._MJML_STYLE = real
        out.say(
            f"HTML of {label} ({len(three.full_entries)} posts): {now / 1000:.1f} KB; "
            f"with MJML's resets inlined {before / 1000:.1f} KB "
            f"({(before - now) / 1000:.1f} KB, {(before - now) / before:.0%} less)"
        )


def editions(count: int, seed: int, out: Results) -> None:
    root = generate(10_000, seed)
    lines = [CONFIG]
    for index in range(count):
        category = CATEGORIES[index % len(CATEGORIES)]
        lines.append(
            f'[editions.e{index:02d}]\ncategories = ["{category}"]\n'
            f'subject = "Edition {index}: {{{{ first_title }}}}"\n'
        )
    config = root / "digest-editions.toml"
    config.write_text("\n".join(lines), encoding="utf-8")
    args = ["build", "-q", "--config", str(config), "--until", UNTIL.isoformat()]
    args += ["--out", str(root / "dist-editions")]
    run_cli(*args, "--all-editions")
    one = timed(lambda: run_cli(*args, "--all-editions"), 1)
    many = timed(lambda: [run_cli(*args, "--edition", f"e{i:02d}") for i in range(count)], 1)
    out.say(
        f"{count} editions of 10k posts: one --all-editions {one:.2f} s, "
        f"{count} processes {many:.2f} s ({many / one:.1f}x)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="1000,10000,100000", help="post counts to scale over")
    parser.add_argument("--repeat", type=int, default=3, help="runs per case (100k: one)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--editions", type=int, default=50, help="0: skip the editions case")
    parser.add_argument(
        "--sections",
        default="scaling,startup,cache,fitting,render,editions",
        help="which parts to run (comma-separated)",
    )
    args = parser.parse_args()
    wanted = set(args.sections.split(","))
    sys.path.insert(0, str(REPO / "src"))  # this checkout's digest, in-process too

    out = Results()
    sizes = [int(s) for s in args.sizes.split(",") if s]
    print("generating and timing (this takes a few minutes for 100k posts) ...", flush=True)
    if "scaling" in wanted:
        scaling(sizes, args.repeat, args.seed, out)
    if "startup" in wanted:
        startup(out)
    if "cache" in wanted:
        cache_drops(args.seed, out)
    if "fitting" in wanted:
        fitting(args.seed, out)
    if "render" in wanted:
        rendering(args.seed, out)
    if args.editions and "editions" in wanted:
        editions(args.editions, args.seed, out)
    out.say()
    out.say("Goals (issue 14)")
    for key, (label, limit) in GOALS.items():
        if key in out.figures:
            value = out.figures[key]
            verdict = "PASS" if value <= limit else "MISS"
            out.say(f"  {verdict}  {label}: {value:.2f} (goal <= {limit})")
        else:
            out.say(f"  ----  {label}: not measured in this run")


if __name__ == "__main__":
    main()
