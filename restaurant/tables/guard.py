"""Slow down token guessing. Only misses count (a mistyped or rotated code), so a restaurant's
shared Wi-Fi full of diners opening real tables is never limited; an address that misses
more than TOKEN_MISS_LIMIT times in TOKEN_MISS_WINDOW seconds is refused for a while.
(144-bit tokens cannot be enumerated anyway; this keeps the noise out of the logs and DB.)"""

from django.conf import settings
from django.core.cache import cache


def _key(address: str | None) -> str:
    return f"token-miss:{address or '-'}"


def is_guessing(address: str | None) -> bool:
    return cache.get(_key(address), 0) >= settings.RESTAURANT["TOKEN_MISS_LIMIT"]


def record_miss(address: str | None) -> None:
    key = _key(address)
    if cache.add(key, 1, timeout=settings.RESTAURANT["TOKEN_MISS_WINDOW"]):
        return
    try:
        cache.incr(key)
    except ValueError:  # expired in between
        cache.add(key, 1, timeout=settings.RESTAURANT["TOKEN_MISS_WINDOW"])
