"""`/ws/table/<token>/`: a diner's socket. Thin: access check, then services per op."""

from django.conf import settings

from restaurant.dining import ops, protocol
from restaurant.dining.models import Diner
from restaurant.dining.selectors import dining_snapshot
from restaurant.dining.services import (
    browser_of,
    connection_close,
    connection_open,
    diner_for_socket,
)
from restaurant.realtime import groups, liveness
from restaurant.realtime.consumers import OpConsumer
from restaurant.realtime.db import db
from restaurant.realtime.group_commit import grouped
from restaurant.realtime.ratelimit import shared_buckets
from restaurant.tables.selectors import table_by_token

CLOSE_SESSION_CLOSED = 4000
CLOSE_REVOKED = 4403


def known_diner_ids(django_session) -> list[int]:
    """Diner ids the table page stored in this browser's Django session."""
    return [int(i) for i in django_session.get("diners", {}).values()]


def cookie_identity(django_session) -> tuple[list[int], str | None]:
    """How a browser's cookie knows its diners: the diner ids its Django session keeps, and
    its browser key (`browser_of`). The ids are read first: reading loads the session, which
    drops the key of a session that expired or was deleted."""
    return known_diner_ids(django_session), browser_of(django_session.session_key)


@db
def _socket_diner(token: str, django_session, address) -> tuple[int, int, int, int, int] | None:
    table = table_by_token(token, address=address)
    if table is None:
        return None
    known, browser = cookie_identity(django_session)
    diner = diner_for_socket(table=table, known_diner_ids=known, browser=browser)
    if diner is None:
        return None
    return table.pk, table.restaurant_id, diner.session_id, diner.pk, table.number


@db
def _meal_of_diner(diner_id: int) -> tuple[int, int, str] | None:
    """Where the diner's meal is now: its table's id and token, and the meal's id."""
    return (
        Diner.objects.filter(pk=diner_id)
        .values_list("session__table_id", "session_id", "session__table__token")
        .first()
    )


