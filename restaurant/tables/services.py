"""Staff actions on tables. Opening and closing a table are `dining.services.session_open`
and `session_close`."""

from django.db import transaction
from django.utils import timezone

from restaurant.realtime import groups
from restaurant.realtime.broadcast import broadcast_on_commit, group_message
from restaurant.tables.models import Table, new_table_token


def floor_changed(table_id: int) -> None:
    """Tell the staff floor that a table's state changed (after commit); it refetches. Here,
    below the apps whose changes show on the floor (dining, kitchen), so each can call it."""
    broadcast_on_commit(
        groups.KITCHEN,
        group_message("kitchen.event", {"type": "floor.table", "table_id": table_id}),
    )


@transaction.atomic
def table_token_rotate(*, table: Table) -> Table:
    """The old QR code stops working at once; sockets opened with it are closed (4403)."""
    table = Table.objects.select_for_update().get(pk=table.pk)
    table.token = new_table_token()
    table.token_rotated_at = timezone.now()
    table.save(update_fields=["token", "token_rotated_at"])
    broadcast_on_commit(groups.table_group(table.pk), group_message("table.revoked"))
    floor_changed(table.pk)
    return table
