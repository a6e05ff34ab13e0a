"""Services against a real database: every rule of the diner protocol, and that a refused op
changes nothing."""

import pytest

from restaurant.dining.models import AppliedOp, CartLine, DiningSession
from restaurant.dining.selectors import dining_bill, dining_snapshot
from restaurant.dining.services import session_close, session_open
from restaurant.kitchen.models import Order, WaiterCall
from restaurant.kitchen.services import order_status_set
from restaurant.menu.services import dish_set_sold_out
from restaurant.realtime.errors import OpError
from tests.dining.helpers import apply, arrive

pytestmark = pytest.mark.django_db


def state(session_id):
    """What a refused op must leave untouched."""
    session = DiningSession.objects.get(pk=session_id)
    lines = list(CartLine.objects.filter(session=session).values_list("id", "qty", "note"))
    return session.seq, session.cart_seq, lines, Order.objects.count(), AppliedOp.objects.count()


def refused(diner, message, code):
    before = state(diner.session_id)
    with pytest.raises(OpError) as info:
        apply(diner, message)
    assert info.value.code == code, info.value.message
    assert state(diner.session_id) == before
    return info.value


def add(diner, dish, op_id, **fields):
    return apply(diner, {"type": "cart.add", "id": op_id, "dish_id": dish.pk, **fields})


class TestArrival:
    def test_first_diner_opens_the_session(self, menu):
        diner = arrive(menu.table)
        assert diner.name == "Guest 1"
        assert diner.session.status == "open"
        assert diner.session.seq == 1  # the `diner` event

    def test_same_browser_is_the_same_diner(self, menu):
        first = arrive(menu.table)
        assert arrive(menu.table, [first.pk]) == first
        second = arrive(menu.table)
        assert second.name == "Guest 2" and second.color != first.color
        assert second.session_id == first.session_id

    def test_a_diner_of_another_table_is_not_reused(self, menu):
        elsewhere = arrive(menu.other_table)
        here = arrive(menu.table, [elsewhere.pk])
        assert here != elsewhere

    def test_staff_opened_tables_wait_for_staff(self, menu):
        menu.restaurant.staff_opens_tables = True
        menu.restaurant.save()
        assert arrive(menu.table) is None
        assert not DiningSession.objects.exists()


