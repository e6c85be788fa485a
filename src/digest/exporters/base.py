"""What every exporter shares: the email as exporters see it, the interface, options.

An exporter turns a built digest into what one mailing service (or mail
client) accepts: files to write and, for services with an API, the HTTP
requests that ``--push`` sends. It never renders: it takes the final HTML and
text and makes the last, service-specific changes — neutralising content that
the service would read as its own template syntax, then inserting the
service's unsubscribe placeholder — in that order, after escaping and CSS
inlining, so that nothing can undo them.
"""

from __future__ import annotations

import html as html_lib
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, ClassVar

from ..errors import ConfigError, ExportError
from ..models import UNSUBSCRIBE_STANDIN, Problem

Neutraliser = Callable[[str, str], tuple[str, str]]


@dataclass(frozen=True, slots=True, kw_only=True)
class Email:
    """A built digest, final parts plus the settings exporters need."""

    html: str
    text: str
    subject: str
    preheader: str
    site_name: str
    site_url: str
    sender: str
    reply_to: str
    recipient: str
    unsubscribe_url: str
    unsubscribe_mailto: str
    list_id: str
    issue_date: date
    date: datetime  # the Date header: the issue day at the configured send time
    sections: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Expect:
    """The answer a service's API description promises when a request worked.

    Anything else — a redirect, another status, a body without the id — is a
    failure, never recorded as sent: a captive portal or a wrong address
    answers ``200`` or ``302`` too. ``id`` is the dotted path of the id in a
    JSON body (``"data.id"``); ``fields`` are members that must have exactly
    these values (Postmark's ``ErrorCode: 0``); ``empty`` means no body at all.
    """

    status: int
    id: str = ""
    fields: Mapping[str, Any] = field(default_factory=dict)
    empty: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class HttpRequest:
    """One API call of a push. ``path`` may name ``{id}``: the previous response's id."""

    method: str
    path: str
    json: Any = None
    form: Mapping[str, Any] | None = None
    label: str = ""
    expect: Expect | None = None  # None: any 2xx (declare it: see Expect)
    # Whether the service sends mail on this request (a draft is not sent): a request
    # that sends is never retried once it may have arrived, unless the service takes
    # an idempotency key, in this header (only where its API documents one).
    sends: bool = True
    idempotency_header: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Export:
    """What an exporter produced: files (name → bytes) and the requests a push sends."""

    files: Mapping[str, bytes]
    requests: tuple[HttpRequest, ...] = ()


@dataclass(frozen=True, slots=True)
class Option:
    """One ``[export.NAME]`` option: how to check it, and its default (None: required)."""

    check: Callable[[Any], Any]
    default: Any = None
    required: bool = False
    help: str = ""


@dataclass(frozen=True, slots=True)
class Credentials:
    """How a push authenticates, by environment variable names (never the values)."""

    scheme: str  # "basic", "bearer", "header"
    secret_env: str
    user_env: str | None = None  # basic auth user; None means a fixed user
    user: str = ""
    header: str = ""
    prefix: str = ""  # e.g. "Token " before the secret in the header
    base_url_env: str = ""
    extra_env: tuple[str, ...] = field(default=())  # further required variables (AWS_REGION)

    @property
    def required(self) -> tuple[str, ...]:
        """Every environment variable a push needs, for checks and for ``digest exporters``."""
        return tuple(e for e in (self.secret_env, self.user_env, *self.extra_env) if e)


class Exporter(ABC):
    """The interface every exporter, built-in or plugin, implements."""

    name: ClassVar[str]
    description: ClassVar[str]
    placeholder: ClassVar[str | None] = None  # the service's unsubscribe placeholder
    # Other spellings of it the service also substitutes, accepted by `digest check`.
    placeholder_aliases: ClassVar[tuple[str, ...]] = ()
    options: ClassVar[Mapping[str, Option]] = {}
    credentials: ClassVar[Credentials | None] = None  # None: no push
    # Where an editor sees whether a push went out, for an unconfirmed one.
    activity_log: ClassVar[str] = "the service's dashboard"
    default_base_url: ClassVar[str] = ""

    @abstractmethod
    def export(self, email: Email, options: Mapping[str, Any]) -> Export:
        """Build the files (and requests) for ``email`` with validated ``options``."""

    # Applied in order to the final HTML and text: see DEFUSE_* below.
    neutralisers: ClassVar[tuple[Neutraliser, ...]] = ()

    def neutralise(self, html: str, text: str) -> tuple[str, str]:
        """Defuse post content the service would read as its own template syntax."""
        for neutraliser in self.neutralisers:
            html, text = neutraliser(html, text)
        return html, text

    def base_url(self, env: Mapping[str, str]) -> str:
        """The API address: the override variable when set, else the service's own."""
        override = self.credentials.base_url_env if self.credentials else ""
        if override and env.get(override):
            return env[override].rstrip("/")
        return self.service_url(env)

    def service_url(self, env: Mapping[str, str]) -> str:
        """The service's address without an override (it may depend on the credentials)."""
        if not self.default_base_url:
            override = self.credentials.base_url_env if self.credentials else "its URL"
            raise ExportError(
                f"{self.name}: {override} is not set", hint=f"export {override}=https://…"
            )
        return self.default_base_url

    def validate_options(self, raw: Mapping[str, Any]) -> tuple[dict[str, Any], list[Problem]]:
        """Check ``[export.NAME]`` like the rest of the config: every error at once."""
        values: dict[str, Any] = {}
        errors: list[str] = []
        for key, option in self.options.items():
            if key not in raw:
                if option.required:
                    errors.append(f"[export.{self.name}] {key}: required ({option.help})")
                values[key] = option.default
                continue
            try:
                values[key] = option.check(raw[key])
            except ValueError as exc:
                errors.append(f"[export.{self.name}] {key}: {exc}, found {raw[key]!r}")
        if errors:
            raise ConfigError(errors)
        warnings = [
            Problem(where=f"[export.{self.name}]", message=f"unknown option {key!r} ignored")
            for key in raw
            if key not in self.options
        ]
        return values, warnings


