"""Group commit (restaurant/realtime/group_commit.py) under the house rules, in the races a
rush brings: a late resend, a stale lock order key against a floor move, a socket gone while
its op waits, a database that dropped the kept connection, the pool's connections.

PostgreSQL tests (threads, row locks); the SQLite run shows the outcome a race must come to."""

import asyncio

import msgspec
import pytest
from django.db import transaction

from restaurant.dining import ops, protocol
from restaurant.dining.models import AppliedOp, CartLine
from restaurant.floor import moves
from restaurant.realtime import group_commit
from tests.dining.helpers import arrive
from tests.realtime.conftest import NoLoopFuture
from tests.support.concurrency import held_then

pytestmark = pytest.mark.django_db(transaction=True)


def _add(op_id: str, dish) -> protocol.CartAdd:
    message = {"id": op_id, "type": "cart.add", "dish_id": dish.pk, "qty": 1, "options": [],
               "note": ""}  # fmt: skip
    return msgspec.convert(message, protocol.CartAdd)


def _item(diner, op_id: str, dish, order: int, function=ops.diner_op_apply):
    kwargs = {"diner_id": diner.pk, "op_id": op_id, "op": _add(op_id, dish)}
    return group_commit._Item(order, function, kwargs, NoLoopFuture(), ops.diner_op_prior)


def test_a_late_resend_of_an_applied_op_is_not_told_nothing_was_applied(menu, settings, sent):
    """Rule: a resent op is acknowledged again with its first seq. An op applied whose ack
    was lost (the phone's socket dropped) comes back on the new socket; if that resend waits
    past OP_QUEUE_SECONDS it must not be refused `busy` ("nothing was applied"): a diner told
    so would tap again and add the dish a second time under a new op id."""
    settings.RESTAURANT = {**settings.RESTAURANT, "OP_QUEUE_SECONDS": 2.0}
    ann = arrive(menu.table)
    ((_, ok, first_seq),) = group_commit._apply([_item(ann, "a1", menu.rice, ann.session_id)])
    assert ok
    resend = _item(ann, "a1", menu.rice, ann.session_id)
    resend.queued_at -= 5  # an overloaded worker
    kept, refused = group_commit._shed([resend])
    outcomes = refused + (group_commit._apply(kept) if kept else [])
    ((_, ok, value),) = outcomes
    assert CartLine.objects.get(added_by=ann).qty == 1
    assert ok and value == first_seq, f"an applied op was refused as not applied: {value!r}"


def test_a_batch_with_a_stale_meal_key_does_not_make_a_floor_move_fail(menu, sent):
    """Rule (restaurant/floor/moves.py): every move, join, split and heartbeat locks meals in
    pk order "so none waits on another in a circle". A batch sorts its ops by the socket's
    meal id at connect (`order=self.session_id`); a socket whose meal was joined into
    another while its op queued (its `table.moved` waits in the inbox behind the op) keeps
    the old, lower id, and the batch then locks the higher meal before the lower one.
    PostgreSQL would break that circle by failing whichever side its deadlock check reaches
    first, here the move, which waited first; the batch gives up its locks sooner
    (`lock_timeout`), its ops run alone, and the move goes through."""
    low_diner = arrive(menu.table)  # meal A
    high_diner = arrive(menu.other_table)  # meal B, joined from a meal whose id was lowest
    low, high = low_diner.session_id, high_diner.session_id
    assert low < high

    def hold_after_first_op(hold) -> None:
        def first_then_hold(**kwargs):
            seq = ops.diner_op_apply(**kwargs)  # meal B is locked now
            hold()
            return seq

        batch[0].function = first_then_hold

    batch = [
        # The stale key: lower than meal A's, though the diner's meal is B now.
        _item(high_diner, "b1", menu.rice, order=low - 1),
        _item(low_diner, "a1", menu.rice, order=low),
    ]

    def move():
        with transaction.atomic():
            moves._lock(low, high)  # as meal_join(A into B) takes them: A, then B
        return "moved"

    batch_result, move_result = held_then(
        lambda: group_commit._apply(batch), move, hold_after_first_op
    )
    assert move_result == "moved", f"the floor move failed: {move_result!r}"
    assert all(ok for _, ok, _ in batch_result)


