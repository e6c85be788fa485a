"""Benchmark: how long ``digest check --matrix`` takes on the repository's sample.

Runs the whole command, as a user would, in a copy of the sample project (so
nothing is written into the repository), and reports the median wall time of:

- the matrix alone (goal: within 2 s);
- the matrix with ``--browser`` (goal: within 30 s on two cores);
- the matrix with ``--browser --report DIR`` (screenshots of every cell,
  width and scheme written).

    python bench/matrix.py              # 3 repeats each
    python bench/matrix.py --repeat 5 --no-browser

Run by hand; figures go in the issue notes and the README, never in a timed
unit test.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(args: list[str], cwd: Path, repeat: int) -> tuple[float, float, float, int]:
    """Median and best wall time of ``digest ARGS`` over ``repeat`` runs, the median CPU time
    of the command itself (Chromium's processes included; a fair figure on a busy machine),
    and the last exit code."""
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    times: list[float] = []
    cpu: list[float] = []
    code = 0
    for _ in range(repeat):
        cpu_start = _cpu()
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "digest", *args],
            cwd=cwd,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
        times.append(time.perf_counter() - start)
        cpu.append(_cpu() - cpu_start)
        code = done.returncode
        if code not in (0, 1):
            sys.exit(f"digest {' '.join(args)} failed: {done.stderr.strip()}")
    return statistics.median(times), min(times), statistics.median(cpu), code


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-browser", action="store_true", help="Only the matrix itself.")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="digest-bench-matrix-") as tmp:
        project = Path(tmp)
        shutil.copytree(REPO / "posts", project / "posts")
        shutil.copytree(REPO / "templates", project / "templates")
        shutil.copy(REPO / "digest.toml", project / "digest.toml")
        runs = [("matrix", ["check", "--matrix", "-q"])]
        if not options.no_browser:
            runs += [
                ("matrix --browser", ["check", "--matrix", "--browser", "-q"]),
                (
                    "matrix --browser --report",
                    ["check", "--matrix", "--browser", "-q", "--report", str(project / "r")],
                ),
            ]
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"{os.cpu_count()} cores, load {load}; median and best of {options.repeat} runs")
        for label, args in runs:
            median, best, cpu, code = timed(args, project, options.repeat)
            print(f"{label:<28} {median:6.2f} s  (best {best:.2f} s; CPU {cpu:.2f} s; exit {code})")


if __name__ == "__main__":
    main()
