"""The rule registry: one list of rules, and placeholders from the exporter registry."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

import digest.exporters as registry_module
from digest.checks import EmailParts, Finding, check, rule_names
from digest.checks.registry import rule
from digest.exporters import Email, Export, Exporter, unsubscribe_placeholders


def test_rules_run_in_report_order() -> None:
    assert rule_names() == (
        "size",
        "subject",
        "preheader",
        "links",
        "images",
        "parity",
        "unsubscribe",
        "residue",
        "site",
        "css-support",
        "accessibility",
        "dark-mode",
        "image-widths",
        "image-links",
        "data-detectors",
        "postal-address",
        "contrast",
    )


def test_a_rule_name_cannot_be_registered_twice() -> None:
    with pytest.raises(ValueError, match="registered twice"):

        @rule("size")
        def again(inp: Any) -> Iterator[Finding]:
            yield from ()


def test_junit_has_one_case_per_registered_rule() -> None:
    from digest.checks import as_junit

    parts = EmailParts(html="<html><body><p>x</p></body></html>", text="x", subject="s")
    xml = as_junit(check(parts))
    assert xml.count("<testcase ") == len(rule_names())


class _PluginExporter(Exporter):
    name = "pigeon"
    description = "a plugin service"
    placeholder = "{{pigeon:unsubscribe}}"

    def export(self, email: Email, options: Any) -> Export:
        return Export(files={})


class _EntryPoint:
    name = "pigeon"
    dist = None

    def load(self) -> type[Exporter]:
        return _PluginExporter


def test_check_accepts_a_plugin_exporters_unsubscribe_tag(monkeypatch: pytest.MonkeyPatch) -> None:
    html = (
        '<html lang="en"><head><title>t</title></head><body>'
        '<a href="{{pigeon:unsubscribe}}">Unsubscribe</a></body></html>'
    )
    parts = EmailParts(html=html, text="Unsubscribe: {{pigeon:unsubscribe}}\n", subject="s")
    before = [f for f in check(parts).findings if f.rule in {"unsubscribe", "links", "residue"}]
    assert any(f.severity == "error" for f in before)
    monkeypatch.setattr(registry_module, "_entry_points", lambda: [_EntryPoint()])
    assert "{{pigeon:unsubscribe}}" in unsubscribe_placeholders()
    after = [f for f in check(parts).findings if f.rule in {"unsubscribe", "links", "residue"}]
    assert [f for f in after if f.severity == "error"] == []


def test_placeholders_come_from_every_builtin_with_spacing_variants() -> None:
    tags = unsubscribe_placeholders()
    for expected in (
        "*|UNSUB|*",
        "%unsubscribe_url%",
        "%tag_unsubscribe_url%",
        "{{ UnsubscribeURL }}",
        "{{UnsubscribeURL}}",
        "{{{ pm:unsubscribe }}}",
        "{{{pm:unsubscribe}}}",
        "<%asm_group_unsubscribe_raw_url%>",
    ):
        assert expected in tags