class TestCart:
    def test_add_prices_on_the_server(self, menu):
        diner = arrive(menu.table)
        seq = add(diner, menu.chicken, "a1", options=[menu.peanuts.pk, menu.hot.pk], qty=2)
        assert seq == 2
        snapshot = dining_snapshot(diner_id=diner.pk)
        (line,) = snapshot["cart"]
        assert line["options"] == sorted([menu.peanuts.pk, menu.hot.pk])
        assert line["price"] == 3800 + 200
        assert line["qty"] == 2 and line["added_by"] == diner.pk

    def test_same_dish_options_and_note_raise_qty(self, menu):
        diner = arrive(menu.table)
        add(diner, menu.rice, "a1", note=" no salt ")
        add(diner, menu.rice, "a2", note="no salt", qty=3)
        add(diner, menu.rice, "a3")
        lines = CartLine.objects.order_by("pk")
        assert [(line.qty, line.note) for line in lines] == [(4, "no salt"), (1, "")]

    def test_other_options_make_another_line(self, menu):
        """The line is matched by its options too (compared as JSON, in SQL, on both
        databases), in whatever order they were chosen."""
        diner = arrive(menu.table)
        add(diner, menu.chicken, "a1", options=[menu.hot.pk, menu.peanuts.pk])
        add(diner, menu.chicken, "a2", options=[menu.peanuts.pk, menu.hot.pk])
        add(diner, menu.chicken, "a3", options=[menu.mild.pk])
        lines = CartLine.objects.order_by("pk")
        assert [(line.qty, line.options) for line in lines] == [
            (2, sorted([menu.hot.pk, menu.peanuts.pk])),
            (1, [menu.mild.pk]),
        ]

    def test_two_diners_make_two_lines(self, menu):
        a, b = arrive(menu.table), arrive(menu.table)
        add(a, menu.rice, "x")
        add(b, menu.rice, "x")  # op ids are per diner
        assert CartLine.objects.count() == 2

    @pytest.mark.parametrize(
        "fields, code",
        [
            ({}, "bad_request"),  # required spice level missing
            ({"options": ["MILD", "HOT"]}, "bad_request"),  # two of a one-of
            ({"options": ["MILD", "MILD"]}, "bad_request"),
            ({"options": ["MILD", "PEANUTS", "MEAT", "PEANUTS"]}, "bad_request"),
            ({"options": ["FOREIGN"]}, "bad_request"),
        ],
    )
    def test_option_rules(self, menu, fields, code):
        names = {"MILD": menu.mild, "HOT": menu.hot, "PEANUTS": menu.peanuts, "MEAT": menu.meat}
        diner = arrive(menu.table)
        other = menu.chicken.option_groups.create(
            restaurant=menu.restaurant, name="x", min_choices=0, max_choices=1
        )
        foreign = other.options.create(name="y")
        other.delete()
        names["FOREIGN"] = foreign
        fields = {"options": [names[n].pk for n in fields.get("options", [])]}
        refused(diner, {"type": "cart.add", "id": "o", "dish_id": menu.chicken.pk, **fields}, code)

    def test_sold_out_unknown_and_overflow(self, menu):
        diner = arrive(menu.table)
        error = refused(diner, {"type": "cart.add", "id": "s", "dish_id": menu.pork.pk}, "sold_out")
        assert error.extra == {"dish_ids": [menu.pork.pk]}
        refused(diner, {"type": "cart.add", "id": "n", "dish_id": 999999}, "not_found")
        add(diner, menu.rice, "r", qty=99)
        refused(diner, {"type": "cart.add", "id": "r2", "dish_id": menu.rice.pk}, "conflict")

    def test_set_qty_and_remove(self, menu):
        a, b = arrive(menu.table), arrive(menu.table)
        add(a, menu.rice, "a")
        line = CartLine.objects.get()
        seq = apply(b, {"type": "cart.set_qty", "id": "q", "line_id": line.pk, "qty": 5})
        assert CartLine.objects.get().qty == 5
        assert apply(b, {"type": "cart.set_qty", "id": "q2", "line_id": line.pk, "qty": 5}) == seq
        apply(b, {"type": "cart.set_qty", "id": "q3", "line_id": line.pk, "qty": 0})
        assert not CartLine.objects.exists()
        refused(a, {"type": "cart.remove", "id": "r", "line_id": line.pk}, "not_found")

    def test_another_tables_line_is_not_found(self, menu):
        here, there = arrive(menu.table), arrive(menu.other_table)
        add(there, menu.rice, "a")
        line = CartLine.objects.get()
        refused(here, {"type": "cart.remove", "id": "r", "line_id": line.pk}, "not_found")
        refused(
            here, {"type": "cart.set_qty", "id": "q", "line_id": line.pk, "qty": 2}, "not_found"
        )


class TestIdempotency:
    def test_a_resent_op_is_acked_again_and_not_applied(self, menu):
        diner = arrive(menu.table)
        seq = add(diner, menu.rice, "same")
        add(diner, menu.rice, "other")
        # same id, any body: the first ack stands, nothing changes
        before = state(diner.session_id)
        assert add(diner, menu.rice, "same", qty=7) == seq
        assert apply(diner, {"type": "diner.rename", "id": "same", "name": "x"}) == seq
        assert state(diner.session_id) == before

    def test_a_refused_op_is_judged_afresh(self, menu):
        diner = arrive(menu.table)
        dish_set_sold_out(restaurant=menu.restaurant, dish_id=menu.rice.pk, sold_out=True)
        refused(diner, {"type": "cart.add", "id": "retry", "dish_id": menu.rice.pk}, "sold_out")
        dish_set_sold_out(restaurant=menu.restaurant, dish_id=menu.rice.pk, sold_out=False)
        assert add(diner, menu.rice, "retry") > 0

    def test_an_op_that_changes_nothing_acks_the_current_seq(self, menu):
        diner = arrive(menu.table)
        current = diner.session.seq
        assert apply(diner, {"type": "diner.rename", "id": "n", "name": "Guest 1"}) == current


class TestRename:
    def test_trimmed_and_bounded(self, menu):
        diner = arrive(menu.table)
        apply(diner, {"type": "diner.rename", "id": "a", "name": "  小王 \n"})
        diner.refresh_from_db()
        assert diner.name == "小王"
        refused(diner, {"type": "diner.rename", "id": "b", "name": "   "}, "bad_request")
        refused(diner, {"type": "diner.rename", "id": "c", "name": "x" * 25}, "bad_request")


