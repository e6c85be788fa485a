"""The weekly schedule in docs/: every `digest` command in it must still exist.

docs/scheduling.md, the GitHub Actions workflow and the cron script in
docs/examples/ are copied into other people's repositories and then run
unattended, so a renamed command or flag would break them silently, at the
next Monday morning. These tests read the shell commands out of the workflow,
the crontab line and the script, and give every ``digest …`` command to
click's own parser, exactly as the command line would, without running it.
They also check what makes the schedule safe: a valid cron, one run at a
time, new posts only, ``check --strict`` before ``export --push``, the API key
from a secret in the environment, and the ledger committed afterwards.
"""

from __future__ import annotations

import fcntl
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import click.testing
import pytest
import yaml

from digest.cli import main
from digest.config import LEDGER_NAME
from digest.exporters import get_exporter

from .conftest import SAMPLE_UNTIL, copy_sample
from .fakeapi import start

REPO = Path(__file__).resolve().parents[1]
GUIDE = REPO / "docs" / "scheduling.md"
EXAMPLES = REPO / "docs" / "examples"
WORKFLOW = EXAMPLES / "weekly-digest.yml"
SCRIPT = EXAMPLES / "weekly-digest.sh"

DIGEST_NAMES = {"digest", "digest-newsletter"}
# Words that can stand before a command without being it (`then digest check …`).
_PREFIX_WORDS = {"!", "then", "else", "elif", "do", "if", "while", "until", "time", "exec"}
_SEPARATORS = {";", ";;", "&", "&&", "|", "||", "(", ")"}
_REDIRECTIONS = {"<", ">", ">>", "<&", ">&", ">|", "<>", "&>"}
_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")
# ${{ … }} (a GitHub Actions expression) and $( … ) (a command substitution) are
# values the real run fills in; a placeholder word stands in for each.
_EXPRESSION = re.compile(r"\$\{\{.*?\}\}")
_SUBSTITUTION = re.compile(r"\$\([^()]*\)")


# --- reading shell commands ---------------------------------------------------


def shell_commands(script: str) -> list[list[str]]:
    """The simple commands of a shell script, each as its words.

    Lines are joined at a trailing backslash and split at ``;``, ``&&``, ``||``,
    ``|`` and newlines; comments and redirections (with their target) are
    dropped. Quoting follows the shell (``shlex`` in POSIX mode); ``$VAR`` stays
    as written, a literal word, which is what a flag parser needs to see.
    """
    text = script.replace("\\\n", " ")
    text = _SUBSTITUTION.sub("SUBSTITUTION", _EXPRESSION.sub("EXPRESSION", text))
    commands: list[list[str]] = []
    for line in text.splitlines():
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        words: list[str] = []
        skip_next = False
        for token in lexer:
            if skip_next:
                skip_next = False
            elif token in _SEPARATORS:
                commands.append(words)
                words = []
            elif token in _REDIRECTIONS:
                skip_next = True
                if words and words[-1].isdigit():  # the 2 of 2>&1
                    words.pop()
            else:
                words.append(token)
        commands.append(words)
    return [c for c in commands if c]


def digest_args(command: Sequence[str]) -> list[str] | None:
    """The arguments after ``digest`` if this command runs digest, else None.

    Leading shell keywords and ``NAME=value`` assignments are skipped, and
    ``python -m digest`` counts as ``digest``.
    """
    words = list(command)
    while words and (words[0] in _PREFIX_WORDS or _ASSIGNMENT.match(words[0])):
        words.pop(0)
    if words and words[0] in DIGEST_NAMES:
        return words[1:]
    if (
        len(words) >= 3
        and Path(words[0]).name.startswith("python")
        and words[1:3] == ["-m", "digest"]
    ):
        return words[3:]
    return None


# --- parsing digest commands without running them ------------------------------


@dataclass(frozen=True)
class Invocation:
    """A ``digest`` command found in the schedule, and what click made of it."""

    where: str
    args: tuple[str, ...]
    command: str
    params: dict[str, Any]

    def __str__(self) -> str:
        return shlex.join(["digest", *self.args])


