"""Apply one diner op: one transaction that checks it, applies it, bumps `seq` and records the
op id, so that a resent op is acknowledged again and never applied twice."""

from collections.abc import Callable

from django.db import IntegrityError, transaction

from restaurant.dining import cart, protocol, sql
from restaurant.dining.meal import meal_set
from restaurant.dining.models import AppliedOp, Diner, DiningSession
from restaurant.dining.ordering import ordering_check_submit
from restaurant.dining.services import diner_rename, session_of_diner_lock
from restaurant.menu.catalog import catalog
from restaurant.realtime.errors import OpError
from restaurant.realtime.group_commit import in_batch

Handler = Callable[[DiningSession, Diner, protocol._Op], int | None]

HANDLERS: dict[type, Handler] = {
    protocol.CartAdd: lambda s, d, op: cart.cart_line_add(
        session=s,
        diner=d,
        dish_id=op.dish_id,
        qty=op.qty,
        options=op.options,
        note=op.note,
        added_by=op.added_by,
        shared=op.shared,
        takeaway=op.takeaway,
    ),
    protocol.CartSetQty: lambda s, d, op: cart.cart_line_set_qty(
        session=s, diner=d, line_id=op.line_id, qty=op.qty
    ),
    protocol.CartRemove: lambda s, d, op: cart.cart_line_remove(
        session=s, diner=d, line_id=op.line_id
    ),
    protocol.DinerRename: lambda s, d, op: diner_rename(session=s, diner=d, name=op.name),
    protocol.MealSet: lambda s, d, op: meal_set(session=s, guests=op.guests, note=op.note),
    # `order.submit` and `waiter.call` are the kitchen's to apply, an app above this one (its
    # orders and calls build on meals and diners): it adds them at startup, in
    # KitchenConfig.ready, with `handler_register`, so that dining does not import it. Their
    # messages stay typed here (protocol.py), with every other diner op.
}


# Ops that may share a transaction with other tables' ops (group_commit.py): the cart's, which
# lock their meal's row and nothing else of another meal. A round locks dishes and more, and
# goes alone.
GROUPED: frozenset[type] = frozenset({protocol.CartAdd, protocol.CartSetQty, protocol.CartRemove})


def handler_register(op_type: type, handler: Handler) -> None:
    HANDLERS[op_type] = handler


def diner_actor(diner_id: int) -> str:
    return f"d{diner_id}"


def diner_op_prior(*, diner_id: int, op_id: str, op: protocol._Op) -> int | None:
    """The seq an op of the diner was acknowledged with, if it was applied already (a resend
    whose first ack was lost); None if it never was."""
    found = list(
        AppliedOp.objects.filter(actor=diner_actor(diner_id), op_id=op_id).values_list(
            "seq", flat=True
        )[:1]
    )
    if not found:
        return None
    if found[0] is not None:
        return found[0]
    return DiningSession.objects.filter(diners__pk=diner_id).values_list("seq", flat=True)[0]


def diner_op_apply(*, diner_id: int, op_id: str, op: protocol._Op) -> int:
    """Apply ``op`` for the diner; return the `seq` to acknowledge it with.

    The op id is not looked up first: an op is applied and recorded in one transaction, and
    recording a resent one breaks the unique (actor, op_id) constraint, which rolls back the
    whole transaction, its second effect and its events included; the first ack is given
    again. A resend that the state no longer allows (a removed line, a closed session) is
    recognised the same way before its error goes out. So the usual op saves a query, and a
    resend costs one more."""
    actor = diner_actor(diner_id)
    try:
        # No savepoint in a batch of ops (group_commit.py): two statements fewer per op; one
        # that fails rolls the whole batch back, and each op then runs again alone.
        with transaction.atomic(savepoint=not in_batch()):
            session = session_of_diner_lock(diner_id)
            # Ops need the diner only as a key (rename fetches it whole): no query for it.
            diner = Diner(pk=diner_id, session=session)
            try:
                if session.status != DiningSession.Status.OPEN:
                    raise OpError("closed", "this table's session is closed")
                if isinstance(op, protocol.OrderSubmit):
                    menu = catalog(session.restaurant_id, session.menu_version)
                    ordering_check_submit(session=session, diner_id=diner_id, menu=menu)
                changed_seq = HANDLERS[type(op)](session, diner, op)
            except OpError:
                prior = AppliedOp.objects.filter(actor=actor, op_id=op_id).first()
                if prior is None:
                    raise
                return prior.seq if prior.seq is not None else session.seq
            seq = changed_seq if changed_seq is not None else session.seq
            sql.op_record(
                actor=actor, op_id=op_id, op_type=type(op).__struct_config__.tag,
                session_id=session.pk, seq=seq,
            )  # fmt: skip
            return seq
    except IntegrityError:
        seq = diner_op_prior(diner_id=diner_id, op_id=op_id, op=op)
        if seq is None:
            raise
        return seq
