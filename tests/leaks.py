"""Does a text give a secret away, in any encoding a test can think of?

Independent of the scrubber under test: every base64-looking token is decoded
at each of the four character alignments (in both alphabets), so the secret
is found inside base64 of ``api:KEY``, ``\\0user\\0password`` or anything else.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import re
from urllib.parse import quote, quote_plus

_TOKEN = re.compile(r"[A-Za-z0-9+/_-]{4,}")


def _decodings(token: str) -> list[bytes]:
    found = []
    for skip in range(4):
        chunk = token[skip:]
        if len(chunk) % 4 == 1:  # a lone last character encodes no whole byte
            chunk = chunk[:-1]
        chunk += "=" * (-len(chunk) % 4)
        for altchars in (b"+/", b"-_"):
            with contextlib.suppress(binascii.Error, ValueError):
                found.append(base64.b64decode(chunk, altchars=altchars, validate=True))
    return found


def exposes(text: str, secret: str) -> bool:
    """True if ``text`` contains ``secret`` raw, percent-encoded or base64-encoded."""
    if any(form in text for form in (secret, quote(secret, safe=""), quote_plus(secret))):
        return True
    raw = secret.encode()
    return any(raw in decoded for t in _TOKEN.findall(text) for decoded in _decodings(t))