@contextmanager
def _inside(folder: Path) -> Iterator[None]:
    before = Path.cwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(before)


def _make_existing(param: click.Parameter, raw: Any, workdir: Path) -> None:
    """Create the path an exists=True parameter names: the run would have made it by then."""
    assert isinstance(param.type, click.Path)
    values = raw if isinstance(raw, (list, tuple)) else [raw]
    for value in (v for v in values if isinstance(v, str)):  # not click's marker for "missing"
        target = (workdir / value).resolve()
        if Path(value).is_absolute() or not target.is_relative_to(workdir.resolve()):
            raise click.BadParameter(
                f"use a path inside the repository, not {value!r}", param=param
            )
        if param.type.file_okay and not param.type.dir_okay:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.touch()
        else:
            target.mkdir(parents=True, exist_ok=True)


def parse_digest(args: Sequence[str], workdir: Path, where: str = "") -> Invocation:
    """Parse ``digest ARGS`` with click exactly as the command line would, without running it.

    Raises :class:`click.UsageError` for an unknown command or flag, a missing
    argument or a bad value. A path that must exist (``digest check dist/weekly``)
    is created inside ``workdir`` first, since the earlier steps of the real run
    create it; type conversion runs with ``workdir`` as the current folder.
    """
    if not args or args[0].startswith("-"):
        raise click.UsageError(f"expected a digest command such as build, got {list(args)}")
    parent = click.Context(main, info_name="digest")
    name, command, rest = main.resolve_command(parent, list(args))
    assert name is not None and command is not None
    raw, _, _ = command.make_parser(click.Context(command, parent=parent)).parse_args(list(rest))
    for param in command.params:
        if isinstance(param.type, click.Path) and param.type.exists and param.name in raw:
            _make_existing(param, raw[param.name], workdir)
    with _inside(workdir):
        ctx = command.make_context(name, list(rest), parent=parent, resilient_parsing=False)
    return Invocation(where=where, args=tuple(args), command=name, params=dict(ctx.params))


def invocations(
    commands: Sequence[Sequence[str]], workdir: Path, where: str
) -> tuple[list[Invocation], list[str]]:
    """Every digest command among ``commands``, parsed; and a problem for each that fails."""
    found: list[Invocation] = []
    problems: list[str] = []
    for command in commands:
        args = digest_args(command)
        if args is None:
            continue
        try:
            found.append(parse_digest(args, workdir, where))
        except click.UsageError as exc:
            problems.append(f"{where}: {shlex.join(['digest', *args])}: {exc.format_message()}")
    return found, problems


def pipeline_problems(found: Sequence[Invocation], where: str) -> list[str]:
    """A weekly run must build new posts only, check strictly, then push, in that order."""
    wanted = [
        ("build", "new_only", "digest build --new-only"),
        ("check", "strict", "digest check --strict"),
        ("export", "push", "digest export --push"),
    ]
    problems, positions = [], []
    for command, flag, label in wanted:
        hits = [i for i, inv in enumerate(found) if inv.command == command and inv.params[flag]]
        if hits:
            positions.append(hits[0])
        else:
            problems.append(f"{where}: no `{label}` command")
    if not problems and positions != sorted(positions):
        problems.append(f"{where}: build, check and export --push must run in that order")
    return problems


def credentials_needed(found: Sequence[Invocation]) -> set[str]:
    """The environment variables the ``export --push`` commands need, per the exporters."""
    needed: set[str] = set()
    for inv in found:
        if inv.command == "export" and inv.params["push"]:
            for name in inv.params["names"]:
                credentials = get_exporter(name).credentials
                needed.update(credentials.required if credentials else ())
    return needed


def commits_ledger(commands: Sequence[Sequence[str]]) -> bool:
    """``git add`` of the ledger, then ``git commit`` and ``git push``."""
    git = [list(c[1:]) for c in commands if c and c[0] == "git"]
    added = any(c[:1] == ["add"] and LEDGER_NAME in c for c in git)
    return added and any(c[:1] == ["commit"] for c in git) and any(c[:1] == ["push"] for c in git)