class TestSubmit:
    def submit(self, diner, op_id, seq=None):
        seq = DiningSession.objects.get(pk=diner.session_id).seq if seq is None else seq
        return apply(diner, {"type": "order.submit", "id": op_id, "seq": seq})

    def test_order_round_with_server_prices(self, menu):
        a, b = arrive(menu.table), arrive(menu.table)
        add(a, menu.chicken, "c", options=[menu.mild.pk, menu.meat.pk], qty=2, note="少油")
        add(b, menu.rice, "r", qty=3)
        seq = self.submit(b, "s")
        order = Order.objects.get()
        assert (order.round, order.status, order.submitted_by) == (1, "submitted", b)
        assert order.total == 2 * (3800 + 800) + 3 * 300
        assert not CartLine.objects.exists()
        session = DiningSession.objects.get()
        assert session.seq == seq == session.cart_seq
        add(a, menu.rice, "r2")
        self.submit(a, "s2")
        assert list(Order.objects.values_list("round", flat=True)) == [1, 2]

    def test_checks_in_protocol_order(self, menu):
        a, b = arrive(menu.table), arrive(menu.table)
        current = DiningSession.objects.get().seq
        submit = {"type": "order.submit", "id": "s"}
        refused(a, {**submit, "seq": current + 1}, "bad_request")
        refused(a, {**submit, "seq": current}, "empty_cart")
        add(a, menu.rice, "r")
        refused(b, {**submit, "seq": current}, "stale")  # b has not seen a's add
        add(a, menu.chicken, "c", options=[menu.mild.pk])
        dish_set_sold_out(restaurant=menu.restaurant, dish_id=menu.chicken.pk, sold_out=True)
        seq = DiningSession.objects.get().seq
        error = refused(b, {**submit, "seq": seq}, "sold_out")
        assert error.extra == {"dish_ids": [menu.chicken.pk]}

    def test_two_diners_pressing_together_make_one_order(self, menu):
        a, b = arrive(menu.table), arrive(menu.table)
        add(a, menu.rice, "r")
        seq = DiningSession.objects.get().seq
        self.submit(a, "s", seq)
        refused(b, {"type": "order.submit", "id": "s", "seq": seq}, "stale")
        assert Order.objects.count() == 1


class TestWaiterCall:
    def test_one_open_call_per_reason(self, menu):
        diner = arrive(menu.table)
        seq = apply(diner, {"type": "waiter.call", "id": "w1", "reason": "water"})
        assert apply(diner, {"type": "waiter.call", "id": "w2", "reason": "water"}) == seq
        apply(diner, {"type": "waiter.call", "id": "w3", "reason": "bill"})
        assert WaiterCall.objects.count() == 2
        refused(diner, {"type": "waiter.call", "id": "w4", "reason": "  "}, "bad_request")


class TestOrderStatus:
    def order(self, menu):
        # A meal staff opened: its first round is not held (TestHeldFirstRound), and flows
        # as every later round does.
        session_open(table=menu.table, by_staff=True)
        diner = arrive(menu.table)
        add(diner, menu.rice, "r")
        apply(diner, {"type": "order.submit", "id": "s", "seq": DiningSession.objects.get().seq})
        return Order.objects.get()

    @pytest.mark.parametrize(
        "path, refused_move",
        [
            (["accepted", "preparing", "ready", "served"], "cancelled"),
            (["ready"], "accepted"),  # skipping forward is fine; backward is not
            (["preparing"], "preparing"),  # the same status
            (["cancelled"], "accepted"),
            (["served"], "ready"),
        ],
    )
    def test_forward_only(self, menu, path, refused_move):
        order = self.order(menu)
        for status in path:
            order_status_set(restaurant=menu.restaurant, order_id=order.pk, status=status)
        seq = DiningSession.objects.get().seq
        with pytest.raises(OpError) as info:
            order_status_set(restaurant=menu.restaurant, order_id=order.pk, status=refused_move)
        assert info.value.code == "conflict"
        assert DiningSession.objects.get().seq == seq

    def test_cancel_before_served(self, menu):
        order = self.order(menu)
        order_status_set(restaurant=menu.restaurant, order_id=order.pk, status="preparing")
        order_status_set(restaurant=menu.restaurant, order_id=order.pk, status="cancelled")
        assert Order.objects.get().status == "cancelled"


