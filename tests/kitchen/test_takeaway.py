"""Packed to take away (打包) once sent: the round's dish keeps it and the price with the packing
fee (a set meal's parts too, the set's fee shared among them), says `takeaway` only when it is
one, and the kitchen's ticket marks it; the check shows it."""

import json

import pytest

from restaurant.billing.payloads import check_payload
from restaurant.billing.selectors import check_of
from restaurant.dining import services
from restaurant.dining.models import DiningSession
from restaurant.dining.services import session_open
from restaurant.kitchen.adjustments import item_adjust
from restaurant.kitchen.models import AdjustReason, Order, OrderItem
from restaurant.kitchen.selectors import meal_orders
from restaurant.menu.models import Category, Dish, Option, OptionGroup
from restaurant.printing.models import PrintJob
from restaurant.printing.tickets import Ticket, TicketItem, ticket_render, ticket_text
from tests.dining.helpers import apply, arrive
from tests.support.fake_printer import printers_point, stations_make

pytestmark = pytest.mark.django_db

# The wire contract of a round's dish eaten in: no `takeaway` key.
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
    sent = []

    def record(group, message):
        sent.append(json.loads(message["text"]))

    monkeypatch.setattr(services, "broadcast_on_commit", record)
    return sent


@pytest.fixture
def fees(menu):
    """Kung Pao chicken (¥38) packs for ¥2; rice (¥3) for nothing; rounds are not held."""
    Dish.objects.filter(pk=menu.chicken.pk).update(packing_fee=200)
    menu.chicken.refresh_from_db()
    session_open(table=menu.table, by_staff=True)
    return menu


def test_the_round_keeps_what_was_to_take_away_at_its_price(fees, events):
    menu = fees
    ann = arrive(menu.table)
    add(ann, menu.chicken, "a1", options=[menu.mild.pk, menu.peanuts.pk], takeaway=True, qty=2)
    add(ann, menu.chicken, "a2", options=[menu.mild.pk])
    add(ann, menu.rice, "a3", takeaway=True)
    submit(ann)
    items = OrderItem.objects.order_by("pk").values_list("dish_id", "takeaway", "unit_price")
    assert list(items) == [
        (menu.chicken.pk, True, 3800 + 200 + 200),  # dish, peanuts, packing
        (menu.chicken.pk, False, 3800),
        (menu.rice.pk, True, 300),
    ]
    assert Order.objects.get().total == 2 * 4200 + 3800 + 300

    submitted = next(e for e in events if e["type"] == "order.submitted")
    packed, eaten_in, rice = submitted["order"]["items"]
    assert set(eaten_in) == ITEM_KEYS, "a dish eaten in is as it was"
    assert packed["takeaway"] is True and set(packed) == ITEM_KEYS | {"takeaway"}
    assert (packed["price"], rice["takeaway"]) == (4200, True)
    (order,) = meal_orders(ann.session)
    assert [item.get("takeaway") for item in order["items"]] == [True, None, True]

    # The fee changed afterwards: what was sent keeps its price.
    Dish.objects.filter(pk=menu.chicken.pk).update(packing_fee=500)
    assert OrderItem.objects.filter(takeaway=True, dish=menu.chicken).get().unit_price == 4200


def test_a_part_taken_back_of_a_dish_to_take_away_is_one_too(fees):
    menu = fees
    ann = arrive(menu.table)
    add(ann, menu.chicken, "a", options=[menu.mild.pk], takeaway=True, qty=3)
    submit(ann)
    reason = AdjustReason.objects.create(restaurant=menu.restaurant, name="老顾客",
                                         for_void=False, for_comp=True)  # fmt: skip
    item_adjust(restaurant=menu.restaurant, item_id=OrderItem.objects.get().pk, kind="comp",
                qty=1, reason_id=reason.pk, by_id=None, role="manager")  # fmt: skip
    assert sorted(OrderItem.objects.values_list("qty", "takeaway", "comped", "unit_price")) == [
        (1, True, True, 4000), (2, True, False, 4000),
    ]  # fmt: skip


