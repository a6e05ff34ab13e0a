"""A dish taken back through `item.adjust` tells the table in strictly growing `seq`, and the
meal's stored `seq` is the last one told (the void path locks and changes the meal through its
own copy of the row)."""

import pytest

from restaurant.dining import services as dining_services
from restaurant.dining.models import DiningSession
from restaurant.kitchen.adjustments import item_adjust
from restaurant.kitchen.models import AdjustReason, Order
from restaurant.realtime import codec
from tests.dining.helpers import apply, arrive

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("qty", [2, 3])
def test_each_event_of_a_void_has_its_own_seq(menu, monkeypatch, qty):
    restaurant = menu.restaurant
    type(restaurant).objects.filter(pk=restaurant.pk).update(hold_first_round=False)
    reason = AdjustReason.objects.create(restaurant=restaurant, name="上错菜")
    diner = arrive(menu.table)
    apply(diner, {"type": "cart.add", "id": "a", "dish_id": menu.rice.pk, "qty": 3})
    apply(diner, {"type": "order.submit", "id": "s", "seq": DiningSession.objects.get().seq})
    item = Order.objects.get().items.get()
    before, sent, real = DiningSession.objects.get().seq, [], dining_services.broadcast_on_commit

    def recorded(group, message):
        if message.get("type") == "table.event":
            sent.append(codec.loads(message["text"]))
        return real(group, message)

    monkeypatch.setattr(dining_services, "broadcast_on_commit", recorded)
    item_adjust(restaurant=restaurant, item_id=item.pk, kind="void", qty=qty,
                reason_id=reason.pk, by_id=None, role="manager")  # fmt: skip
    seqs = [event["seq"] for event in sent]
    assert seqs == list(range(before + 1, before + 1 + len(seqs))), [
        (event["type"], event["seq"]) for event in sent
    ]
    assert "order.items" in [event["type"] for event in sent]
    assert DiningSession.objects.get().seq == seqs[-1]