class TestHeldFirstRound:
    """The first round of a meal a diner's scan opened waits for staff: it stays `submitted`,
    marked `awaiting_confirmation`, until staff accept it (or cancel it)."""

    def submit(self, diner, menu, op_id="s"):
        add(diner, menu.rice, f"{op_id}-r")
        seq = DiningSession.objects.get(pk=diner.session_id).seq
        apply(diner, {"type": "order.submit", "id": op_id, "seq": seq})
        return Order.objects.filter(session_id=diner.session_id).latest("pk")

    def test_held_until_staff_accept_it(self, menu):
        from restaurant.kitchen.selectors import kitchen_open_orders

        diner = arrive(menu.table)
        order = self.submit(diner, menu)
        assert (order.status, order.awaiting_confirmation) == ("submitted", True)
        (mine,) = dining_snapshot(diner_id=diner.pk)["orders"]
        (kitchens,) = kitchen_open_orders(restaurant=menu.restaurant)
        assert mine["awaiting_confirmation"] is kitchens["awaiting_confirmation"] is True
        assert mine["status"] == kitchens["status"] == "submitted"
        for status in ("preparing", "ready", "served"):
            with pytest.raises(OpError) as info:
                order_status_set(restaurant=menu.restaurant, order_id=order.pk, status=status)
            assert info.value.code == "conflict"
        order_status_set(restaurant=menu.restaurant, order_id=order.pk, status="accepted")
        (mine,) = dining_snapshot(diner_id=diner.pk)["orders"]
        assert (mine["status"], mine["awaiting_confirmation"]) == ("accepted", False)
        order_status_set(
            restaurant=menu.restaurant, order_id=order.pk, status="ready"
        )  # then as any round
        assert Order.objects.get().status == "ready"

    def test_an_accept_taken_back_holds_it_again(self, menu):
        from restaurant.kitchen.services import order_recall

        order = self.submit(arrive(menu.table), menu)
        order_status_set(restaurant=menu.restaurant, order_id=order.pk, status="accepted")
        order_recall(restaurant=menu.restaurant, order_id=order.pk)
        order = Order.objects.get()
        assert order.status == "submitted" and order.is_awaiting_confirmation

    def test_a_held_round_may_be_cancelled(self, menu):
        order = self.submit(arrive(menu.table), menu)
        order_status_set(restaurant=menu.restaurant, order_id=order.pk, status="cancelled")
        order = Order.objects.get()
        assert order.status == "cancelled" and not order.is_awaiting_confirmation

    def test_later_rounds_flow_as_before(self, menu):
        diner = arrive(menu.table)
        self.submit(diner, menu, "s1")
        second = self.submit(diner, menu, "s2")
        assert (second.round, second.awaiting_confirmation) == (2, False)
        order_status_set(restaurant=menu.restaurant, order_id=second.pk, status="ready")

    def test_not_held_where_staff_opened_the_table_or_the_restaurant_says_so(self, menu):
        session_open(table=menu.table, by_staff=True)
        assert not self.submit(arrive(menu.table), menu).awaiting_confirmation
        menu.restaurant.hold_first_round = False
        menu.restaurant.save()
        assert not self.submit(arrive(menu.other_table), menu).awaiting_confirmation

    def test_events_say_whether_it_still_waits(self, menu, monkeypatch):
        from restaurant.kitchen import rules

        sent = []
        monkeypatch.setattr(rules, "broadcast_on_commit", lambda g, m: sent.append(m))
        order = self.submit(arrive(menu.table), menu)
        (new,) = [m for m in sent if '"order.new"' in m["text"]]
        assert '"awaiting_confirmation":true' in new["text"].replace(" ", "")
        order_status_set(restaurant=menu.restaurant, order_id=order.pk, status="accepted")
        (status,) = [m for m in sent if '"order.status"' in m["text"]]
        assert '"awaiting_confirmation":false' in status["text"].replace(" ", "")


class TestCloseAndBill:
    def test_bill_splits_by_who_added_what(self, menu):
        a, b = arrive(menu.table), arrive(menu.table)
        add(a, menu.chicken, "c", options=[menu.mild.pk])
        add(b, menu.rice, "r", qty=2)
        apply(a, {"type": "order.submit", "id": "s", "seq": DiningSession.objects.get().seq})
        bill = dining_bill(session=DiningSession.objects.get())
        totals = {row["diner_id"]: row["total"] for row in bill["per_diner"]}
        assert totals == {a.pk: 3800, b.pk: 600}
        assert bill["total"] == 4400 and bill["currency"] == "CNY"

    def test_next_party_starts_clean(self, menu):
        a = arrive(menu.table)
        add(a, menu.rice, "r")
        session_close(table=menu.table, discard_cart=True)
        refused_before = DiningSession.objects.get(pk=a.session_id)
        assert refused_before.status == "closed"
        with pytest.raises(OpError) as info:
            add(a, menu.rice, "r2")
        assert info.value.code == "closed"
        newcomer = arrive(menu.table, [a.pk])
        assert newcomer != a
        snapshot = dining_snapshot(diner_id=newcomer.pk)
        assert snapshot["cart"] == [] and snapshot["orders"] == []
        assert [d["diner_id"] for d in snapshot["diners"]] == [newcomer.pk]


