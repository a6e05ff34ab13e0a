"""The pinyin initials of a dish's name, which the menu's search boxes match: 宫保鸡丁 → "gbjd".
Diners and waiters type them on a phone's Latin keyboard faster than the characters.

pypinyin, not a table of our own: it is the maintained library for this (its dictionary of
characters and phrases is what picks 重庆's "c" over 重量's "z", which a character table
cannot)."""

from functools import lru_cache

from pypinyin import Style, lazy_pinyin


# The menu is built again for every menu version, and names rarely change: each name's
# initials are worked out once per process. Bounded, for a deployment of many restaurants.
@lru_cache(maxsize=8192)
def initials(name: str) -> str:
    """The pinyin initials of ``name``, lower case: "宫保鸡丁" → "gbjd"; a run of other
    letters gives the initial of each word ("可乐 Cola" → "klc"), digits stay ("2号套餐" →
    "2htc"); "" for a name with neither."""
    found = []
    for chunk in lazy_pinyin(name, style=Style.FIRST_LETTER, errors="default"):
        for word in chunk.split():
            first = next((c for c in word if c.isalnum()), "")
            found.append(first.lower())
            found.extend(c for c in word[1:] if c.isdigit())
    return "".join(found)
