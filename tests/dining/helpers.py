import msgspec

from restaurant.dining import ops, protocol
from restaurant.dining.models import Diner
from restaurant.dining.services import diner_arrive
from restaurant.tables.models import Table


def arrive(table: Table, known: list[int] | None = None) -> Diner:
    return diner_arrive(table=table, known_diner_ids=known or [])


def apply(diner: Diner, message: dict) -> int:
    """Run one op the way the socket does, minus the socket."""
    op = msgspec.convert(message, protocol.DINER_OPS[message["type"]])
    return ops.diner_op_apply(diner_id=diner.pk, op_id=message["id"], op=op)
