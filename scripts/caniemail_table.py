"""Derive digest's compact email-client support table from the caniemail data.

caniemail (https://www.caniemail.com, MIT licence, (c) Rémi Parmentier) keeps
one Markdown file per HTML/CSS feature whose front matter holds test results
per client, platform and version. ``digest check`` needs far less: for each
feature it can detect in an email, which of the major clients lack it (or
support it only in part) in their latest tested version. This script writes
that table to ``src/digest/data/caniemail.json`` together with the licence.

    python scripts/caniemail_table.py ../shared/caniemail

Re-run it when the caniemail snapshot changes and commit the result.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
from pathlib import Path
from typing import Any

import yaml

OUT = Path(__file__).resolve().parents[1] / "src" / "digest" / "data"

# The clients whose support decides whether a feature is safe to rely on.
MAJOR = {
    ("gmail", "desktop-webmail"): "Gmail (webmail)",
    ("gmail", "ios"): "Gmail (iOS)",
    ("gmail", "android"): "Gmail (Android)",
    ("outlook", "windows"): "Outlook (Windows)",
    ("apple-mail", "macos"): "Apple Mail (macOS)",
    ("apple-mail", "ios"): "Apple Mail (iOS)",
    ("yahoo", "desktop-webmail"): "Yahoo! Mail (webmail)",
    ("yahoo", "ios"): "Yahoo! Mail (iOS)",
    ("yahoo", "android"): "Yahoo! Mail (Android)",
}
SKIP = {
    "amp",
    "bimi",
    "css-comments",
    "html-comments",
    "html-doctype",
    "html-semantics",
    "html-body",
}


def _block(front: str, key: str) -> str | None:
    """The ``key: { … }`` block of a front matter, by brace matching (it is YAML-ish, not YAML)."""
    start = re.search(rf"^{key}:\s*\{{", front, re.MULTILINE)
    if not start:
        return None
    depth, index = 0, start.end() - 1
    for index in range(start.end() - 1, len(front)):
        char = front[index]
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                break
    return front[start.end() - 1 : index + 1]


def _yaml(text: str) -> Any:
    return yaml.load(
        text.replace("\t", "    "), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    )


def read_feature(path: Path) -> dict[str, Any] | None:
    text = path.read_text(encoding="utf-8")
    front = text.split("---", 2)[1]
    title = re.search(r'^title:\s*"?(.*?)"?\s*$', front, re.MULTILINE)
    category = re.search(r"^category:\s*(\S+)", front, re.MULTILINE)
    stats_block = _block(front, "stats")
    if not (title and stats_block):
        return None
    notes: dict[str, str] = {}
    notes_block = _block(front, "notes_by_num")
    if notes_block:
        try:
            notes = {str(k): str(v) for k, v in (_yaml(notes_block) or {}).items()}
        except yaml.YAMLError:
            # A few files hold notes that are not valid YAML; keep what parses line by line.
            for number, note in re.findall(r'"(\d+)":\s*"(.*)",?\s*$', notes_block, re.MULTILINE):
                notes[number] = note
    return {
        "title": title.group(1),
        "category": category.group(1) if category else "",
        "stats": _yaml(stats_block),
        "notes": notes,
    }


def latest(versions: dict[str, str]) -> str:
    """The result for the most recent tested version (caniemail lists them in order)."""
    return str(list(versions.values())[-1]).strip()


def support(feature: dict[str, Any]) -> tuple[list[str], list[dict[str, Any]]]:
    unsupported: list[str] = []
    partial: list[dict[str, Any]] = []
    for (family, platform), name in MAJOR.items():
        versions = (feature["stats"].get(family) or {}).get(platform)
        if not versions:
            continue
        value = latest(versions)
        refs = re.findall(r"#(\d+)", value)
        notes = [feature["notes"][r] for r in refs if r in feature["notes"]]
        if value.startswith("n"):
            unsupported.append(name)
        elif value.startswith("a"):
            partial.append({"client": name, "notes": notes})
    return unsupported, partial


def detection(slug: str, title: str) -> list[dict[str, str]]:
    """How ``digest check`` recognises a feature in an email; [] when it cannot."""
    t = re.sub(r"\s+(property|element|elements|attribute|CSS property)$", "", title.strip())
    if slug in SKIP or slug.startswith("css-selector-"):
        return []
    if slug == "css-important":
        return [{"kind": "important"}]
    if slug == "css-variables":
        return [{"kind": "function", "name": "var"}]
    if slug.startswith("css-at-media-"):
        names = re.findall(r"\(([-a-z]+)\)", t)
        return [{"kind": "media-feature", "name": n} for n in names]
    if slug.startswith("css-at-"):
        return [{"kind": "at-rule", "name": t.lstrip("@")}]
    if slug.startswith("css-pseudo-"):
        name = t.split("(")[0]
        return [{"kind": "pseudo", "name": name if name.startswith(":") else ":" + name}]
    if slug.startswith("css-unit-"):
        unit = slug.removeprefix("css-unit-")
        if unit in {"calc"}:
            return [{"kind": "function", "name": "calc"}]
        if unit == "initial":
            return [{"kind": "keyword", "name": "initial"}]
        return [{"kind": "unit", "name": "%" if unit == "percent" else unit}]
    if slug.startswith("css-"):
        functions = re.findall(r"([a-z-]+)\(\)", t)
        if functions:
            return [{"kind": "function", "name": f} for f in functions]
        if ":" in t:
            prop, value = (x.strip() for x in t.split(":", 1))
            return [{"kind": "property-value", "name": prop, "value": value}]
        names = [n.strip() for n in re.split(r",|&| and ", t) if n.strip()]
        if all(re.fullmatch(r"[a-z-]+", n) for n in names):
            return [{"kind": "property", "name": n} for n in names]
        return []
    if slug.startswith("html-"):
        if slug == "html-h1-h6":
            return [{"kind": "element", "name": f"h{i}"} for i in range(1, 7)]
        if slug == "html-mailto-links":
            return [{"kind": "link-scheme", "name": "mailto"}]
        if slug == "html-anchor-links":
            return [{"kind": "link-scheme", "name": "#"}]
        if slug == "html-meta-color-scheme":
            return [{"kind": "meta", "name": "color-scheme"}]
        if slug == "html-srcset":
            return [{"kind": "attribute", "name": "srcset"}, {"kind": "attribute", "name": "sizes"}]
        if slug == "html-image-maps":
            return [{"kind": "element", "name": "map"}]
        if slug == "html-svg":
            return [{"kind": "element", "name": "svg"}]
        elements = re.findall(r"<([a-z0-9]+)(?:\s+type=\"([a-z]+)\")?>", t)
        if elements:
            return [
                {"kind": "element", "name": e, **({"type": typ} if typ else {})}
                for e, typ in elements
            ]
        if re.fullmatch(r"[a-z-]+", t):
            kind = "attribute" if title.endswith("attribute") else "element"
            return [{"kind": kind, "name": t}]
        return []
    if slug.startswith("image-"):
        ext = {"jpg": ["jpg", "jpeg"], "heif": ["heif", "heic"], "tiff": ["tif", "tiff"]}
        fmt = slug.removeprefix("image-")
        if fmt == "base64":
            return [{"kind": "image-data-uri"}]
        if fmt == "mp4":
            return [{"kind": "image-format", "name": "mp4"}]
        return [{"kind": "image-format", "name": e} for e in ext.get(fmt, [fmt])]
    return []


def build_table(source: Path) -> dict[str, Any]:
    features: dict[str, Any] = {}
    skipped: list[str] = []
    for path in sorted((source / "_features").glob("*.md")):
        slug = path.stem
        if slug.startswith("_"):
            continue
        feature = read_feature(path)
        if feature is None:
            skipped.append(slug)
            continue
        unsupported, partial = support(feature)
        detect = detection(slug, feature["title"])
        if not detect or not (unsupported or partial):
            continue
        features[slug] = {
            "title": feature["title"],
            "url": f"https://www.caniemail.com/features/{slug}/",
            "detect": detect,
            "unsupported": unsupported,
            "partial": partial,
        }
    origin = (source / "SOURCE.txt").read_text(encoding="utf-8")
    commit = re.search(r"Snapshot commit\s*:\s*([0-9a-f]{40})", origin)
    return {
        "attribution": "Derived from caniemail (https://www.caniemail.com), "
        "MIT licence, Copyright (c) 2019 Rémi Parmentier; see caniemail-LICENSE.txt.",
        "source_commit": commit.group(1) if commit else "",
        "clients": sorted(set(MAJOR.values())),
        "features": features,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="a caniemail checkout (with _features/)")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    if not (args.source / "_features").is_dir():
        print(f"error: {args.source} has no _features/ folder", file=sys.stderr)
        return 1
    table = build_table(args.source)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "caniemail.json").write_text(
        json.dumps(table, indent=1, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8"
    )
    shutil.copyfile(args.source / "LICENSE", args.out / "caniemail-LICENSE.txt")
    print(f"{len(table['features'])} features written to {args.out / 'caniemail.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
