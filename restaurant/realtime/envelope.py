"""The op envelope shared by every socket: parse `{"type", "id", ...}`, reply `ack` or `error`."""

from typing import Any

import msgspec

from restaurant.realtime import codec
from restaurant.realtime.errors import OpError

OP_ID_MAX = 64


class InvalidOp(OpError):
    """An op refused before it reached a service; carries the op id when it was readable."""

    def __init__(self, op_id: str | None, code: str, message: str) -> None:
        super().__init__(code, message)
        self.op_id = op_id


def ack(op_id: str, seq: int | None) -> dict[str, Any]:
    return {"type": "ack", "id": op_id, "seq": seq}


def error(op_id: str | None, code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"type": "error", "id": op_id, "code": code, "message": message, **extra}


def read_op_id(message: dict) -> str | None:
    op_id = message.get("id")
    if isinstance(op_id, str) and 1 <= len(op_id) <= OP_ID_MAX and op_id.isprintable():
        return op_id
    return None


def parse_op(text: str | None, registry: dict[str, type[msgspec.Struct]]) -> tuple[str, Any]:
    """Decode one text frame into ``(op_id, op)`` or raise InvalidOp. Changes nothing."""
    if text is None:
        raise InvalidOp(None, "bad_request", "binary frames are not accepted; send JSON text")
    try:
        message = codec.loads(text)
    except codec.DecodeError:
        raise InvalidOp(None, "bad_request", "the message is not valid JSON") from None
    if not isinstance(message, dict):
        raise InvalidOp(None, "bad_request", "the message must be a JSON object")
    op_id = read_op_id(message)
    if op_id is None:
        raise InvalidOp(
            None, "bad_request", f"`id` must be a string of 1..{OP_ID_MAX} printable characters"
        )
    op_type = message.get("type")
    schema = registry.get(op_type) if isinstance(op_type, str) else None
    if schema is None:
        raise InvalidOp(op_id, "unknown_type", f"unknown message type {op_type!r}")
    try:
        return op_id, msgspec.convert(message, schema)
    except msgspec.ValidationError as exc:
        message = str(exc)
        if "matching regex" in message:  # the no-control-characters pattern
            _, _, where = message.partition(" - ")
            message = "text may not contain control characters" + (f" - {where}" if where else "")
        raise InvalidOp(op_id, "bad_request", message) from None
