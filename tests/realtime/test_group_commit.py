"""Group commit (restaurant/realtime/group_commit.py): ops of several tables in one
transaction, each still applied once, answered as it would be alone, and announced only after
its commit, in order."""

import asyncio

import msgspec
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from restaurant.dining import ops, protocol
from restaurant.dining.models import AppliedOp, CartLine, DiningSession
from restaurant.realtime import group_commit, metrics
from restaurant.realtime.errors import OpError
from tests.dining.helpers import arrive
from tests.realtime.conftest import NoLoopFuture

pytestmark = pytest.mark.django_db(transaction=True)


def item(diner, message: dict) -> group_commit._Item:
    op = msgspec.convert(message, protocol.DINER_OPS[message["type"]])
    kwargs = {"diner_id": diner.pk, "op_id": message["id"], "op": op}
    return group_commit._Item(diner.session_id, ops.diner_op_apply, kwargs, NoLoopFuture())


def add(diner, dish, op_id: str) -> dict:
    return {"id": op_id, "type": "cart.add", "dish_id": dish.pk, "qty": 1, "options": [],
            "note": ""}  # fmt: skip


def committed(result: str) -> float:
    return metrics.GROUP_COMMITS.labels(result)._value.get()


def test_ops_of_several_tables_commit_in_one_transaction(menu, sent):
    ann, bo = arrive(menu.table), arrive(menu.table)
    cy = arrive(menu.other_table)
    batch = [
        item(cy, add(cy, menu.rice, "c1")),
        item(ann, add(ann, menu.rice, "a1")),
        item(bo, add(bo, menu.rice, "b1")),
        item(ann, add(ann, menu.rice, "a2")),  # the diner's own line again: qty 2
    ]
    before = committed("committed")
    with CaptureQueriesContext(connection) as queries:
        outcomes = group_commit._apply(batch)
    assert committed("committed") == before + 1
    assert all(ok for _, ok, _ in outcomes), outcomes
    commits = [q for q in queries.captured_queries if q["sql"].upper().startswith("COMMIT")]
    assert len(commits) <= 1  # Django does not log COMMIT on every backend; never more than one

    first, second = ann.session, cy.session
    seqs = {item.kwargs["op_id"]: value for item, _, value in outcomes}
    # The batch took its meals in id order; ops of one meal kept their order.
    order = [item.kwargs["op_id"] for item, _, _ in outcomes]
    assert order.index("a1") < order.index("b1") < order.index("a2")
    assert seqs["a2"] == seqs["b1"] + 1 == seqs["a1"] + 2
    assert DiningSession.objects.get(pk=first.pk).seq == seqs["a2"]
    assert DiningSession.objects.get(pk=second.pk).seq == seqs["c1"]
    assert CartLine.objects.get(added_by=ann).qty == 2
    assert AppliedOp.objects.count() == 4
    # Every op's event went out once, after the commit, in the order applied.
    table_seqs = [e["seq"] for g, e in sent if e.get("type") == "cart.line" and e["seq"]]
    assert len(table_seqs) == 4


def test_a_failing_op_rolls_the_batch_back_and_each_op_runs_again_alone(menu, sent):
    ann = arrive(menu.table)
    cy = arrive(menu.other_table)
    batch = [
        item(ann, add(ann, menu.rice, "a1")),
        # a line that is not there: OpError inside the batch, after a1 wrote its line
        item(ann, {"id": "a2", "type": "cart.set_qty", "line_id": 10**9, "qty": 3}),
        item(cy, add(cy, menu.rice, "c1")),
    ]
    before = committed("fell_back")
    outcomes = {item.kwargs["op_id"]: (ok, value) for item, ok, value in group_commit._apply(batch)}
    assert committed("fell_back") == before + 1
    assert outcomes["a1"][0] and outcomes["c1"][0]
    ok, error = outcomes["a2"]
    assert not ok and isinstance(error, OpError) and error.code == "not_found"
    # Applied once each, not twice: the batch's first try left nothing behind.
    assert CartLine.objects.get(added_by=ann).qty == 1
    assert CartLine.objects.get(added_by=cy).qty == 1
    assert sorted(AppliedOp.objects.values_list("op_id", flat=True)) == ["a1", "c1"]
    lines = [e for _, e in sent if e.get("type") == "cart.line"]
    assert len(lines) == 2  # the rolled-back try announced nothing


def test_a_resend_in_a_batch_is_answered_with_its_first_seq_and_not_applied_again(menu, sent):
    ann = arrive(menu.table)
    cy = arrive(menu.other_table)
    (_, ok, first_seq), = group_commit._apply([item(ann, add(ann, menu.rice, "a1"))])  # fmt: skip
    assert ok
    outcomes = group_commit._apply(
        [item(ann, add(ann, menu.rice, "a1")), item(cy, add(cy, menu.rice, "c1"))]
    )
    by_id = {item.kwargs["op_id"]: (ok, value) for item, ok, value in outcomes}
    assert by_id["a1"] == (True, first_seq)
    assert by_id["c1"][0]
    assert CartLine.objects.get(added_by=ann).qty == 1


