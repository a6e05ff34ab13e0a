"""The Redis channel layers, each able to tell when Redis lost what it held for this process.

RedisChannelLayer also has a connection pool that waits instead of failing. redis-py caps a
pool at `max_connections` and raises MaxConnectionsError past it; under a storm of sockets
connecting or leaving at once that made channels_redis' `group_add`, `group_discard` and
`group_send` fail (dead sockets, stale group members). A blocking pool makes a burst queue
for a connection for up to `pool_timeout` seconds instead.
"""

import redis.asyncio as aioredis
from channels_redis.core import RedisChannelLayer as BaseRedisChannelLayer
from channels_redis.pubsub import RedisPubSubChannelLayer as BasePubSubChannelLayer
from channels_redis.utils import create_pool


class RedisChannelLayer(BaseRedisChannelLayer):
    def __init__(self, *args, pool_size: int = 200, pool_timeout: float = 10, **kwargs):
        super().__init__(*args, **kwargs)
        self.pool_size = pool_size
        self.pool_timeout = pool_timeout
        self._alive_marked: set[int] = set()  # shards holding this process's `forgot` marker

    def create_pool(self, index: int):
        host = dict(self.hosts[index])
        address = host.pop("address", None)
        if address is None:  # Sentinel or keyword hosts: channels_redis' own pool
            return create_pool(self.hosts[index])
        # redis-py 8 reads with a 5 s socket timeout by default: exactly the layer's own
        # BZPOPMIN wait, so a quiet socket's receive timed out and looked like a lost Redis.
        host.setdefault("socket_timeout", self.brpop_timeout + 5)
        return aioredis.BlockingConnectionPool.from_url(
            address, max_connections=self.pool_size, timeout=self.pool_timeout, **host
        )

    async def forgot(self, marker: str, ttl: int) -> bool:
        """Whether Redis lost what this process put there since the last call (a restart
        without persistence, a failover to an empty replica, a flush): then every group
        membership of this process's sockets is gone too, and they hear nothing more.

        Keeps a key per shard (`<prefix>:alive:<marker>`, expiring after `ttl` seconds unless
        renewed) and asks for its old value while renewing it. Raises what redis-py raises
        while Redis is down."""
        marked = self._alive_marked
        lost = False
        key = f"{self.prefix}:alive:{marker}"
        for index in range(self.ring_size):
            connection = self.connection(index)
            previous = await connection.set(key, b"1", ex=ttl, get=True)
            if previous is None and index in marked:
                lost = True
            marked.add(index)
        return lost


class RedisPubSubChannelLayer(BasePubSubChannelLayer):
    """channels_redis' pub/sub layer, telling when its subscriptions were cut off.

    Pub/sub delivers to whoever is subscribed at that moment. While a process's subscribing
    connection is down (a Redis restart, a network cut), the events published for its sockets
    are gone, and redis-py resubscribes once it reconnects without saying so: a table with no
    later event would stay stale. `forgot()` answers whether that happened since the last
    call, so that the liveness watch closes the process's sockets with 4503 and they resync,
    as it does for the Redis layer."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._watched: list = []  # subscribing connections that report their reconnects
        self._reconnected = False

    async def _on_reconnect(self, connection) -> None:
        self._reconnected = True

    async def forgot(self, marker: str, ttl: int) -> bool:
        for shard in self._shards:
            pubsub = shard._pubsub
            connection = pubsub.connection if pubsub is not None else None
            # Registered once the connection is up: from then on it calls back on reconnects.
            if connection is not None and not any(c is connection for c in self._watched):
                connection.register_connect_callback(self._on_reconnect)
                self._watched.append(connection)
        lost, self._reconnected = self._reconnected, False
        return lost