# --- cron ----------------------------------------------------------------------

_MONTHS = {
    name: number
    for number, name in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1
    )
}
_DAYS = {
    name: number for number, name in enumerate(["sun", "mon", "tue", "wed", "thu", "fri", "sat"])
}
_CRON_FIELDS = (
    ("minute", 0, 59, {}),
    ("hour", 0, 23, {}),
    ("day of month", 1, 31, {}),
    ("month", 1, 12, _MONTHS),
    ("day of week", 0, 7, _DAYS),
)


def cron_problems(expression: str) -> list[str]:
    """What is wrong with a five-field cron schedule (``*``, lists, ranges, steps, names)."""
    fields = expression.split()
    if len(fields) != 5:
        return [
            f"{expression!r}: {len(fields)} fields; cron wants 5 (minute hour day month weekday)"
        ]
    problems = []
    for text, (name, low, high, names) in zip(fields, _CRON_FIELDS, strict=True):
        for part in text.split(","):
            base, slash, step = part.partition("/")
            ends = [] if base == "*" else base.split("-", 1)
            values = [names.get(end.lower(), int(end) if end.isdigit() else None) for end in ends]
            if (
                (slash and not (step.isdigit() and int(step) > 0))
                or any(v is None or not low <= v <= high for v in values)
                or (len(values) == 2 and values[0] > values[1])  # type: ignore[operator]
            ):
                problems.append(f"{expression!r}: {name} {part!r} is not in {low}-{high}")
    return problems


def crontab_problems(crontab: str, workdir: Path) -> list[str]:
    """Check a crontab: valid schedules, and a job that runs the weekly digest safely.

    A job may run ``digest`` itself or a script from docs/examples/ (by file
    name, as the user copies it into their repository); both are read.
    """
    problems: list[str] = []
    commands: list[list[str]] = []
    jobs = 0
    for line in crontab.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or _ASSIGNMENT.match(line):
            continue
        jobs += 1
        fields = line.split(None, 5)
        problems += cron_problems(" ".join(fields[:5]))
        job = shell_commands(fields[5] if len(fields) > 5 else "")
        commands += job
        for word in (w for c in job for w in c if w.endswith(".sh")):
            script = EXAMPLES / Path(word).name
            if script.is_file():
                commands += shell_commands(script.read_text(encoding="utf-8"))
            else:
                problems.append(f"crontab: {word} is not among docs/examples/")
    if not jobs:
        return ["crontab: no job line"]
    found, parse_problems = invocations(commands, workdir, "crontab")
    problems += parse_problems + pipeline_problems(found, "crontab")
    if not commits_ledger(commands):
        problems.append(f"crontab: does not git add, commit and push {LEDGER_NAME}")
    text = " ".join(" ".join(c) for c in commands)
    problems += [
        f"crontab: {name} (needed by export --push) is never mentioned"
        for name in sorted(credentials_needed(found))
        if name not in text
    ]
    return problems


# --- GitHub Actions --------------------------------------------------------------


