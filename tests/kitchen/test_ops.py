"""Staff ops applied concurrently: a resend is acknowledged again, never refused or doubled."""

import msgspec
import pytest

from restaurant.dining.models import AppliedOp, DiningSession
from restaurant.kitchen import ops, protocol
from restaurant.kitchen.models import Order
from restaurant.menu.models import Dish
from tests.dining.helpers import apply, arrive
from tests.factories import make_menu
from tests.support.concurrency import Meeting, at_once
from tests.support.people import staff_user

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_resend_racing_its_first_copy_gets_the_same_ack(menu, monkeypatch):
    diner = arrive(menu.table)
    apply(diner, {"type": "cart.add", "id": "a", "dish_id": menu.rice.pk})
    seq = DiningSession.objects.get().seq
    apply(diner, {"type": "order.submit", "id": "s", "seq": seq})
    order = Order.objects.get()
    cook = staff_user(menu.restaurant, "kitchen", username="cook")
    meeting, move = Meeting(2), ops.order_status_set

    def move_when_both_passed_the_op_id_check(**fields):
        meeting.wait()
        return move(**fields)

    monkeypatch.setattr(ops, "order_status_set", move_when_both_passed_the_op_id_check)
    message = {"type": "order.set_status", "id": "k1", "order_id": order.pk, "status": "accepted"}
    op = msgspec.convert(message, protocol.OrderSetStatus)
    staff = ops.Staff(cook.pk, "kitchen", menu.restaurant)

    def send():
        return ops.staff_op_apply(staff=staff, op_id="k1", op=op)

    assert at_once(send, send) == [None, None]  # both acknowledged: no `conflict`
    assert (
        AppliedOp.objects.filter(actor=f"u{cook.pk}r{menu.restaurant.pk}", op_id="k1").count() == 1
    )
    assert Order.objects.get().status == "accepted"


def test_one_op_id_at_two_restaurants_is_two_ops(menu):
    """Leak stopped: a person at two restaurants sent an op id at B that they had used at A;
    it was taken for a resend and acknowledged without being applied."""
    other = make_menu("other", name="另一家")
    boss = staff_user(menu.restaurant, "manager", username="boss")
    staff_user(other.restaurant, "manager", username="boss")
    for restaurant, dish in ((menu.restaurant, menu.rice), (other.restaurant, other.rice)):
        message = {"type": "dish.set_sold_out", "id": "same", "dish_id": dish.pk, "sold_out": True}
        op = msgspec.convert(message, protocol.DishSetSoldOut)
        ops.staff_op_apply(staff=ops.Staff(boss.pk, "manager", restaurant), op_id="same", op=op)
    assert Dish.objects.get(pk=menu.rice.pk).sold_out
    assert Dish.objects.get(pk=other.rice.pk).sold_out