# --- the last steps: neutralise, then the placeholder ------------------------------------------


def defuse(
    pattern: str, html_replacement: str, text_replacement: str
) -> Callable[[str, str], tuple[str, str]]:
    """Replace ``pattern`` by an HTML entity form and a zero-width-split text form."""
    compiled = re.compile(pattern)

    def apply(html: str, text: str) -> tuple[str, str]:
        return compiled.sub(html_replacement, html), compiled.sub(text_replacement, text)

    return apply


ZWSP = "\u200b"
# {{ … }} (Handlebars, Mustache, Go templates, Django/Jinja): the HTML keeps showing "{{".
DEFUSE_BRACES = defuse(r"\{(?=[{%#])", "&#123;", "{" + ZWSP)
# *|MERGE|* (Mailchimp)
DEFUSE_MERGE = defuse(r"\*\|", "*&#124;", "*" + ZWSP + "|")
# %recipient.name%, %unsubscribe_url% (Mailgun)
DEFUSE_PERCENT = defuse(r"%(?=[A-Za-z_][\w.:-]*%)", "&#37;", "%" + ZWSP)
# <%asm_group_unsubscribe_raw_url%> (SendGrid); in HTML "<" is already &lt;
DEFUSE_ASM = defuse(r"<%", "&lt;%", "<" + ZWSP + "%")


def with_placeholder(email: Email, html: str, text: str, placeholder: str) -> tuple[str, str]:
    """Put ``placeholder`` where the digest links its unsubscribe URL (or mailto).

    Without either in digest.toml, the footer links digest's stand-in address,
    which is what gets replaced: the service's tag is all a subscriber needs.
    """
    target = email.unsubscribe_url or email.unsubscribe_mailto or UNSUBSCRIBE_STANDIN
    escaped = html_lib.escape(target, quote=True)
    if target == UNSUBSCRIBE_STANDIN and (f'href="{escaped}"' not in html or target not in text):
        raise ExportError(
            "digest.toml names no unsubscribe link, and the built digest carries none to "
            "replace with the service's placeholder",
            hint="build again with this digest.toml, or set [email] unsubscribe_url",
        )
    if f'href="{escaped}"' not in html or target not in text:
        raise ExportError(
            f"the unsubscribe link {target} is missing from the built digest",
            hint="rebuild with the current digest.toml, or keep the footer's unsubscribe link",
        )
    # Inserted verbatim, even "<%…%>": the service substitutes it before any client parses it.
    html = html.replace(f'href="{escaped}"', f'href="{placeholder}"')
    text = text.replace(target, placeholder)
    return html, text


def service_parts(exporter: Exporter, email: Email) -> tuple[str, str]:
    """The HTML and text a service receives: neutralised, then with its placeholder."""
    html, text = exporter.neutralise(email.html, email.text)
    if exporter.placeholder:
        html, text = with_placeholder(email, html, text, exporter.placeholder)
    return html, text


def list_unsubscribe(email: Email) -> str:
    """The List-Unsubscribe header value: https first, then mailto (RFC 2369, RFC 8058)."""
    links = [f"<{u}>" for u in (email.unsubscribe_url, email.unsubscribe_mailto) if u]
    return ", ".join(links)


def address(value: str) -> tuple[str, str]:
    """("Name", "addr@host") from "Name <addr@host>" or "addr@host"."""
    from email.utils import parseaddr

    name, addr = parseaddr(value)
    return name, addr


def recipients(email: Email, configured: Any, exporter: str) -> list[str]:
    """The ``to`` option (a string or a list), else ``[email] to``; an error when neither is set."""
    given = [configured] if isinstance(configured, str) else list(configured or ())
    found = [r for r in given if r] or ([email.recipient] if email.recipient else [])
    if not found:
        raise ExportError(
            f"{exporter} needs recipients", hint=f"set [export.{exporter}] to or [email] to"
        )
    return found


def require(value: str, what: str, key: str) -> str:
    if not value:
        raise ExportError(f"{what} is not set", hint=f"set {key} in digest.toml")
    return value


def categories(email: Email, limit: int, extra: tuple[str, ...] = ()) -> list[str]:
    """Tags/categories for a service: given ones first, then section titles, de-duplicated."""
    seen: dict[str, str] = {}
    for name in (*extra, *email.sections):
        seen.setdefault(name.casefold(), name[:255])
    return list(seen.values())[:limit]