def workflow_problems(workflow: dict[Any, Any], workdir: Path) -> list[str]:
    """Check a GitHub Actions workflow that sends the weekly digest."""
    problems: list[str] = []
    # YAML 1.1 reads a bare `on:` key as the boolean true.
    triggers = workflow.get("on", workflow.get(True)) or {}
    schedule = triggers.get("schedule") or []
    if not schedule:
        problems.append("workflow: no on.schedule")
    for entry in schedule:
        problems += cron_problems(str(entry.get("cron", "")))
    if "workflow_dispatch" not in triggers:
        problems.append("workflow: no workflow_dispatch trigger to run it by hand")
    concurrency = workflow.get("concurrency") or {}
    if not isinstance(concurrency, dict) or not concurrency.get("group"):
        problems.append("workflow: no concurrency group (two runs could push at once)")
    elif concurrency.get("cancel-in-progress"):
        problems.append("workflow: cancel-in-progress could stop a run between push and commit")
    if (workflow.get("permissions") or {}).get("contents") != "write":
        problems.append("workflow: permissions.contents must be write to commit the ledger")

    steps = [s for job in (workflow.get("jobs") or {}).values() for s in job.get("steps", [])]
    found: list[Invocation] = []
    export_at = commit_at = None
    for index, step in enumerate(steps):
        run = str(step.get("run", ""))
        where = f"workflow step {step.get('name', index + 1)!r}"
        if "secrets." in run:
            problems.append(f"{where}: a secret inside run: (pass it through env:)")
        commands = shell_commands(run)
        step_found, step_problems = invocations(commands, workdir, where)
        found += step_found
        problems += step_problems
        env = {**workflow.get("env", {}), **step.get("env", {})}
        for name in sorted(credentials_needed(step_found)):
            if "secrets." not in str(env.get(name, "")):
                problems.append(f"{where}: export --push needs {name} from a secret in env:")
        if credentials_needed(step_found) or any(
            i.command == "export" and i.params["push"] for i in step_found
        ):
            export_at = index if export_at is None else export_at
        if commits_ledger(commands):
            commit_at = index
            if "always()" not in str(step.get("if", "")):
                problems.append(
                    f"{where}: needs `if: always()` so a push that went out is recorded"
                )
    problems += pipeline_problems(found, "workflow")
    if commit_at is None:
        problems.append(f"workflow: no step that commits and pushes {LEDGER_NAME}")
    elif export_at is not None and commit_at < export_at:
        problems.append("workflow: the ledger is committed before export --push")
    return problems


def load_workflow(text: str) -> dict[Any, Any]:
    data = yaml.safe_load(text)
    assert isinstance(data, dict), "the workflow is not a YAML mapping"
    return data


def fenced_blocks(markdown: str, *languages: str) -> list[str]:
    """The fenced code blocks of ``markdown`` in these languages."""
    pattern = re.compile(r"^```([\w-]*)\n(.*?)^```", re.MULTILINE | re.DOTALL)
    return [m.group(2) for m in pattern.finditer(markdown) if m.group(1) in languages]


# --- the schedule as shipped ----------------------------------------------------


def test_the_example_workflow_runs_real_commands_safely(tmp_path: Path) -> None:
    workflow = load_workflow(WORKFLOW.read_text(encoding="utf-8"))
    assert workflow_problems(workflow, tmp_path) == []


def test_the_crontab_line_and_its_script_run_real_commands_safely(tmp_path: Path) -> None:
    [crontab] = fenced_blocks(GUIDE.read_text(encoding="utf-8"), "crontab")
    assert crontab_problems(crontab, tmp_path) == []


def test_every_digest_command_in_the_guide_parses(tmp_path: Path) -> None:
    blocks = fenced_blocks(GUIDE.read_text(encoding="utf-8"), "sh", "shell", "bash", "crontab")
    commands = [c for block in blocks for c in shell_commands(block)]
    found, problems = invocations(commands, tmp_path, "docs/scheduling.md")
    assert problems == []
    assert len(found) >= 3  # the guide shows the steps it explains


def test_the_guide_and_the_readme_point_at_the_examples() -> None:
    guide = GUIDE.read_text(encoding="utf-8")
    assert "examples/weekly-digest.yml" in guide and "examples/weekly-digest.sh" in guide
    editors_week = (REPO / "README.md").read_text(encoding="utf-8").split("## The editor's week")[1]
    assert "docs/scheduling.md" in editors_week.split("\n## ")[0]


