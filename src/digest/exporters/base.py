"""What every exporter shares: the email as exporters see it, the interface, options.

An exporter turns a built digest into what one mailing service (or mail
client) accepts: files to write and, for services with an API, the HTTP
requests that ``--push`` sends. It never renders: it takes the final HTML and
text and makes the last changes, in this order, after escaping and CSS
inlining, so that nothing can undo them. First :meth:`Exporter.build`
neutralises every field of the email and of the options — content that *any*
supported service would read as its template syntax (``SYNTAXES``) — then the
exporter inserts its service's unsubscribe placeholder, which therefore stays
live.
"""

from __future__ import annotations

import html as html_lib
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any, ClassVar

from ..errors import ConfigError, ExportError
from ..models import UNSUBSCRIBE_STANDIN, Problem


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
    preferences_url: str = ""  # the footer's "Manage preferences" link, if any


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
    # The service's "manage preferences" link, put where [email] preferences_url is linked.
    preferences_placeholder: ClassVar[str | None] = None
    options: ClassVar[Mapping[str, Option]] = {}
    credentials: ClassVar[Credentials | None] = None  # None: no push
    # Where an editor sees whether a push went out, for an unconfirmed one.
    activity_log: ClassVar[str] = "the service's dashboard"
    default_base_url: ClassVar[str] = ""

    @abstractmethod
    def export(self, email: Email, options: Mapping[str, Any]) -> Export:
        """Build the files (and requests) for ``email`` with validated ``options``.

        Called through :meth:`build`, so every string in ``email`` and ``options``
        is already neutralised: only the placeholder is left to insert.
        """

    def build(self, email: Email, options: Mapping[str, Any]) -> Export:
        """``export`` on neutralised input: what callers use, so no exporter can forget it.

        Neutralising the input rather than each exporter's payload means every
        field an exporter derives (subjects cut to a service's limit, names, tags)
        is built from defused text, and the placeholder, inserted by the
        exporter, comes after it.
        """
        if self.unsubscribe_tag(options) is None and (
            UNSUBSCRIBE_STANDIN in email.html or UNSUBSCRIBE_STANDIN in email.text
        ):
            raise ExportError(
                f"{self.name}: the digest was built without an unsubscribe link, and "
                f"{self.name} has no unsubscribe tag of its own to put in its place",
                hint="set [email] unsubscribe_url in digest.toml and build again",
            )
        return self.export(neutralised(email), neutralise_value(options))

    def unsubscribe_tag(self, options: Mapping[str, Any]) -> str | None:
        """The tag this export puts where the unsubscribe link goes (None: none of its own)."""
        return self.placeholder

    def preferences_tag(self, options: Mapping[str, Any]) -> str | None:
        """The tag this export puts where the preferences link goes (None: the URL stays)."""
        return self.preferences_placeholder

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


@dataclass(frozen=True, slots=True)
class Syntax:
    """One family of mailing-service template syntax, by the character that opens it.

    Breaking the opener is enough: no service reads ``{``, a zero-width space and
    ``{`` as ``{{``, nor ``&#123;{`` (the service sees the entity, not the brace).
    ``html`` replaces it in HTML (an entity: readers see the same character, the
    service's template engine does not); ``text`` everywhere else (the character
    and a zero-width space, invisible in subjects, headers and plain text).
    Neither replacement contains an opener, so neutralising twice changes nothing.
    """

    name: str
    opener: str  # a regular expression matching exactly the one character to replace
    html: str
    text: str


ZWSP = "\u200b"
SYNTAXES: tuple[Syntax, ...] = (
    # SendGrid, Postmark, SES, Mailgun templates, Handlebars ({{#if}}, {{> partial}}),
    # Mustache ({{{ raw }}}), Go templates in listmonk ({{ .X }}, {{- … -}}) and Buttondown's
    # Django-style {% tag %} / {# comment #}.
    Syntax("{{ }} / {% %} templates", r"\{(?=[{%#])", "&#123;", "{" + ZWSP),
    # Mailchimp *|MERGE|*, also URL-encoded in links (*%7CEMAIL%7C*), which Mailchimp reads too.
    Syntax("Mailchimp *|MERGE|*", r"\*(?=\||%7[cC])", "&#42;", "*" + ZWSP),
    # Mailgun %recipient.name%, %unsubscribe_url%, …; "%C3%A9" is a URL escape, not a variable.
    Syntax(
        "Mailgun %variable%",
        r"%(?![0-9A-Fa-f]{2})(?=[A-Za-z_][\w.:-]*%)",
        "&#37;",
        "%" + ZWSP,
    ),
    # SendGrid's <%asm_group_unsubscribe_raw_url%> family; content "<" is already &lt; in HTML.
    Syntax("SendGrid <% %>", r"<(?=%)", "&lt;", "<" + ZWSP),
)
_OPENERS = re.compile("|".join(f"(?P<s{i}>{s.opener})" for i, s in enumerate(SYNTAXES)))


def _replacement(form: str) -> Callable[[re.Match[str]], str]:
    by_group = {f"s{i}": str(getattr(syntax, form)) for i, syntax in enumerate(SYNTAXES)}
    return lambda match: by_group[str(match.lastgroup)]