class TestIdleMeals:
    """A meal with no one online and nothing ordered ends by itself once it has been idle for
    the restaurant's `idle_close_minutes` (30 by default)."""

    @staticmethod
    def later(minutes: float):
        from datetime import timedelta

        from django.utils import timezone

        return timezone.now() + timedelta(minutes=minutes)

    def test_ends_after_the_idle_time_and_tells_its_sockets(
        self, menu, django_capture_on_commit_callbacks, monkeypatch
    ):
        from restaurant.dining import services

        sent = []
        monkeypatch.setattr(services, "broadcast_on_commit", lambda g, m: sent.append((g, m)))
        diner = arrive(menu.table)
        add(diner, menu.rice, "r")  # a cart never sent does not keep it open
        apply(diner, {"type": "waiter.call", "id": "w", "reason": "water"})
        seq = DiningSession.objects.get().seq
        assert services.sessions_end_idle(now=self.later(29)) == []
        assert services.sessions_end_idle(now=self.later(31)) == [diner.session_id]
        session = DiningSession.objects.get()
        assert (session.status, session.seq) == ("closed", seq + 1)
        assert WaiterCall.objects.get().status == "done"
        closed = [m for _, m in sent if m["type"] == "table.closed"]
        assert len(closed) == 1 and closed[0]["session_id"] == session.pk
        # once: a second run (another process, the next period) finds nothing
        assert services.sessions_end_idle(now=self.later(31)) == []
        assert DiningSession.objects.get().seq == seq + 1

    def test_someone_online_keeps_it_open(self, menu):
        from restaurant.dining.services import connection_open, sessions_end_idle

        diner = arrive(menu.table)
        connection_open(diner_id=diner.pk, channel_name="c1", server_id="me")
        assert sessions_end_idle(now=self.later(600)) == []

    def test_an_order_keeps_it_open_unless_every_round_was_cancelled(self, menu):
        from restaurant.dining.services import sessions_end_idle

        diner = arrive(menu.table)
        add(diner, menu.rice, "r")
        apply(diner, {"type": "order.submit", "id": "s", "seq": DiningSession.objects.get().seq})
        assert sessions_end_idle(now=self.later(600)) == []
        order_status_set(
            restaurant=menu.restaurant, order_id=Order.objects.get().pk, status="cancelled"
        )
        assert sessions_end_idle(now=self.later(600)) == [diner.session_id]

    def test_going_offline_and_cart_changes_count_as_activity(self, menu):
        from restaurant.dining.services import (
            connection_close,
            connection_open,
            sessions_end_idle,
        )

        diner = arrive(menu.table)
        DiningSession.objects.update(last_active_at=self.later(-60))
        connection_open(diner_id=diner.pk, channel_name="c1", server_id="me")
        connection_close(channel_name="c1")  # the last diner went offline just now
        assert sessions_end_idle(now=self.later(20)) == []
        DiningSession.objects.update(last_active_at=self.later(-60))
        add(diner, menu.rice, "r")
        assert sessions_end_idle(now=self.later(20)) == []
        assert sessions_end_idle(now=self.later(31)) == [diner.session_id]

    def test_the_restaurant_sets_the_time_or_switches_it_off(self, menu):
        from restaurant.dining.services import sessions_end_idle

        diner = arrive(menu.table)
        menu.restaurant.idle_close_minutes = 0
        menu.restaurant.save()
        assert sessions_end_idle(now=self.later(10_000)) == []
        menu.restaurant.idle_close_minutes = 5
        menu.restaurant.save()
        assert sessions_end_idle(now=self.later(4)) == []
        assert sessions_end_idle(now=self.later(6)) == [diner.session_id]

    def test_each_meal_ends_by_its_own_restaurants_time(self, menu):
        """Leak stopped: one restaurant's setting (the first's) ended every restaurant's
        meals, and one restaurant switching it off kept every other's open."""
        from restaurant.dining.services import sessions_end_idle
        from tests.factories import make_menu

        quick, never = make_menu("quick"), make_menu("never")
        quick.restaurant.idle_close_minutes = 5
        quick.restaurant.save()
        never.restaurant.idle_close_minutes = 0
        never.restaurant.save()
        slow, fast, kept = arrive(menu.table), arrive(quick.table), arrive(never.table)
        assert sessions_end_idle(now=self.later(6)) == [fast.session_id]
        assert sessions_end_idle(now=self.later(31)) == [slow.session_id]
        assert sessions_end_idle(now=self.later(10_000)) == []
        assert DiningSession.objects.get(pk=kept.session_id).status == "open"