def test_the_cron_script_is_executable() -> None:
    assert os.access(SCRIPT, os.X_OK)


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_gitignore_hides_what_digest_writes_but_not_the_ledger(tmp_path: Path) -> None:
    """After a week's work, `git status` offers the ledger to commit and nothing else."""
    project = copy_sample(tmp_path)
    shutil.copy(REPO / ".gitignore", project / ".gitignore")
    subprocess.run(["git", "init", "-q"], cwd=project, check=True)
    subprocess.run(["git", "add", "."], cwd=project, check=True)  # the project as committed
    runner = click.testing.CliRunner()
    with _inside(project):
        for args in (
            ["build", "--until", SAMPLE_UNTIL],
            ["mark-sent", "dist"],
            ["archive", "--out", "site/"],
        ):
            result = runner.invoke(main, args)
            assert result.exit_code == 0, result.output
    # what an atomic write of the ledger leaves if the machine dies mid-write
    (project / f".{LEDGER_NAME}.k3j2h1.tmp").write_text("{", encoding="utf-8")
    assert (project / f"{LEDGER_NAME}.lock").exists() and (project / ".digest-cache").is_dir()
    untracked = subprocess.run(
        ["git", "ls-files", "--others", "--exclude-standard"],
        cwd=project,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.splitlines()
    assert untracked == [LEDGER_NAME]


# --- the cron script, run for real against a stand-in Mailchimp ---------------

SECRET = "s3cr3t-key-us21"


class CronMachine:
    """A clone of a blog with the weekly script, its remote, and `digest` on PATH."""

    def __init__(self, root: Path, api_url: str) -> None:
        self.root = root
        self.remote = root / "remote.git"
        self.blog = copy_sample(root / "blog")
        # A fixed week, so the test does not depend on today's date.
        toml = self.blog / "digest.toml"
        text = toml.read_text(encoding="utf-8")
        toml.write_text(
            text.replace("[selection]\n", f'[selection]\nuntil = "{SAMPLE_UNTIL}"\n', 1),
            encoding="utf-8",
        )
        (self.blog / "scripts").mkdir()
        shutil.copy2(SCRIPT, self.blog / "scripts" / SCRIPT.name)
        shutil.copy(REPO / ".gitignore", self.blog / ".gitignore")
        home, bin_dir = root / "home", root / "bin"
        (home / ".config" / "digest").mkdir(parents=True)
        (home / ".config" / "digest" / "env").write_text(f"MAILCHIMP_API_KEY={SECRET}\n")
        bin_dir.mkdir()
        shim = bin_dir / "digest"
        shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m digest "$@"\n', encoding="utf-8")
        shim.chmod(0o755)
        self.env = {
            "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
            "HOME": str(home),
            "PYTHONPATH": str(REPO / "src"),
            "MAILCHIMP_API_URL": api_url,
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_AUTHOR_NAME": "Editor",
            "GIT_AUTHOR_EMAIL": "editor@example.org",
            "GIT_COMMITTER_NAME": "Editor",
            "GIT_COMMITTER_EMAIL": "editor@example.org",
        }
        self.git("init", "-q", "--bare", str(self.remote), cwd=root)
        self.git("init", "-q")
        self.git("add", ".")
        self.git("commit", "-q", "-m", "the blog")
        self.git("remote", "add", "origin", str(self.remote))
        self.git("push", "-q", "-u", "origin", "HEAD")

    def git(self, *args: str, cwd: Path | None = None) -> str:
        return subprocess.run(
            ["git", *args],
            cwd=cwd or self.blog,
            env=self.env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout

    def run_weekly(self) -> subprocess.CompletedProcess[str]:
        """The crontab's job: cd into the clone and run the script."""
        return subprocess.run(
            ["sh", "-c", f"scripts/{SCRIPT.name}"],
            cwd=self.blog,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    def remote_ledger(self) -> list[str]:
        shown = subprocess.run(
            ["git", "--git-dir", str(self.remote), "show", f"HEAD:{LEDGER_NAME}"],
            env=self.env,
            capture_output=True,
            text=True,
        )
        return shown.stdout.splitlines() if shown.returncode == 0 else []


@pytest.mark.skipif(
    not all(shutil.which(tool) for tool in ("git", "flock", "sh")),
    reason="the cron script needs git, flock (util-linux) and sh",
)
def test_the_cron_script_sends_each_week_once_and_commits_the_ledger(tmp_path: Path) -> None:
    api, server = start(lambda method, path, body: [])
    try:
        machine = CronMachine(tmp_path, api.url)

        # A push the service refuses: exit 1, nothing recorded, nothing committed.
        api.script = [(400, {"detail": "list not found"}, {})]
        failed = machine.run_weekly()
        assert failed.returncode == 1, failed.stderr
        assert "list not found" in failed.stderr
        assert machine.remote_ledger() == []

        # A second script started while one runs refuses at once.
        with open(machine.blog / "scripts" / SCRIPT.name) as held:
            fcntl.flock(held.fileno(), fcntl.LOCK_EX)
            busy = machine.run_weekly()
        assert busy.returncode == 1 and "another run is still going" in busy.stderr
        assert len(api.received) == 1

        # The next run pushes the campaign and commits the ledger to the remote.
        sent = machine.run_weekly()
        assert sent.returncode == 0, sent.stderr
        assert [r.method + " " + r.path for r in api.received[1:]] == [
            "POST /campaigns",
            "PUT /campaigns/cmp-1/content",
        ]
        [issue] = machine.remote_ledger()
        assert f'"until":"{SAMPLE_UNTIL}"' in issue.replace(" ", "")
        assert machine.git("status", "--porcelain") == ""  # the lock, dist/, cache: ignored

        # The same week again: nothing new, so no push, no commit, exit 0 —
        # although dist/ held last run's digest, which must not go out twice.
        again = machine.run_weekly()
        assert again.returncode == 0, again.stderr
        assert "nothing new this week" in again.stdout
        assert len(api.received) == 3
        assert machine.remote_ledger() == [issue]

        for run in (failed, busy, sent, again):
            assert SECRET not in run.stdout + run.stderr
    finally:
        server.shutdown()
        server.server_close()


# --- the checks themselves can fail ---------------------------------------------


def _workflow_with(tmp_path: Path, old: str, new: str) -> list[str]:
    """The problems of a temporary copy of the example workflow with one change."""
    text = WORKFLOW.read_text(encoding="utf-8")
    assert old in text, f"the example workflow no longer contains {old!r}"
    copy = tmp_path / "weekly-digest.yml"
    copy.write_text(text.replace(old, new), encoding="utf-8")
    workdir = tmp_path / "repo"
    workdir.mkdir()
    return workflow_problems(load_workflow(copy.read_text(encoding="utf-8")), workdir)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("build --new-only", "build --new-ony", r"No such option '--new-ony'"),
        ("digest check --strict", "digest chek --strict", r"No such command 'chek'"),
        ("--to mailchimp --push", "--push", r"Missing option '--to'"),
        ("--to mailchimp", "--to mailchimp --since yesterday", r"No such option '--since'"),
        ("--new-only --strict", "--strict", r"no `digest build --new-only`"),
        ("check --strict dist", "check dist", r"no `digest check --strict`"),
        ('"17 7 * * 1"', '"17 7 * *"', r"4 fields"),
        ('"17 7 * * 1"', '"17 24 * * 1"', r"hour '24' is not in 0-23"),
        ("group: weekly-digest", "group: ''", r"no concurrency group"),
        ("cancel-in-progress: false", "cancel-in-progress: true", r"cancel-in-progress"),
        ("git add digest-ledger.jsonl", "git add dist", r"no step that commits"),
        ("        if: always()\n        run: |", "        run: |", r"if: always\(\)"),
        ("MAILCHIMP_API_KEY: ${{", "MAILCHIMP_KEY: ${{", r"needs MAILCHIMP_API_KEY"),
        ("  workflow_dispatch:\n", "", r"workflow_dispatch"),
    ],
)
def test_a_broken_workflow_is_reported(tmp_path: Path, old: str, new: str, expected: str) -> None:
    problems = _workflow_with(tmp_path, old, new)
    assert any(re.search(expected, p) for p in problems), problems


def test_a_secret_inside_run_is_reported(tmp_path: Path) -> None:
    problems = _workflow_with(
        tmp_path,
        "run: digest export --to mailchimp --push dist/weekly",
        'run: MAILCHIMP_API_KEY="${{ secrets.MAILCHIMP_API_KEY }}" digest export --to mailchimp --push dist/weekly',
    )
    assert any("a secret inside run:" in p for p in problems), problems


def test_a_broken_cron_script_is_reported(tmp_path: Path) -> None:
    [crontab] = fenced_blocks(GUIDE.read_text(encoding="utf-8"), "crontab")
    assert crontab_problems(crontab.replace("17 7", "61 7"), tmp_path)
    assert crontab_problems("# nothing\nPATH=/usr/bin\n", tmp_path) == ["crontab: no job line"]
    bare = "17 7 * * 1 cd blog && digest build --new-only --out w && digest check --strict w"
    problems = crontab_problems(bare, tmp_path)
    assert "crontab: no `digest export --push` command" in problems
    assert f"crontab: does not git add, commit and push {LEDGER_NAME}" in problems


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("digest bulid", r"No such command 'bulid'"),
        ("digest build --new-olny", r"No such option '--new-olny'"),
        ("digest build --since banana", r"Invalid value for '--since'"),
        ("digest build --limit 0", r"Invalid value for '--limit'"),
        ("digest check", r"Missing argument 'PATH'"),
        ("digest check --strict out extra", r"unexpected extra argument"),
        ("digest export --push out", r"Missing option '--to'"),
        ("digest check --strict /etc", r"inside the repository"),
        ("digest --version", r"expected a digest command"),
    ],
)
def test_parse_digest_refuses_what_the_command_line_would(
    tmp_path: Path, line: str, message: str
) -> None:
    [[_, *args]] = shell_commands(line)
    with pytest.raises(click.UsageError) as caught:
        parse_digest(args, tmp_path)
    assert re.search(message, caught.value.format_message()), caught.value.format_message()


