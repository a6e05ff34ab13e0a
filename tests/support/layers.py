"""What the channel layer holds, whichever layer the run uses (in-memory, Redis or PubSub)."""

from channels.layers import get_channel_layer
from channels_redis.pubsub import RedisPubSubChannelLayer


def holds_groups_outside_the_process() -> bool:
    """Whether group memberships outlive their process (in Redis; in memory, for the whole
    test process): PubSub keeps them in the process's own subscriptions."""
    return not isinstance(get_channel_layer(), RedisPubSubChannelLayer)


async def group_members(group: str) -> set[str]:
    layer = get_channel_layer()
    if isinstance(layer, RedisPubSubChannelLayer):  # this event loop's subscriptions
        return set(layer.groups.get(layer._get_group_channel_name(group), ()))
    if hasattr(layer, "groups"):  # InMemoryChannelLayer
        return set(layer.groups.get(group, {}))
    connection = layer.connection(layer.consistent_hash(group))
    members = await connection.zrange(layer._group_key(group), 0, -1)
    return {m.decode() if isinstance(m, bytes) else m for m in members}