class TestLiveness:
    def test_connections_of_a_dead_process_are_reaped(
        self, menu, django_capture_on_commit_callbacks
    ):
        from datetime import timedelta

        from asgiref.sync import async_to_sync
        from channels.layers import get_channel_layer
        from django.utils import timezone

        from restaurant.dining.services import connection_open, presence_online, server_beat
        from restaurant.realtime import groups
        from restaurant.realtime.models import ServerHeartbeat
        from tests.support.layers import group_members, holds_groups_outside_the_process

        a, b = arrive(menu.table), arrive(menu.table)
        # Socket names are `<the process's hub channel>#<n>` (restaurant/realtime/hub.py).
        connection_open(diner_id=a.pk, channel_name="hub.dead!x#1", server_id="dead")
        connection_open(diner_id=b.pk, channel_name="hub.alive!y#1", server_id="alive")
        assert presence_online(a.session_id) == [a.pk, b.pk]
        assert server_beat(server_id="alive", stale_after=30) == 0
        ServerHeartbeat.objects.filter(server_id="dead").update(
            seen_at=timezone.now() - timedelta(seconds=31)
        )
        layer = get_channel_layer()
        table = groups.table_group(menu.table.pk)
        shared = holds_groups_outside_the_process()
        for group in (table, groups.menu_group(menu.restaurant.pk)) if shared else ():
            for hub in ("hub.dead!x", "hub.alive!y"):
                async_to_sync(layer.group_add)(group, hub)
        with django_capture_on_commit_callbacks(execute=True):
            assert server_beat(server_id="alive", stale_after=30) == 1
        assert presence_online(a.session_id) == [b.pk]
        # The dead process's hub left its groups too (it never got to leave them). On PubSub
        # its memberships were its own subscriptions, gone with it.
        for group in (table, groups.menu_group(menu.restaurant.pk)) if shared else ():
            assert async_to_sync(group_members)(group) == {"hub.alive!y"}
        assert list(ServerHeartbeat.objects.values_list("server_id", flat=True)) == ["alive"]

    def test_own_rows_without_a_live_socket_are_reaped(self, menu):
        from django.utils import timezone

        from restaurant.dining.services import connection_open, presence_online, server_beat

        a, b = arrive(menu.table), arrive(menu.table)
        connection_open(diner_id=a.pk, channel_name="live", server_id="me")
        connection_open(diner_id=b.pk, channel_name="cancelled", server_id="me")
        taken = timezone.now()
        connection_open(diner_id=b.pk, channel_name="just-connected", server_id="me")
        # "just-connected" came after the live set was taken: it stays
        assert server_beat(server_id="me", live_channels={"live"}, seen_before=taken) == 1
        assert presence_online(a.session_id) == [a.pk, b.pk]
        assert server_beat(server_id="me", live_channels={"live"}) == 1
        assert presence_online(a.session_id) == [a.pk]


class TestSessionLock:
    def test_the_locked_session_saves_only_what_it_read(self, menu):
        """The op path reads a few of the session's columns (restaurant/dining/sql.py); a
        service that saves it must not write the others back as blanks."""
        from django.db import transaction

        from restaurant.dining.services import session_of_diner_lock

        diner = arrive(menu.table)
        arrive(menu.table)
        with transaction.atomic():
            session = session_of_diner_lock(diner.pk)
            assert session.table.number == menu.table.number
            session.status = DiningSession.Status.CLOSED
            session.save()
        stored = DiningSession.objects.get()
        assert (stored.status, stored.diners_joined) == ("closed", 2)
        assert stored.opened_at is not None

    def test_a_diner_without_a_session_row_is_an_error(self, menu):
        from restaurant.dining.services import session_of_diner_lock

        with pytest.raises(DiningSession.DoesNotExist):
            session_of_diner_lock(987654)
