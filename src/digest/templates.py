"""The Jinja environment: where templates come from, escaping, and filters.

Templates are looked up in the user's folder first, then in the built-in set,
so a file of the same name overrides a built-in one. The built-ins are also
reachable as ``builtin/<name>``, so an override can extend the original and
replace single blocks (Pelican's loader chain).
"""

from __future__ import annotations

import hashlib
import textwrap
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    import jinja2


from .dates import long_date

TEXT_WIDTH = 72


def builtin_templates_dir() -> Path:
    """The shipped templates: inside the installed package, or ``templates/`` in a checkout."""
    packaged = Path(str(files("digest"))) / "templates"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "templates"


def wrap(text: str, width: int = TEXT_WIDTH) -> str:
    """Wrap a paragraph for the plain-text part; words and URLs are never broken."""
    return textwrap.fill(
        " ".join(str(text).split()),
        width=width,
        break_long_words=False,
        break_on_hyphens=False,
    )


def paragraphs(text: str) -> list[str]:
    """Split text on blank lines into paragraphs with their spacing collapsed."""
    return [" ".join(p.split()) for p in str(text).split("\n\n") if p.strip()]


def host(url: str) -> str:
    return urlsplit(url).netloc or url


def make_environment(templates_dir: Path | None = None) -> jinja2.Environment:
    """A fresh environment: the user's folder first, then the built-in templates.

    Fresh on purpose: a template added to the user's folder must win over a
    built-in one compiled earlier (Jinja's cache would not notice it). One
    render of a digest reuses one environment.
    """
    import jinja2  # deferred: a build whose render is cached never needs Jinja

    builtin = jinja2.FileSystemLoader(str(builtin_templates_dir()))
    loaders: list[jinja2.BaseLoader] = []
    if templates_dir is not None:
        loaders.append(jinja2.FileSystemLoader(str(templates_dir)))
    loaders += [jinja2.PrefixLoader({"builtin": builtin}), builtin]
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        # HTML-ish templates are escaped; the plain-text template must not be.
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("html", "htm", "xml", "mjml", "mjml.j2", "html.j2"),
            disabled_extensions=("txt", "txt.j2"),
            default_for_string=True,
            default=True,
        ),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        extensions=["jinja2.ext.i18n"],
    )
    # ``{{ _("Read more") }}`` in the templates: the source text until catalogs are installed.
    env.install_null_translations(newstyle=True)  # type: ignore[attr-defined]
    env.filters.update(longdate=long_date, wrap=wrap, paragraphs=paragraphs, host=host)
    return env


def templates_hash_for(templates_dir: Path | None) -> str:
    """One hash over the built-in templates and everything in the user's folder."""
    builtin = builtin_templates_dir()
    paths = [(p, "builtin/" + p.name) for p in builtin.glob("*.j2")]
    if templates_dir is not None and templates_dir.is_dir():
        paths += [
            (p, p.relative_to(templates_dir).as_posix())
            for p in templates_dir.rglob("*")
            if p.is_file()
        ]
    digest = hashlib.sha256()
    for path, name in sorted(paths, key=lambda item: item[1]):
        digest.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()
