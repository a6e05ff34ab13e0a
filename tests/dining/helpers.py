import itertools

import msgspec

from restaurant.dining import ops, protocol
from restaurant.dining.models import Diner, DiningSession
from restaurant.dining.services import diner_arrive
from restaurant.tables.models import Table


def arrive(table: Table, known: list[int] | None = None) -> Diner:
    return diner_arrive(table=table, known_diner_ids=known or [])


def apply(diner: Diner, message: dict) -> int:
    """Run one op the way the socket does, minus the socket."""
    op = msgspec.convert(message, protocol.DINER_OPS[message["type"]])
    return ops.diner_op_apply(diner_id=diner.pk, op_id=message["id"], op=op)


_op_ids = itertools.count(1)


def op(diner: Diner, **message) -> int:
    """``apply`` with an op id of its own: ``op(diner, type="cart.add", ...)``."""
    return apply(diner, {"id": f"op-{next(_op_ids)}", **message})


def add(diner: Diner, dish, qty: int = 1, options=()) -> int:
    """`cart.add` of ``qty`` of ``dish`` with ``options`` (ids), no note."""
    return op(diner, type="cart.add", dish_id=dish.pk, qty=qty, options=list(options), note="")


def submit(diner: Diner) -> int:
    """`order.submit` of the cart as the meal has it now (its current `seq`)."""
    seq = DiningSession.objects.values_list("seq", flat=True).get(pk=diner.session_id)
    return op(diner, type="order.submit", seq=seq)
