"""The staff floor's socket."""

from restaurant.kitchen.consumers import KitchenConsumer


class FloorConsumer(KitchenConsumer):
    """`/ws/floor/`: the staff floor's socket. The kitchen socket's access, ops and events,
    and always the waiter calls (answering them is the floor's job)."""

    async def hears_calls(self) -> bool:
        return True
