"""`/ws/kitchen/`: the kitchen display's socket, for logged-in staff only."""

from restaurant.kitchen import ops, protocol
from restaurant.kitchen.selectors import kitchen_snapshot
from restaurant.realtime import groups, liveness
from restaurant.realtime.consumers import OpConsumer
from restaurant.realtime.db import db


def is_staff(user) -> bool:
    """The one access check for staff, shared with the staff views."""
    return bool(user and user.is_authenticated and user.is_active and user.is_staff)


class KitchenConsumer(OpConsumer):
    kind = "kitchen"
    registry = protocol.KITCHEN_OPS

    async def connect(self) -> None:
        self.groups_joined: list[str] = []
        user = self.scope.get("user")
        if not await db(is_staff)(user):
            await self.close()  # before accept: 403
            return
        self.user_id = user.pk
        self.groups_joined = [groups.KITCHEN, groups.MENU]
        await self.join_groups(self.groups_joined)
        await self.accept()
        liveness.register(self)  # a kitchen shift outlasts group_expiry too
        await self.send_snapshot()

    async def disconnect(self, code: int) -> None:
        liveness.unregister(self)
        joined = getattr(self, "groups_joined", [])  # none if cancelled before connect ran
        await self.leave_groups(joined)

    async def send_snapshot(self) -> None:
        await self.send_json(await db(kitchen_snapshot)())

    async def apply(self, op_id: str, op: protocol._Op) -> None:
        if isinstance(op, protocol.Sync):
            await self.send_snapshot()
            return None
        await db(ops.staff_op_apply)(user_id=self.user_id, op_id=op_id, op=op)
        return None

    kitchen_event = OpConsumer.forward
    menu_event = OpConsumer.forward