_AS_HTML, _AS_TEXT = _replacement("html"), _replacement("text")


def neutralise_html(value: str) -> str:
    """HTML ``value`` with every opener of every service's syntax as an entity."""
    return _OPENERS.sub(_AS_HTML, value)


def neutralise_text(value: str) -> str:
    """Text ``value`` (a part, subject, name, tag or header) with every opener split."""
    return _OPENERS.sub(_AS_TEXT, value)


def neutralise_value(value: Any) -> Any:
    """``value`` with every string in it, however nested, neutralised as text."""
    if isinstance(value, str):
        return neutralise_text(value)
    if isinstance(value, Mapping):
        return {key: neutralise_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(neutralise_value(item) for item in value)
    return value


# The digest's own links: placeholders replace them, headers carry them; a zero-width space
# would break them, and they come from digest.toml, not from posts.
_VERBATIM = frozenset({"site_url", "unsubscribe_url", "unsubscribe_mailto", "preferences_url"})
# Fields that become header values, where RFC 2047 encoded words are decoded on the way.
_HEADERS = frozenset({"subject", "site_name", "sender", "reply_to", "recipient", "list_id"})


def decoded_words(value: str) -> str:
    """``value`` as a mail reader shows it in a header: RFC 2047 encoded words decoded.

    Python's ``email`` (and any relay) decodes ``=?utf-8?q?=7B=7Bx=7D=7D?=`` to ``{{x}}``
    when it reads a header, so a merge tag could hide inside one from the neutraliser.
    """
    if "=?" not in value:
        return value
    from email.errors import HeaderParseError
    from email.header import decode_header, make_header

    try:
        return str(make_header(decode_header(value)))
    except (HeaderParseError, LookupError, ValueError):  # a malformed or unknown encoding
        return value


def neutralised(email: Email) -> Email:
    """``email`` as any service may receive it: no field reads as template syntax.

    Every service's syntax is defused in every field, whatever the service: a
    digest may be exported to several, relayed by one (Mandrill and Mailgun
    merge tags in SMTP mail too), and post content must never become a merge
    tag, a conditional or a feed fetch anywhere.
    """
    changes: dict[str, Any] = {"html": neutralise_html(email.html)}
    for name in Email.__dataclass_fields__:
        value = getattr(email, name)
        if name in _HEADERS:
            value = decoded_words(value)
        if name != "html" and name not in _VERBATIM:
            changes[name] = neutralise_value(value)
    return replace(email, **changes)


def with_placeholder(email: Email, html: str, text: str, placeholder: str) -> tuple[str, str]:
    """Put ``placeholder`` where the digest links its unsubscribe URL (or mailto).

    Without either in digest.toml, the footer links digest's stand-in address,
    which is what gets replaced: the service's tag is all a subscriber needs.
    """
    target = email.unsubscribe_url or email.unsubscribe_mailto or UNSUBSCRIBE_STANDIN
    # The link as the neutralised parts hold it (unchanged unless it looks like a merge tag).
    escaped = neutralise_html(html_lib.escape(target, quote=True))
    in_text = neutralise_text(target)
    if target == UNSUBSCRIBE_STANDIN and (f'href="{escaped}"' not in html or in_text not in text):
        raise ExportError(
            "digest.toml names no unsubscribe link, and the built digest carries none to "
            "replace with the service's placeholder",
            hint="build again with this digest.toml, or set [email] unsubscribe_url",
        )
    if f'href="{escaped}"' not in html or in_text not in text:
        raise ExportError(
            f"the unsubscribe link {target} is missing from the built digest",
            hint="rebuild with the current digest.toml, or keep the footer's unsubscribe link",
        )
    # Inserted verbatim, even "<%…%>": the service substitutes it before any client parses it.
    html = html.replace(f'href="{escaped}"', f'href="{placeholder}"')
    text = text.replace(in_text, placeholder)
    return html, text


def service_parts(exporter: Exporter, email: Email, options: Mapping[str, Any]) -> tuple[str, str]:
    """The HTML and text a service receives: ``email``'s (already neutralised by
    :meth:`Exporter.build`), with the service's unsubscribe tag, if it has one for
    these options, put in last."""
    tag = exporter.unsubscribe_tag(options)
    html, text = (
        with_placeholder(email, email.html, email.text, tag) if tag else (email.html, email.text)
    )
    return with_preferences(email, html, text, exporter.preferences_tag(options))


def with_preferences(email: Email, html: str, text: str, tag: str | None) -> tuple[str, str]:
    """Put the service's preferences ``tag`` where the footer links [email] preferences_url.

    A digest built without the link (an older build, a template without it) is left
    as it is: the preferences link is a courtesy, the unsubscribe link the requirement.
    """
    target = email.preferences_url
    if not tag or not target or target in {email.unsubscribe_url, email.unsubscribe_mailto}:
        return html, text
    escaped = neutralise_html(html_lib.escape(target, quote=True))
    return html.replace(f'href="{escaped}"', f'href="{tag}"'), text.replace(
        neutralise_text(target), tag
    )


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
