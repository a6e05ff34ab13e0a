"""A dish added as shared by the table (`cart.add` with ``shared: true``): its cart line and its
order item say so, a shared line and an unshared one of the same dish never merge, and the
payloads of unshared lines and items are exactly what they were."""

import json

import pytest

from restaurant.dining import services
from restaurant.dining.models import CartLine, DiningSession
from restaurant.dining.selectors import dining_snapshot
from restaurant.dining.services import session_open
from restaurant.kitchen.adjustments import item_adjust
from restaurant.kitchen.models import AdjustReason, OrderItem
from restaurant.kitchen.selectors import meal_orders
from restaurant.venues.models import StaffMember
from tests.dining.helpers import apply, arrive
from tests.dining.sockets import DinerSocket
from tests.floor.sockets import WaiterSocket
from tests.kitchen.sockets import staff_cookie

# The wire contract of a line and of a round's dish that is not shared: no `shared` key.
LINE_KEYS = {"line_id", "dish_id", "qty", "options", "note", "added_by", "price"}
ITEM_KEYS = {
    "item_id", "dish_id", "name", "qty", "options", "option_names", "note", "added_by", "price",
    "comped", "split_from", "station_id", "status", "status_at", "void_reason", "nudge_after",
    "nudged_at",
}  # fmt: skip


def add(diner, dish, op_id, **fields):
    return apply(diner, {"type": "cart.add", "id": op_id, "dish_id": dish.pk, **fields})


def submit(diner):
    seq = DiningSession.objects.get(pk=diner.session_id).seq
    return apply(diner, {"type": "order.submit", "id": f"s{seq}", "seq": seq})


@pytest.fixture
def events(monkeypatch):
    """The table events the ops broadcast (decoded), in order, as soon as they are made."""
    sent = []

    def record(group, message):
        sent.append(json.loads(message["text"]))

    monkeypatch.setattr(services, "broadcast_on_commit", record)
    return sent


def lines_told(events) -> list[dict]:
    return [e["line"] for e in events if e["type"] == "cart.line"]


@pytest.mark.django_db
class TestCart:
    def test_shared_and_unshared_lines_of_a_dish_stay_apart(self, menu, events):
        ann = arrive(menu.table)
        add(ann, menu.rice, "a1")
        add(ann, menu.rice, "a2", shared=True)
        add(ann, menu.rice, "a3", shared=True, qty=2)
        add(ann, menu.rice, "a4", shared=False)
        lines = list(CartLine.objects.order_by("pk").values_list("shared", "qty"))
        assert lines == [(False, 2), (True, 3)]

        plain, shared, raised, raised_plain = lines_told(events)
        assert set(plain) == LINE_KEYS, "an unshared line's payload is as it was"
        assert shared["shared"] is True and set(shared) == LINE_KEYS | {"shared"}
        assert shared["line_id"] != plain["line_id"]
        # Raising each line: the shared one stays shared, the other stays without the key.
        assert raised == {**shared, "qty": 3}
        assert raised_plain == {**plain, "qty": 2}

        snapshot = dining_snapshot(diner_id=ann.pk)
        assert [set(line) for line in snapshot["cart"]] == [LINE_KEYS, LINE_KEYS | {"shared"}]
        assert snapshot["cart"][1]["shared"] is True

    def test_another_diners_shared_line_is_theirs(self, menu):
        ann, bo = arrive(menu.table), arrive(menu.table)
        add(ann, menu.rice, "a", shared=True)
        add(bo, menu.rice, "b", shared=True)
        assert sorted(CartLine.objects.values_list("added_by_id", "qty", "shared")) == [
            (ann.pk, 1, True), (bo.pk, 1, True),
        ]  # fmt: skip

    def test_a_new_qty_keeps_the_line_shared(self, menu, events):
        ann = arrive(menu.table)
        add(ann, menu.rice, "a", shared=True)
        line = CartLine.objects.get()
        apply(ann, {"type": "cart.set_qty", "id": "q", "line_id": line.pk, "qty": 4})
        told = lines_told(events)[-1]
        assert told["qty"] == 4 and told["shared"] is True
        assert CartLine.objects.get().shared is True

    def test_shared_must_be_a_boolean(self, menu):
        import msgspec

        ann = arrive(menu.table)
        with pytest.raises(msgspec.ValidationError):
            add(ann, menu.rice, "a", shared="yes")
        assert not CartLine.objects.exists()


