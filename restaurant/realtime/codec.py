"""JSON in and out. msgspec: one fast codec for the socket, strict on what comes in."""

from typing import Any

import msgspec

_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder()


def dumps(obj: Any) -> str:
    return _encoder.encode(obj).decode()


def loads(text: str | bytes) -> Any:
    return _decoder.decode(text)


DecodeError = msgspec.DecodeError
