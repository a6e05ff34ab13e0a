"""Is this process able to serve? The database answers a query, the channel layer a ping."""

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import connection

logger = logging.getLogger(__name__)


def database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        logger.exception("health: database")
        return False


async def _layer_ping() -> None:
    layer = get_channel_layer()
    if hasattr(layer, "connection"):  # channels_redis: ping every shard
        for index in range(len(layer.hosts)):
            await layer.connection(index).ping()


def channel_layer_ok() -> bool:
    try:
        async_to_sync(_layer_ping)()
        return True
    except Exception:
        logger.exception("health: channel layer")
        return False