@pytest.mark.django_db
class TestSubmit:
    def test_the_round_keeps_what_was_shared(self, menu, events):
        ann = arrive(menu.table)
        add(ann, menu.chicken, "a1", options=[menu.mild.pk], shared=True)
        add(ann, menu.rice, "a2")
        submit(ann)
        items = list(OrderItem.objects.order_by("pk").values_list("dish_id", "shared"))
        assert items == [(menu.chicken.pk, True), (menu.rice.pk, False)]

        submitted = next(e for e in events if e["type"] == "order.submitted")
        chicken, rice = submitted["order"]["items"]
        assert set(rice) == ITEM_KEYS, "an unshared dish's payload is as it was"
        assert chicken["shared"] is True and set(chicken) == ITEM_KEYS | {"shared"}
        # What a page loads the rounds from says the same.
        (order,) = meal_orders(ann.session)
        assert [item.get("shared") for item in order["items"]] == [True, None]

    def test_a_part_given_free_of_a_shared_dish_is_shared_too(self, menu):
        session_open(table=menu.table, by_staff=True)  # its first round is not held
        ann = arrive(menu.table)
        add(ann, menu.rice, "a", shared=True, qty=3)
        submit(ann)
        reason = AdjustReason.objects.create(restaurant=menu.restaurant, name="老顾客",
                                             for_void=False, for_comp=True)  # fmt: skip
        item_adjust(restaurant=menu.restaurant, item_id=OrderItem.objects.get().pk, kind="comp",
                    qty=1, reason_id=reason.pk, by_id=None, role="manager")  # fmt: skip
        assert sorted(OrderItem.objects.values_list("qty", "shared", "comped")) == [
            (1, True, True), (2, True, False),
        ]  # fmt: skip


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_on_the_sockets_a_phone_and_the_waiter_add_shared_dishes(menu):
    """The waiter's socket takes the diners' `cart.add`, `shared` included; every socket at the
    table hears the shared line and the round with it."""
    phone = await DinerSocket.join(menu.table.token)
    waiter = await WaiterSocket.at(await staff_cookie(menu.restaurant, StaffMember.Role.WAITER))

    ack = await waiter.op({"type": "cart.add", "dish_id": menu.rice.pk, "shared": True})
    assert ack["type"] == "ack"
    heard, _ = await phone.recv_until("cart.line")
    assert heard["by"] == waiter.diner_id and heard["line"]["shared"] is True
    assert heard["line"]["added_by"] == waiter.diner_id

    ack = await phone.op({"type": "cart.add", "dish_id": menu.rice.pk})
    assert ack["type"] == "ack"
    heard, _ = await waiter.recv_until("cart.line")
    while heard["by"] != phone.diner_id:
        heard, _ = await waiter.recv_until("cart.line")
    assert set(heard["line"]) == LINE_KEYS

    ack = await phone.op({"type": "order.submit", "seq": ack["seq"]})
    assert ack["type"] == "ack", ack
    submitted, _ = await waiter.recv_until("order.submitted")
    by_who = {item["added_by"]: item for item in submitted["order"]["items"]}
    assert by_who[waiter.diner_id]["shared"] is True
    assert set(by_who[phone.diner_id]) == ITEM_KEYS
    await waiter.close()
    await phone.close()


@pytest.mark.django_db
@pytest.mark.parametrize(("language", "toggle", "badge"), [
    ("en", "Shared by the table", "Shared"), ("zh-hans", "大家分", "大家分"),
])  # fmt: skip
def test_the_phone_and_the_waiter_pages_say_it_in_both_languages(menu, language, toggle, badge):
    from django.test import Client

    from tests.floor.test_waiter_page import client_of, data

    phone = Client().get(f"/t/{menu.table.token}/", HTTP_ACCEPT_LANGUAGE=language)
    waiter = client_of(menu.restaurant, StaffMember.Role.WAITER).get(
        "/staff/tables/1/order/", HTTP_ACCEPT_LANGUAGE=language
    )
    for page, strings in ((phone, "table-strings"), (waiter, "waiter-strings")):
        assert page.status_code == 200
        said = data(page, strings)
        assert (said["sharedAll"], said["shared"]) == (toggle, badge)
