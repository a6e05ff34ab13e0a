"""Token guessing, noticed per address. Only misses count (a mistyped or rotated code), and
only misses are answered differently: an address past TOKEN_MISS_LIMIT misses within
TOKEN_MISS_WINDOW seconds gets 429 for its further misses (HTTP), logged once per window.
A real token or a diner's cookie is never refused for it: a restaurant's diners share one
address (its Wi-Fi behind NAT) with whoever on it guesses, and refusing by address would let
one guesser lock a whole dining room out.

What this buys is a signal, not secrecy: tokens carry 144 random bits, so guessing one is
hopeless at any rate; the limit tells the operator (log, `restaurant_token_guessers_total`)
and tells a well-behaved client to stop. The per-address socket limits
(restaurant/realtime/address_limit.py) bound what a guesser can cost a worker."""

import logging

from django.conf import settings
from django.core.cache import cache

from restaurant.realtime import metrics

logger = logging.getLogger(__name__)


def _key(address: str | None) -> str:
    return f"token-miss:{address or '-'}"


def is_guessing(address: str | None) -> bool:
    return cache.get(_key(address), 0) > settings.RESTAURANT["TOKEN_MISS_LIMIT"]


def record_miss(address: str | None) -> None:
    key = _key(address)
    window = settings.RESTAURANT["TOKEN_MISS_WINDOW"]
    if cache.add(key, 1, timeout=window):
        return
    try:
        misses = cache.incr(key)
    except ValueError:  # expired in between
        cache.add(key, 1, timeout=window)
        return
    if misses == settings.RESTAURANT["TOKEN_MISS_LIMIT"] + 1:
        logger.warning("%s is guessing table links (%d unknown tokens)", address, misses)
        metrics.TOKEN_GUESSERS.inc()
