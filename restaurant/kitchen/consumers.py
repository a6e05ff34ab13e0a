"""`/ws/kitchen/` and `/ws/r/<slug>/kitchen/`: a restaurant's kitchen display socket, for its
staff whose role may see the kitchen, and only as long as they may
(restaurant/venues/access.py): it closes with 4403 once that access is gone.

The unprefixed form serves the person's only restaurant or the one they picked
(restaurant/venues/scope.py); a person who must pick, or names a restaurant they do not work
at, or whose role there may not see this, is refused at the handshake (403)."""

from restaurant.kitchen import ops, protocol
from restaurant.kitchen.selectors import kitchen_snapshot
from restaurant.realtime import groups, liveness
from restaurant.realtime.consumers import OpConsumer
from restaurant.realtime.db import db
from restaurant.venues.access import (
    AccessLost,
    StaffAccess,
    session_digest,
    staff_access_holds,
    staff_socket_access,
)
from restaurant.venues.models import Restaurant
from restaurant.venues.roles import Action

CLOSE_ACCESS_LOST = 4403


class KitchenConsumer(OpConsumer):
    kind = "kitchen"
    registry = protocol.KITCHEN_OPS
    view = Action.KITCHEN_VIEW  # what the socket shows: its user's role must allow it
    # None before the handshake and once access is lost; the heartbeat's sweep asks about
    # the sockets that have one (restaurant/realtime/liveness.py).
    access: StaffAccess | None = None
    close_pending = False
    # Whether this socket hears waiter calls: the kitchen display only where the restaurant
    # shows them there (read at connect; the display's page reads the same setting).
    calls = False

    def hears_calls(self, restaurant: Restaurant) -> bool:
        return restaurant.calls_on_kitchen

    async def connect(self) -> None:
        self.groups_joined: list[str] = []
        user = self.scope.get("user")
        if not getattr(user, "is_authenticated", False):
            await self.close()  # before accept: 403
            return
        # Join the user's group before the check: a logout committed in between is heard.
        self.groups_joined = [groups.staff_user_group(user.pk)]
        await self.join_groups(self.groups_joined)
        slug = self.scope["url_route"]["kwargs"].get("slug")
        found = await db(staff_socket_access)(user, self.scope["session"], slug=slug,
                                              view=self.view)  # fmt: skip
        if found is None:
            await self.leave_groups(self.groups_joined)
            self.groups_joined = []
            await self.close()
            return
        self.access, self.restaurant = found
        restaurant = self.restaurant
        self.calls = self.hears_calls(restaurant)
        rid = restaurant.pk
        joining = [groups.kitchen_group(rid), groups.menu_group(rid)]
        joining += [groups.calls_group(rid)] if self.calls else []
        self.groups_joined += joining
        await self.join_groups(joining)
        await self.accept()
        liveness.register(self)  # a kitchen shift outlasts group_expiry too
        await self.send_snapshot()

    async def disconnect(self, code: int) -> None:
        liveness.unregister(self)
        joined = getattr(self, "groups_joined", [])  # none if cancelled before connect ran
        await self.leave_groups(joined)

    async def send_snapshot(self) -> None:
        snapshot = await db(kitchen_snapshot)(restaurant=self.restaurant, calls=self.calls,
                                              user_id=self.access.user_id)  # fmt: skip
        await self.send_json(snapshot)

    async def apply(self, op_id: str, op: protocol._Op) -> None:
        if self.access is None:
            raise AccessLost
        try:
            snapshot = await db(ops.staff_socket_op_apply)(
                access=self.access, op_id=op_id, op=op, calls=self.calls
            )
        except AccessLost:
            self.close_pending = True  # after the op's `forbidden` has been sent: `receive`
            raise
        if snapshot is not None:
            await self.send_json(snapshot)
        return None

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        await super().receive(text_data, bytes_data)
        if self.close_pending:
            await self.lose_access()

    async def lose_access(self) -> None:
        """Hear nothing more, and close with 4403 (the page shows that staff must sign in)."""
        if self.access is None and not self.close_pending:
            return
        self.access = None
        self.close_pending = False
        liveness.unregister(self)
        joined, self.groups_joined = self.groups_joined, []
        await self.leave_groups(joined)
        await self.close(code=CLOSE_ACCESS_LOST)

    # --- group events, named after their type ---------------------------------------------

    async def kitchen_event(self, message: dict) -> None:
        if self.access is not None:  # not one already queued when access was lost
            await self.forward(message)

    menu_event = kitchen_event

    async def staff_resync(self, message: dict) -> None:
        """Meals moved between tables (restaurant/floor/moves.py): every order on screen may
        show another table now. Start again from a snapshot."""
        if self.access is not None:
            await self.send_snapshot()

    async def staff_recheck(self, message: dict) -> None:
        """The user's access changed (restaurant/venues/access.py): ask again."""
        if self.access is None:
            return
        ended = message.get("session")
        if ended is not None and ended == session_digest(self.access.session_key):
            await self.lose_access()  # a logout: its session is being flushed
        elif not await db(staff_access_holds)(self.access):
            await self.lose_access()