class TableConsumer(OpConsumer):
    kind = "diner"
    registry = protocol.DINER_OPS

    async def connect(self) -> None:
        self.groups_joined: list[str] = []
        token = self.scope["url_route"]["kwargs"]["token"]
        client = self.scope.get("client") or [None]
        found = await _socket_diner(token, self.scope.pop("session"), client[0])
        if found is None:
            await self.close()  # before accept: the handshake is refused with 403
            return
        # The session was popped above: the diner is known now, and a loaded session (its
        # diner ids) kept for the life of every idle socket is memory for nothing.
        self.table_id, restaurant_id, self.session_id, self.diner_id, self.table_number = found
        self.token = token
        # Join before reading the snapshot: an event committed in between is then queued
        # behind the snapshot (and ignored by seq) instead of lost. The menu is the table's
        # restaurant's: no other restaurant's sold-out or menu change reaches this table.
        self.groups_joined = [groups.table_group(self.table_id), groups.menu_group(restaurant_id)]
        await self.join_groups(self.groups_joined)
        await self.accept()
        liveness.register(self)  # before its connection row exists: see server_beat
        await db(connection_open)(
            diner_id=self.diner_id, channel_name=self.channel_name, server_id=liveness.SERVER_ID
        )
        await self.send_snapshot()

    async def disconnect(self, code: int) -> None:
        liveness.unregister(self)
        joined = getattr(self, "groups_joined", [])  # none if cancelled before connect ran
        await self.leave_groups(joined)
        if joined:
            await db(connection_close)(channel_name=self.channel_name)

    async def send_snapshot(self) -> int:
        snapshot = await db(dining_snapshot)(diner_id=self.diner_id)
        await self.follow_if_moved(snapshot)
        # The table's token as this socket knows it: a page that missed `session.moved` (a
        # gap the snapshot covered) still learns its meal's new address from here.
        snapshot["token"] = self.token
        await self.send_json(snapshot)
        return snapshot["seq"]

    async def follow_if_moved(self, snapshot: dict) -> None:
        """The meal is not where this socket listens (staff moved or joined it after the
        socket found its table, before it joined that table's group: the `table.moved`
        message went by unheard): listen where it is now."""
        if (
            snapshot["session"]["id"] == self.session_id
            and snapshot["table"]["number"] == self.table_number
        ):
            return
        where = await _meal_of_diner(self.diner_id)
        if where is None:
            return
        table_id, self.session_id, self.token = where
        self.table_number = snapshot["table"]["number"]
        if table_id != self.table_id:
            old, new = groups.table_group(self.table_id), groups.table_group(table_id)
            await self.join_groups([new])
            await self.leave_groups([old])
            self.groups_joined = [new, *(g for g in self.groups_joined if g not in (old, new))]
            self.table_id = table_id

    async def apply(self, op_id: str, op: protocol._Op) -> int:
        if isinstance(op, protocol.Sync):
            return await self.send_snapshot()
        if type(op) in ops.GROUPED:
            return await grouped(
                ops.diner_op_apply, order=self.session_id, prior=ops.diner_op_prior,
                diner_id=self.diner_id, op_id=op_id, op=op,
            )  # fmt: skip
        return await db(ops.diner_op_apply)(diner_id=self.diner_id, op_id=op_id, op=op)

    def admit(self) -> bool:
        """The socket's bucket, then the diner's (all its sockets in this process) and the
        table's: twenty sockets of one cookie, or a table of invented diners, get no more
        than one diner's or one table's allowance."""
        limits = settings.RESTAURANT
        diner = shared_buckets("diner", limits["RATE_PER_SECOND"], limits["RATE_BURST"])
        table = shared_buckets("table", limits["TABLE_RATE_PER_SECOND"], limits["TABLE_RATE_BURST"])
        return self.guard.allow(diner(self.diner_id), table(self.table_id))

    # --- group events, named after their type ---------------------------------------------
    table_event = OpConsumer.forward
    menu_event = OpConsumer.forward

    async def table_closed(self, message: dict) -> None:
        if message["session_id"] == self.session_id:
            await self.send(text_data=message["text"])
            await self.close(code=CLOSE_SESSION_CLOSED)

    async def table_revoked(self, message: dict) -> None:
        await self.close(code=CLOSE_REVOKED)

    async def table_moved(self, message: dict) -> None:
        """The meal moved to another table, joined another table's meal or was split back
        out of one (restaurant/floor/moves.py): a socket of that meal (of its ``diner_ids``
        when named) follows it to the new table's group, shows the event, and starts again
        from a snapshot (what it missed meanwhile is in it). The diner's id does not change,
        so the cookie that let it in still does, with the new table's token."""
        if self.session_id not in message["session_ids"]:
            return
        if message.get("diner_ids") is not None and self.diner_id not in message["diner_ids"]:
            return
        old = groups.table_group(self.table_id)
        new = groups.table_group(message["table_id"])
        # Already there: a socket that connected during the move followed its meal from its
        # snapshot (`follow_if_moved`) before the move's message, on its way through the
        # layer, reached the old table's group it had joined. Joining and then leaving the
        # same group would leave it deaf to its table.
        if new != old:
            await self.join_groups([new])  # before leaving: nothing between falls through
            await self.leave_groups([old])
            self.groups_joined = [new, *(g for g in self.groups_joined if g not in (old, new))]
        self.table_id, self.session_id = message["table_id"], message["session_id"]
        self.token = message["token"]
        self.table_number = None  # the snapshot that follows says it (follow_if_moved)
        await self.send(text_data=message["text"])
        await self.send_snapshot()

    async def table_resync(self, message: dict) -> None:
        """The meal changed as a whole (another joined it, or left it): start again from a
        snapshot."""
        await self.send_snapshot()