@pytest.fixture
def lunch(fees):
    """商务套餐 ¥58, packing ¥3: 1 main of 2 (the beef +¥10), 1 side of 2."""
    menu = fees
    r = menu.restaurant
    sets = Category.objects.create(restaurant=r, name="套餐")
    mains = Category.objects.create(restaurant=r, name="主菜")
    fish = Dish.objects.create(category=mains, name="酸菜鱼", price=4800, packing_fee=100)
    beef = Dish.objects.create(category=mains, name="黑椒牛柳", price=5800)
    tofu = Dish.objects.create(category=mains, name="皮蛋豆腐", price=1200)
    lunch = Dish.objects.create(category=sets, name="商务套餐", price=5800, packing_fee=300)
    main = OptionGroup.objects.create(restaurant=r, name="主菜", min_choices=1, max_choices=1)
    side = OptionGroup.objects.create(restaurant=r, name="小菜", min_choices=1, max_choices=1)
    lunch.option_groups.add(main, side)
    Option.objects.create(group=main, name="酸菜鱼", dish=fish)
    o_beef = Option.objects.create(group=main, name="黑椒牛柳", dish=beef, price=1000)
    o_tofu = Option.objects.create(group=side, name="皮蛋豆腐", dish=tofu)
    return lunch, [o_beef.pk, o_tofu.pk]


def test_a_set_to_take_away_sends_its_parts_so_sharing_the_fee(fees, lunch):
    menu = fees
    dish, choices = lunch
    ann = arrive(menu.table)
    add(ann, dish, "to-go", options=choices, takeaway=True)
    add(ann, dish, "here", options=choices)
    submit(ann)
    items = list(OrderItem.objects.order_by("pk"))
    packed = [i for i in items if i.takeaway]
    eaten_in = [i for i in items if not i.takeaway]
    assert len(packed) == len(eaten_in) == 2
    # The set's fee (¥3), not its parts' own fees, is part of the set's price.
    assert sum(i.unit_price for i in packed) == 5800 + 1000 + 300
    assert sum(i.unit_price for i in eaten_in) == 5800 + 1000
    assert {i.set_name for i in items} == {"商务套餐"}


def test_the_kitchen_ticket_marks_a_dish_to_take_away(fees):
    menu = fees
    stations_make(menu)
    printers_point(wok="tcp://192.0.2.1")
    ann = arrive(menu.table)
    add(ann, menu.chicken, "a1", options=[menu.mild.pk], takeaway=True)
    add(ann, menu.chicken, "a2", options=[menu.hot.pk])
    submit(ann)
    text = ticket_text(bytes(PrintJob.objects.get().payload))
    lines = text.splitlines()
    first = lines.index("1 × 宫保鸡丁")
    second = lines.index("1 × 宫保鸡丁", first + 1)
    assert lines[first + 1 : first + 3] == ["  ** 打包 TO GO **", "  微辣"]
    assert lines[second + 1] == "  特辣"
    assert text.count("打包 TO GO") == 1


def test_the_mark_is_printed_big_under_the_dish():
    items = [TicketItem(1, "米饭", takeaway=True), TicketItem(2, "米饭")]
    ticket = Ticket(restaurant="蜀香小馆", station="热菜", table="3号桌", at="12:30", round=1,
                    items=items)  # fmt: skip
    payload = ticket_render(ticket)
    assert b"\x1d!\x11\x1bE\x01\x1ba\x00" + "  ** 打包 TO GO **".encode("gb18030") in payload
    lines = ticket_text(payload).splitlines()
    assert lines[lines.index("1 × 米饭") + 1] == "  ** 打包 TO GO **"
    assert lines[lines.index("2 × 米饭") + 1] != "  ** 打包 TO GO **"


def test_the_check_shows_which_dishes_are_to_take_away(fees):
    menu = fees
    ann = arrive(menu.table)
    add(ann, menu.chicken, "a1", options=[menu.mild.pk], takeaway=True)
    add(ann, menu.rice, "a2")
    submit(ann)
    session = DiningSession.objects.get(pk=ann.session_id)
    parts = check_of(session)
    lines = check_payload(session, session.table.restaurant, *parts)["lines"]
    by_dish = {line["name"]: line for line in lines}
    assert by_dish["宫保鸡丁"]["takeaway"] is True and by_dish["米饭"]["takeaway"] is False
    assert by_dish["宫保鸡丁"]["unit_price"] == 4000