@pytest.mark.asyncio
async def test_an_op_whose_socket_went_away_while_queued_is_applied_once(menu, sent):
    """Held: the caller's wait is cancelled (the socket closed) while the op queued; the op
    is still applied once, and its resend on the next socket gets the same seq."""
    from asgiref.sync import sync_to_async

    ann = await sync_to_async(arrive)(menu.table)

    def call(op_id: str):
        return group_commit.grouped(
            ops.diner_op_apply, order=ann.session_id, diner_id=ann.pk, op_id=op_id,
            op=_add(op_id, menu.rice),
        )  # fmt: skip

    gone = asyncio.ensure_future(call("a1"))
    await asyncio.sleep(0)  # queued
    gone.cancel()
    await call("a2")  # another thread may apply it first: the two are concurrent
    again = await call("a1")  # the resend, on the next socket
    first = await sync_to_async(lambda: AppliedOp.objects.get(op_id="a1").seq)()
    qty = await sync_to_async(lambda: CartLine.objects.get(added_by=ann).qty)()
    assert again == first and qty == 2


def test_a_batch_after_postgresql_dropped_the_kept_connection_applies_each_op_once(menu, sent):
    """Held: a database restart kills the connection a database thread keeps between
    batches; the next batch fails, falls back, and each op is retried once on a fresh
    connection: applied once, answered ok."""
    from django.db import connection, connections

    ann, cy = arrive(menu.table), arrive(menu.other_table)
    assert all(ok for _, ok, _ in group_commit._apply([_item(ann, "a0", menu.rice, 0)]))
    if connection.vendor == "postgresql":
        # That connection only (this thread's, kept from the batch): the pool's others are
        # the next tests'.
        kept = connection.connection.info.backend_pid
        probe = connections.create_connection("default")
        try:
            with probe.cursor() as cursor:
                cursor.execute("SELECT pg_terminate_backend(%s)", [kept])
        finally:
            probe.close()
    outcomes = group_commit._apply(
        [_item(ann, "a1", menu.rice, ann.session_id), _item(cy, "c1", menu.rice, cy.session_id)]
    )
    assert all(ok for _, ok, _ in outcomes), outcomes
    assert CartLine.objects.get(added_by=ann).qty == 2
    assert CartLine.objects.get(added_by=cy).qty == 1


@pytest.mark.asyncio
async def test_idle_database_threads_give_their_connections_back_to_the_pool(menu, sent):
    """Rule (settings: DB_THREADS is at most DB_POOL_MAX): database threads keep a pooled
    connection only while ops keep coming. Idle threads holding theirs, with DB_THREADS =
    DB_POOL_MAX (allowed), would hold the whole pool, and every other caller (asgiref's
    thread: staff sockets, the heartbeat) would wait out the pool's timeout. (SQLite: no
    pool, no group commit; nothing to check there.)"""
    from channels.db import database_sync_to_async as sync_to_async  # a fresh connection
    from django.db import connection

    if connection.vendor != "postgresql":
        return  # SQLite has no pool and no group commit: one thread, one connection
    diners = [await sync_to_async(arrive)(t) for t in (menu.table, menu.other_table) * 2]
    pool = await sync_to_async(lambda: connection.pool)()
    in_use_before = pool.get_stats()["pool_size"] - pool.get_stats()["pool_available"]
    await asyncio.gather(*(
        group_commit.grouped(
            ops.diner_op_apply, order=d.session_id, diner_id=d.pk, op_id=f"p{n}",
            op=_add(f"p{n}", menu.rice),
        )
        for n, d in enumerate(diners * 4)
    ))  # fmt: skip
    queue = group_commit._queues[asyncio.get_running_loop()]

    def held() -> int:
        stats = pool.get_stats()
        return stats["pool_size"] - stats["pool_available"] - in_use_before

    # Until every drainer has ended (found the queue empty) and given its connection back:
    # a drainer is counted out just before it closes its connection.
    for _ in range(1000):
        if queue.draining == 0 and held() <= 0:
            break
        await asyncio.sleep(0.01)
    assert queue.draining == 0
    assert held() <= 0, f"idle database threads hold {held()} connections"


def test_a_resend_in_the_same_batch_as_its_original_is_applied_once(menu, sent):
    """Held: the original and its resend (a new socket of the same phone) share a batch: the
    resend's unique violation rolls the batch back; alone, the original applies and the
    resend gets its seq; the other table's op applies once."""
    ann, cy = arrive(menu.table), arrive(menu.other_table)
    outcomes = group_commit._apply([
        _item(ann, "a1", menu.rice, ann.session_id),
        _item(cy, "c1", menu.rice, cy.session_id),
        _item(ann, "a1", menu.rice, ann.session_id),
    ])  # fmt: skip
    seqs = [value for item, ok, value in outcomes if item.kwargs["op_id"] == "a1"]
    assert all(ok for _, ok, _ in outcomes), outcomes
    assert seqs[0] == seqs[1]
    assert CartLine.objects.get(added_by=ann).qty == 1
    assert CartLine.objects.get(added_by=cy).qty == 1
    assert len([e for _, e in sent if e.get("type") == "cart.line"]) == 2
