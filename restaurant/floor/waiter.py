"""`/ws/waiter/table/<number>/` and `/ws/r/<slug>/waiter/table/<number>/`: a waiter ordering for
a table (代客下单) from a phone or tablet, on the table's shared cart.

Who may connect is asked as for the kitchen socket (restaurant/venues/access.py), for
`Action.ORDER_FOR_TABLE`, and the table is looked up in the socket's restaurant only. The
socket is the person's staff diner at the table's meal (restaurant/dining/staff_diners.py;
the meal is opened when none is): it starts from the diners' own snapshot, hears the table's
events as a phone does, and sends the diners' cart ops and `order.submit` as that diner (same
idempotency, same `seq`) plus every staff op of the staff sockets. It makes no presence row:
the waiter is not a phone at the table."""

from restaurant.dining import protocol as diner_protocol
from restaurant.dining.consumers import TableConsumer
from restaurant.dining.ops import diner_op_apply
from restaurant.dining.selectors import dining_snapshot
from restaurant.dining.staff_diners import staff_diner_for
from restaurant.kitchen import protocol as kitchen_protocol
from restaurant.kitchen.consumers import KitchenConsumer
from restaurant.kitchen.ops import Staff, staff_op_apply
from restaurant.realtime import groups, liveness
from restaurant.realtime.db import db
from restaurant.tables.selectors import table_by_number
from restaurant.venues.access import (
    AccessLost,
    StaffAccess,
    staff_access_require,
    staff_socket_access,
)
from restaurant.venues.roles import Action

CLOSE_SESSION_CLOSED = 4000

# The diner ops a waiter sends for the table, as its staff diner.
DINER_OPS: dict[str, type] = {
    cls.__struct_config__.tag: cls
    for cls in (
        diner_protocol.CartAdd,
        diner_protocol.CartSetQty,
        diner_protocol.CartRemove,
        diner_protocol.OrderSubmit,
        diner_protocol.MealSet,  # guests and the whole order's note (restaurant/dining/meal.py)
        diner_protocol.Sync,
    )
}


class WaiterOps:
    """The socket's registry: the diner ops above, then every staff op, looked up when a
    message is decoded (other apps register staff ops at startup: `hooks.staff_op_register`).
    `sync` is the diners' (the answer is the table's snapshot)."""

    def get(self, tag: str) -> type | None:
        return DINER_OPS.get(tag) or kitchen_protocol.KITCHEN_OPS.get(tag)


def waiter_at_table(
    user, session, *, slug: str | None, number: int
) -> tuple[StaffAccess, int, int, int, int] | None:
    """The handshake: the access, the restaurant's id, the table's id, its meal's id and the
    person's staff diner id; None when the person may not order for tables of the socket's
    restaurant or it has no table ``number``."""
    found = staff_socket_access(user, session, slug=slug, view=Action.ORDER_FOR_TABLE)
    if found is None:
        return None
    access, restaurant = found
    table = table_by_number(restaurant=restaurant, number=number)
    if table is None:
        return None
    diner = staff_diner_for(table=table, user=user)
    return access, restaurant.pk, table.pk, diner.session_id, diner.pk


def waiter_op_apply(*, access: StaffAccess, diner_id: int, op_id: str, op) -> int | dict | None:
    """One op of the waiter's socket, the access asked again first (raises `AccessLost`).
    A diner op is applied as the staff diner ``diner_id``: returns the `seq` to acknowledge;
    `sync` returns the snapshot; a staff op is applied as the person (`staff_op_apply`)."""
    standing = staff_access_require(access)
    if isinstance(op, diner_protocol.Sync):
        return dining_snapshot(diner_id=diner_id)
    if type(op) in DINER_OPS.values():
        return diner_op_apply(diner_id=diner_id, op_id=op_id, op=op)
    staff_op_apply(staff=Staff(access.user_id, standing.role, standing.restaurant),
                   op_id=op_id, op=op)  # fmt: skip
    return None


class WaiterConsumer(KitchenConsumer):
    """The kitchen socket's access, recheck and 4403; the table's events and ops."""

    kind = "waiter"
    registry = WaiterOps()
    view = Action.ORDER_FOR_TABLE

    async def connect(self) -> None:
        self.groups_joined: list[str] = []
        user = self.scope.get("user")
        if not getattr(user, "is_authenticated", False):
            await self.close()  # before accept: 403
            return
        # Join the user's group before the check: a logout committed in between is heard.
        self.groups_joined = [groups.staff_user_group(user.pk)]
        await self.join_groups(self.groups_joined)
        kwargs = self.scope["url_route"]["kwargs"]
        found = await db(waiter_at_table)(user, self.scope["session"], slug=kwargs.get("slug"),
                                          number=kwargs["number"])  # fmt: skip
        if found is None:
            await self.leave_groups(self.groups_joined)
            self.groups_joined = []
            await self.close()
            return
        self.access, restaurant_id, self.table_id, self.session_id, self.diner_id = found
        self.table_number, self.token = kwargs["number"], None
        # Joined before the snapshot is read: an event committed in between is queued behind
        # it (and skipped by seq) instead of lost.
        joining = [groups.table_group(self.table_id), groups.menu_group(restaurant_id)]
        self.groups_joined += joining
        await self.join_groups(joining)
        await self.accept()
        liveness.register(self)  # a shift outlasts group_expiry; the sweep asks its access
        await self.send_snapshot()

    async def send_snapshot(self) -> int:
        snapshot = await db(dining_snapshot)(diner_id=self.diner_id)
        await TableConsumer.follow_if_moved(self, snapshot)  # as a phone's socket does
        await self.send_json(snapshot)
        return snapshot["seq"]

    async def apply(self, op_id: str, op) -> int | None:
        if self.access is None:
            raise AccessLost
        try:
            result = await db(waiter_op_apply)(access=self.access, diner_id=self.diner_id,
                                               op_id=op_id, op=op)  # fmt: skip
        except AccessLost:
            self.close_pending = True  # after the op's `forbidden` has been sent: `receive`
            raise
        if isinstance(result, dict):
            await self.send_json(result)
            return result["seq"]
        return result

    # --- group events, named after their type ---------------------------------------------

    async def table_event(self, message: dict) -> None:
        if self.access is not None:  # not one already queued when access was lost
            await self.forward(message)

    menu_event = table_event

    async def table_closed(self, message: dict) -> None:
        if message["session_id"] == self.session_id:
            await self.send(text_data=message["text"])
            await self.close(code=CLOSE_SESSION_CLOSED)

    async def table_revoked(self, message: dict) -> None:
        """A new QR token shuts the diners' phones out; the waiter is not one of them."""

    async def table_moved(self, message: dict) -> None:
        """The meal moved to another table, or joined another's, or was split back out of one
        (restaurant/floor/moves.py): the waiter's page follows it as the phones do (its
        staff diner is one of the meal's diners), and its page shows the new table."""
        if self.access is not None:
            await TableConsumer.table_moved(self, message)

    async def table_resync(self, message: dict) -> None:
        """Another meal joined this one, or left it: start again from a snapshot."""
        if self.access is not None:
            await self.send_snapshot()
