"""One scrubber for the secrets a push or a send holds, in every form they travel in.

A service that echoes a request back (a 400 quoting the ``Authorization``
header, an SMTP server repeating an ``AUTH PLAIN`` line) returns the secret
encoded: base64 of ``api:KEY`` or of ``\\0user\\0password``, percent-encoded,
JSON- or HTML-escaped. Replacing the raw secret misses all of those. Base64 of
any text that contains the secret contains, whatever came before it, one of
three runs of characters that depend on the secret alone (one per position of
the secret in base64's 3-byte groups); a base64 token holding one of them is
replaced whole, so not even its edges are left.

Every error message, log line and ledger entry the push and send paths write
goes through :meth:`Scrubber.__call__`.
"""

from __future__ import annotations

import base64
import html
import json
import quopri
import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import quote, quote_plus

REDACTED = "****"
# Shorter base64 runs would match innocent tokens (a 1- or 2-character
# password has 2-character runs): they are left out, the raw forms are not.
MIN_BASE64_RUN = 4
_BASE64_CHARS = "[A-Za-z0-9+/_-]"  # the standard and the URL-safe alphabets


def base64_runs(secret: bytes) -> set[str]:
    """The base64 characters that only ``secret`` determines, at each of the 3 alignments.

    Character ``i`` of an encoding carries bits ``6i`` to ``6i + 6``; with
    ``shift`` bytes before the secret, the characters wholly inside the secret's
    bits are the ones kept. The URL-safe alphabet gives a second spelling.
    """
    runs: set[str] = set()
    for shift in range(3):
        encoded = base64.b64encode(b"\0" * shift + secret).decode("ascii")
        first = -(-8 * shift // 6)  # ceil
        last = 8 * (shift + len(secret)) // 6
        run = encoded[first:last]
        if len(run) >= MIN_BASE64_RUN:
            runs.add(run)
            runs.add(run.translate(str.maketrans("+/", "-_")))
    return runs


def literal_forms(secret: str) -> set[str]:
    """The secret as text: raw, percent-encoded, JSON-, HTML- and quoted-printable-escaped."""
    raw = secret.encode("utf-8")
    forms = {
        secret,
        quote(secret, safe=""),
        quote_plus(secret, safe=""),
        quote(secret, safe="").lower(),  # %2f as well as %2F
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
        html.escape(secret, quote=True),
        quopri.encodestring(raw).decode("ascii").replace("=\n", ""),
        raw.hex(),  # hex dumps (matched in either case, as every form here)
        "".join(f"%{byte:02x}" for byte in raw),  # every byte percent-encoded
    }
    return {form for form in forms if form}


_TOKEN = re.compile(_BASE64_CHARS + "+=*")


@dataclass(frozen=True, slots=True)
class Scrubber:
    """Replaces every known form of the given secrets by ``****``.

    Two linear passes, whatever the text: first every base64-looking token
    that holds a secret's base64 run or raw form goes whole, then the other
    literal forms (those with ``%``, ``\\`` or ``&`` in them).
    """

    needles: frozenset[str] = frozenset()
    literals: re.Pattern[str] | None = None

    @classmethod
    def of(cls, secrets: Iterable[str | None]) -> Scrubber:
        literals: set[str] = set()
        runs: set[str] = set()
        for secret in secrets:
            if secret:
                literals |= literal_forms(secret)
                first = base64_runs(secret.encode("utf-8"))
                # base64 of text that holds base64 of the secret (an echoed
                # "Authorization: Basic …" line, encoded again) holds these
                second = {r for run in first for r in base64_runs(run.encode("ascii"))}
                runs |= first | second
        if not literals:
            return cls()
        words = "|".join(re.escape(form) for form in sorted(literals, key=len, reverse=True))
        return cls(
            frozenset(runs | {form.lower() for form in literals}),
            re.compile(words, re.IGNORECASE),
        )

    def __call__(self, text: str) -> str:
        if self.literals is None:
            return text
        text = _TOKEN.sub(self._token, text)
        return self.literals.sub(REDACTED, text)

    def _token(self, match: re.Match[str]) -> str:
        token = match.group()
        folded = token.lower()
        hit = any(needle in token or needle.lower() in folded for needle in self.needles)
        return REDACTED if hit else token
