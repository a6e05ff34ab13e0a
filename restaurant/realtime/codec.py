"""JSON in and out. msgspec: one fast codec for the socket, strict on what comes in."""

from typing import Any

import msgspec

_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder()


def dumps(obj: Any) -> str:
    return _encoder.encode(obj).decode()


DecodeError = msgspec.DecodeError


def loads(text: str | bytes) -> Any:
    """Decode JSON; raises DecodeError for anything unreadable, deep nesting included (the
    decoder recurses: 8,000 `[` in 16 KB raise RecursionError, not a decode error)."""
    try:
        return _decoder.decode(text)
    except RecursionError:
        raise DecodeError("JSON nested too deeply") from None