def test_parse_digest_accepts_real_commands_and_reads_their_flags(tmp_path: Path) -> None:
    inv = parse_digest(["export", "--to", "mailchimp", "--push", "$OUT"], tmp_path)
    assert (inv.command, inv.params["names"], inv.params["push"]) == (
        "export",
        ("mailchimp",),
        True,
    )
    assert (tmp_path / "$OUT").is_dir()  # created: the real run builds it first
    assert parse_digest(["build", "--since", "7d", "-c", "Book Review"], tmp_path).params[
        "categories"
    ] == ("Book Review",)


def test_shell_commands_splits_like_the_shell() -> None:
    script = """
    # a comment
    rm -rf "$out" && digest build --new-only \\
        --out "$out"   # trailing comment
    if [ -f x ]; then digest check --strict "$out"; fi
    FOO=1 python3 -m digest export --to eml --push "$(date +%F)" 2>&1 | tee log
    echo "digest build --not-a-command"; git commit -m "digest: x; y"
    MAILCHIMP_API_KEY="${{ secrets.KEY }}" digest list
    """
    found = [args for c in shell_commands(script) if (args := digest_args(c)) is not None]
    assert found == [
        ["build", "--new-only", "--out", "$out"],
        ["check", "--strict", "$out"],
        ["export", "--to", "eml", "--push", "SUBSTITUTION"],
        ["list"],
    ]
    assert ["git", "commit", "-m", "digest: x; y"] in shell_commands(script)


@pytest.mark.parametrize(
    ("expression", "ok"),
    [
        ("17 7 * * 1", True),
        ("*/15 0-23/2 1,15 jan-jun MON-fri", True),
        ("0 0 * * 7", True),
        ("0 0 * * 8", False),
        ("60 * * * *", False),
        ("0 0 0 * *", False),
        ("0 0 * 13 *", False),
        ("5-1 * * * *", False),
        ("*/0 * * * *", False),
        ("0 0 * * mon 1", False),
        ("@weekly", False),
    ],
)
def test_cron_problems(expression: str, ok: bool) -> None:
    assert (cron_problems(expression) == []) is ok
