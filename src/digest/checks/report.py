"""The report formats of ``digest check``: a summary line, JSON and JUnit XML."""

from __future__ import annotations

from ..sizes import kb
from ..wording import plural
from .model import Report
from .registry import registered


def summary_line(report: Report) -> str:
    return (
        f"{plural(report.count('error'), 'error')}, {plural(report.count('warning'), 'warning')}, "
        f"{plural(report.count('info'), 'note')}; HTML {kb(report.html_bytes)}"
    )


def as_junit(report: Report, *, strict: bool = False, name: str = "digest check") -> str:
    """JUnit XML: one test case per rule, failing on errors (and warnings when strict)."""
    from xml.etree import ElementTree as ET

    failing = {"error", "warning"} if strict else {"error"}
    names = [r.name for r in registered()]
    suite = ET.Element("testsuite", name=name, tests=str(len(names)))
    failures = 0
    for rule in names:
        case = ET.SubElement(suite, "testcase", classname="digest.check", name=rule)
        mine = [f for f in report.findings if f.rule == rule]
        bad = [f for f in mine if f.severity in failing]
        if bad:
            failures += 1
            failure = ET.SubElement(
                case, "failure", message=plural(len(bad), "problem"), type=bad[0].severity
            )
            failure.text = "\n".join(str(f) for f in bad)
        rest = [f for f in mine if f.severity not in failing]
        if rest:
            ET.SubElement(case, "system-out").text = "\n".join(str(f) for f in rest)
    suite.set("failures", str(failures))
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suite, encoding="unicode") + "\n"
    )
