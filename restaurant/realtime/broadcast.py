"""Broadcasts happen after commit, never before: an event must describe what is in the database.

The channel layer is at-most-once; a lost event is repaired by the client's seq-gap resync, so a
failed send is logged and counted, not retried here.
"""

import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from restaurant.realtime import codec, metrics

logger = logging.getLogger(__name__)


def group_message(message_type: str, event: dict[str, Any] | None = None, **fields: Any) -> dict:
    """A channel-layer message whose event is encoded once here, not once per socket."""
    message = {"type": message_type, **fields}
    if event is not None:
        message["text"] = codec.dumps(event)
    return message


def send_now(group: str, message: dict) -> None:
    try:
        async_to_sync(get_channel_layer().group_send)(group, message)
    except Exception:  # a broadcast failure must never undo or fail a committed op
        metrics.BROADCAST_FAILURES.inc()
        logger.exception("broadcast to %s failed", group)


def broadcast_on_commit(group: str, message: dict) -> None:
    transaction.on_commit(lambda: send_now(group, message))
