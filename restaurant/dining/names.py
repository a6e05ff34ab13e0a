"""Diners' display names: what a name may contain, and when two names are the same.

Names appear beside every line of the cart and on the split bill, so one diner must not be
able to pass for another: a name may not equal another diner's of the same meal (compared
after Unicode compatibility folding and case folding, so "Ａlice", "alice" and "ALICE" are
one name), and may not carry invisible formatting characters, among them the bidirectional
overrides (U+202E turns "Bob (paid)" around) and zero-width spaces. The zero-width joiner
and tag characters stay allowed: emoji sequences (a family, a flag) are built from them.
"""

import unicodedata

from restaurant.realtime.errors import OpError

MAX_LENGTH = 24
_ZWJ = "\u200d"
_TAGS = range(0xE0020, 0xE0080)  # emoji tag sequences (subdivision flags)
# Control, format, private-use, surrogate, unassigned, line and paragraph separators.
_REFUSED_CATEGORIES = {"Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp"}


def _refused(char: str) -> bool:
    if char == _ZWJ or ord(char) in _TAGS:
        return False
    return unicodedata.category(char) in _REFUSED_CATEGORIES


def clean_name(name: str) -> str:
    """The name as shown: trimmed, runs of white space folded to one space. Raises OpError
    (`bad_request`) for an empty or over-long name or one with invisible characters."""
    name = " ".join(name.split())
    if not 1 <= len(name) <= MAX_LENGTH:
        raise OpError("bad_request", f"a name has 1..{MAX_LENGTH} characters", detail="name")
    if any(_refused(char) for char in name):
        raise OpError("bad_request", "a name may not contain invisible or control characters",
                      detail="name")  # fmt: skip
    return name


def refuse_invisible(text: str, detail: str) -> None:
    """Text others read (a cart note, a waiter call's words) may not carry the characters a
    name may not: raises OpError(`bad_request`, ``detail``)."""
    if any(_refused(char) for char in text):
        raise OpError("bad_request", "the text may not contain invisible or control characters",
                      detail=detail)  # fmt: skip


def name_key(name: str) -> str:
    """What two names are compared by: NFKC-folded, case-folded, spaces removed."""
    return "".join(unicodedata.normalize("NFKC", name).casefold().split())
