"""The one exception services raise to refuse an op; entry points turn it into an `error`."""

from typing import Any


class OpError(Exception):
    """A refused op. ``code`` is one of docs/protocol.md's error codes; nothing was changed."""

    CODES = frozenset(
        {
            "bad_request",
            "unknown_type",
            "not_found",
            "sold_out",
            "stale",
            "empty_cart",
            "conflict",
            "rate_limited",
            "forbidden",
            "closed",
            "too_early",  # a dish nudged before its target time (``seconds`` left)
            "cooldown",  # a dish nudged again too soon (``seconds`` left)
            "ordering_closed",  # paused or outside service hours (``reason``, ``opens_at``)
            "busy",  # overloaded: the op waited too long for the database; not applied
        }
    )

    def __init__(self, code: str, message: str, **extra: Any) -> None:
        assert code in self.CODES, code
        super().__init__(message)
        self.code = code
        self.message = message
        self.extra = extra