@pytest.mark.asyncio
async def test_grouped_answers_each_caller_after_its_commit(menu, settings):
    """Through the loop: many callers at once, each gets its own seq (on PostgreSQL they
    queue for the database threads and share transactions; on SQLite each runs alone)."""
    from asgiref.sync import sync_to_async

    diners = [await sync_to_async(arrive)(t) for t in (menu.table, menu.other_table) * 3]

    async def one(index: int, diner):
        op = msgspec.convert(add(diner, menu.rice, f"g{index}"), protocol.CartAdd)
        return await group_commit.grouped(
            ops.diner_op_apply, order=diner.session_id, diner_id=diner.pk, op_id=f"g{index}",
            op=op,
        )  # fmt: skip

    seqs = await asyncio.gather(*(one(i, d) for i, d in enumerate(diners * 4)))
    assert len(seqs) == 24
    by_table = {}
    for index, seq in enumerate(seqs):
        by_table.setdefault(diners[index % 6].session_id, []).append(seq)
    for table_seqs in by_table.values():
        assert sorted(table_seqs) == list(range(min(table_seqs), min(table_seqs) + 12))
    count = await sync_to_async(AppliedOp.objects.count)()
    assert count == 24


def test_an_op_that_waited_too_long_for_the_database_is_refused_busy_and_not_applied(
    menu, settings, caplog, monkeypatch
):
    settings.RESTAURANT = {**settings.RESTAURANT, "OP_QUEUE_SECONDS": 2.0}
    monkeypatch.setattr(group_commit, "_logged_at", -1e9)  # the warning is not held back
    ann = arrive(menu.table)
    cy = arrive(menu.other_table)
    late, fresh = item(ann, add(ann, menu.rice, "a1")), item(cy, add(cy, menu.rice, "c1"))
    late.queued_at -= 5  # queued five seconds ago: an overloaded worker
    before = metrics.OPS_SHED._value.get()
    kept, refused = group_commit._shed([late, fresh])
    assert kept == [fresh]
    ((what, ok, error),) = refused
    assert what is late and not ok and isinstance(error, OpError) and error.code == "busy"
    assert metrics.OPS_SHED._value.get() == before + 1
    assert "overloaded" in caplog.text
    group_commit._apply(kept)
    assert not CartLine.objects.filter(added_by=ann).exists()  # refused: nothing applied
    assert CartLine.objects.filter(added_by=cy).exists()


@pytest.mark.asyncio
async def test_a_rush_of_cart_ops_does_not_starve_the_other_database_work(menu):
    """Ops that keep coming (diners do not wait for each other) keep the queue full; a
    round, a connect or a snapshot queued for the same threads still gets its turn while
    the rush goes on (PostgreSQL's threads; on SQLite everything takes turns on one thread)."""
    from asgiref.sync import sync_to_async

    from restaurant.realtime.db import db

    diners = [await sync_to_async(arrive)(t) for t in (menu.table, menu.other_table) * 4]
    sent: list[asyncio.Future] = []

    def send(n: int) -> None:
        diner = diners[n % len(diners)]
        op = msgspec.convert(add(diner, menu.rice, f"r{n}"), protocol.CartAdd)
        sent.append(asyncio.ensure_future(group_commit.grouped(
            ops.diner_op_apply, order=diner.session_id, diner_id=diner.pk, op_id=f"r{n}", op=op,
        )))  # fmt: skip

    async def rush() -> None:  # open loop: a new op every millisecond, answered or not
        for n in range(3000):
            send(n)
            await asyncio.sleep(0.001)

    rushing = asyncio.ensure_future(rush())
    while len(sent) < 100:
        await asyncio.sleep(0.01)
    seq = await db(lambda: DiningSession.objects.get(pk=diners[0].session_id).seq)()
    still_rushing = not rushing.done()
    rushing.cancel()
    await asyncio.gather(*sent, return_exceptions=True)
    assert seq >= 0
    assert still_rushing, "the other database work waited for the rush to end"


@pytest.mark.asyncio
async def test_two_batches_in_flight_never_hold_the_same_meal(menu):
    """Ops of one meal wait in one shard, drained by one thread at a time: no batch waits for
    another's meal locks (with one queue, a rush's batches shared tables and ran one after
    another). Checked with a stand-in op that notes which meals are being applied where."""
    import threading
    import time

    in_flight: dict[int, set] = {}
    overlaps = []
    guard = threading.Lock()

    def op(*, meal: int) -> int:
        with guard:
            holders = in_flight.setdefault(meal, set())
            if holders - {threading.get_ident()}:
                overlaps.append(meal)
            holders.add(threading.get_ident())
        time.sleep(0.002)  # a statement's round trip: long enough for others to overlap
        with guard:
            in_flight[meal].discard(threading.get_ident())
        return meal

    async def one(n: int) -> int:
        meal = n % 6
        return await group_commit.grouped(op, order=meal, meal=meal)

    results = await asyncio.gather(*(one(n) for n in range(600)))
    assert results == [n % 6 for n in range(600)]
    assert overlaps == []
