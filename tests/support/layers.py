"""What the channel layer holds, whichever layer the run uses (in-memory or Redis)."""

from channels.layers import get_channel_layer


async def group_members(group: str) -> set[str]:
    layer = get_channel_layer()
    if hasattr(layer, "groups"):  # InMemoryChannelLayer
        return set(layer.groups.get(group, {}))
    connection = layer.connection(layer.consistent_hash(group))
    members = await connection.zrange(layer._group_key(group), 0, -1)
    return {m.decode() if isinstance(m, bytes) else m for m in members}
