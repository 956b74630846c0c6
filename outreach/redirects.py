"""Where a redirect may go when the request names the target (``?next=``, a form's ``next``).

Only paths on this site are allowed, following OWASP's advice for unvalidated redirects:
the target must read as a path (``/board?country=PL``) both as sent and after percent-decoding
it (up to three times, for double- and triple-encoded forms), with no scheme, no host, no
backslash and no control character (browsers drop tabs and line breaks inside an address and
read ``\\`` as ``/``, so ``/\\t/evil.example`` and ``/\\evil.example`` reach another site).
Anything else is replaced by the caller's fallback; nothing is "repaired".
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

#: Longer targets are not worth parsing: no page of ours has such an address.
MAX_LENGTH = 2048
_DECODE_ROUNDS = 3
#: Control characters (tab, line breaks, NUL ...), DEL, and the backslash.
_FORBIDDEN = re.compile(r"[\x00-\x1f\x7f\\]")


def _is_local_path(value: str) -> bool:
    if _FORBIDDEN.search(value):
        return False
    if not value.startswith("/") or value.startswith("//"):
        return False
    parts = urlsplit(value)
    return not parts.scheme and not parts.netloc


def safe_target(target: str | None, fallback: str) -> str:
    """``target`` when it is a path on this site, else ``fallback``."""
    if not target or len(target) > MAX_LENGTH:
        return fallback
    value = target
    for _round in range(_DECODE_ROUNDS + 1):
        if not _is_local_path(value):
            return fallback
        decoded = unquote(value)
        if decoded == value:
            return target
        value = decoded
    return fallback  # still encoded after every round: not an address any page of ours makes
