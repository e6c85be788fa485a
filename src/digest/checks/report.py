"""The report formats of ``digest check``: a summary line, JSON and JUnit XML."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..sizes import kb
from ..wording import plural
from .model import Finding, Report
from .registry import registered


def summary_line(report: Report) -> str:
    return (
        f"{plural(report.count('error'), 'error')}, {plural(report.count('warning'), 'warning')}, "
        f"{plural(report.count('info'), 'note')}; HTML {kb(report.html_bytes)}"
    )


def as_junit(report: Report, *, strict: bool = False, name: str = "digest check") -> str:
    """JUnit XML: one test case per rule, failing on errors (and warnings when strict)."""
    from xml.etree import ElementTree as ET

    names = [r.name for r in registered()]
    suite = ET.Element("testsuite", name=name, tests=str(len(names)))
    failures = 0
    for rule in names:
        case = ET.SubElement(suite, "testcase", classname="digest.check", name=rule)
        failures += junit_findings(case, [f for f in report.findings if f.rule == rule], strict)
    suite.set("failures", str(failures))
    return junit_text(suite)


def junit_findings(case: Any, findings: Sequence[Finding], strict: bool) -> int:
    """Fill one JUnit test case with one rule's findings; 1 if that makes it fail, else 0.

    Errors (and warnings when strict) are its failure; other findings its output.
    """
    from xml.etree import ElementTree as ET

    failing = {"error", "warning"} if strict else {"error"}
    bad = [f for f in findings if f.severity in failing]
    rest = [f for f in findings if f.severity not in failing]
    if bad:
        failure = ET.SubElement(
            case, "failure", message=plural(len(bad), "problem"), type=bad[0].severity
        )
        failure.text = "\n".join(str(f) for f in bad)
    if rest:
        ET.SubElement(case, "system-out").text = "\n".join(str(f) for f in rest)
    return 1 if bad else 0


def junit_text(suite: Any) -> str:
    """A JUnit test suite as an XML document."""
    from xml.etree import ElementTree as ET

    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suite, encoding="unicode") + "\n"
    )
