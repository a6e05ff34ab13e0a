"""Each dish of a round on its own (restaurant/kitchen/items.py): routed to its station at
submit, moved, voided with a reason, taken back, nudged; the round follows its dishes."""

from datetime import timedelta

import pytest
from django.utils import timezone

from restaurant.dining.models import DiningSession
from restaurant.dining.selectors import dining_bill
from restaurant.dining.services import session_open
from restaurant.kitchen.items import item_recall, item_status_set
from restaurant.kitchen.models import ItemMove, Order, OrderItem
from restaurant.kitchen.services import order_recall, order_status_set
from restaurant.realtime.errors import OpError
from restaurant.venues.models import StaffMember, Station
from tests.dining.helpers import apply, arrive
from tests.support.people import staff_user


@pytest.fixture
def stations(menu):
    """Hot wok (first: where unrouted dishes go) makes the mains; rice is made at the cold
    station by its own routing, with its own target."""
    hot = Station.objects.create(restaurant=menu.restaurant, code="hot", name="热菜",
                                 target_minutes=15, sort_order=1)  # fmt: skip
    cold = Station.objects.create(restaurant=menu.restaurant, code="cold", name="凉菜",
                                  target_minutes=8, sort_order=2)  # fmt: skip
    menu.chicken.category.station = hot
    menu.chicken.category.save()
    menu.rice.station, menu.rice.target_minutes = cold, 3
    menu.rice.save()
    return hot, cold


def send(menu, *dishes, held: bool = False) -> Order:
    """A diner sends one round of ``dishes`` (the table opened by staff unless ``held``)."""
    if not held and not DiningSession.objects.filter(table=menu.table, status="open").exists():
        session_open(table=menu.table, by_staff=True)
    diner = arrive(menu.table)
    for n, dish in enumerate(dishes):
        options = [menu.mild.pk] if dish == menu.chicken else []
        apply(diner, {"type": "cart.add", "id": f"a{n}{diner.pk}", "dish_id": dish.pk,
                      "options": options})  # fmt: skip
    seq = DiningSession.objects.get(table=menu.table, status="open").seq
    apply(diner, {"type": "order.submit", "id": f"s{diner.pk}", "seq": seq})
    return Order.objects.order_by("-pk").first()


def move(menu, item: OrderItem, status: str, **kw) -> OrderItem:
    return item_status_set(restaurant=menu.restaurant, item_id=item.pk, status=status, **kw)


def refusal(call, *args, **kw) -> str:
    with pytest.raises(OpError) as refused:
        call(*args, **kw)
    return refused.value.code


def items_of(order: Order) -> dict[str, OrderItem]:
    return {item.name: item for item in order.items.all()}


@pytest.mark.django_db
def test_each_dish_goes_to_its_station_with_its_target(menu, stations):
    hot, cold = stations
    before = timezone.now()
    items = items_of(send(menu, menu.chicken, menu.rice))
    assert (items["宫保鸡丁"].station, items["米饭"].station) == (hot, cold)
    assert all(item.status == "queued" for item in items.values())
    # The dish's own target first (3 min), else its station's (15).
    assert timedelta(minutes=3) <= items["米饭"].target_at - before < timedelta(minutes=4)
    assert timedelta(minutes=15) <= items["宫保鸡丁"].target_at - before < timedelta(minutes=16)
    # A dish routed nowhere goes to the first station; a station moved later does not move it.
    menu.rice.station = None
    menu.rice.save()
    assert items_of(send(menu, menu.rice))["米饭"].station == hot


@pytest.mark.django_db
def test_without_stations_every_dish_is_the_one_kitchens(menu):
    item = send(menu, menu.rice).items.get()
    assert item.station is None and item.target_at is not None


@pytest.mark.django_db
def test_the_round_follows_its_dishes(menu, stations):
    order = send(menu, menu.chicken, menu.rice)
    chicken, rice = items_of(order).values()
    move(menu, chicken, "cooking")
    assert Order.objects.get().status == "preparing"  # one dish started
    move(menu, chicken, "ready")
    assert Order.objects.get().status == "preparing"  # rice still queued
    move(menu, rice, "ready")  # skipping cooking is fine
    assert Order.objects.get().status == "ready"
    move(menu, rice, "served")
    assert Order.objects.get().status == "ready"  # the chicken is not on the table yet
    move(menu, chicken, "served")
    assert Order.objects.get().status == "served"
    assert refusal(move, menu, chicken, "ready") == "conflict"  # backward
    assert refusal(move, menu, chicken, "served") == "conflict"  # the same
    assert refusal(move, menu, chicken, "queued") == "bad_request"
    assert refusal(move, menu, chicken, "burnt") == "bad_request"


@pytest.mark.django_db
def test_a_void_needs_a_reason_is_not_charged_and_voiding_all_cancels(menu, stations):
    order = send(menu, menu.chicken, menu.rice)
    chicken, rice = items_of(order).values()
    assert refusal(move, menu, rice, "voided") == "bad_request"
    assert refusal(move, menu, rice, "voided", reason="   ") == "bad_request"
    assert OrderItem.objects.get(pk=rice.pk).status == "queued"  # nothing changed
    move(menu, rice, "voided", reason="  打翻了 ")
    rice.refresh_from_db()
    assert (rice.status, rice.void_reason) == ("voided", "打翻了")
    order.refresh_from_db()
    assert order.total == 3800 and order.status == "submitted"
    bill = dining_bill(session=order.session)
    assert bill["total"] == 3800
    assert refusal(move, menu, rice, "cooking") == "conflict"  # voided stays voided
    move(menu, chicken, "voided", reason="客人不要了")
    order.refresh_from_db()
    assert order.status == "cancelled" and order.total == 3800  # the round's value, not charged
    assert dining_bill(session=order.session)["total"] == 0


@pytest.mark.django_db
def test_a_held_round_moves_only_whole(menu, stations):
    order = send(menu, menu.chicken, held=True)
    assert order.is_awaiting_confirmation
    (chicken,) = items_of(order).values()
    assert refusal(move, menu, chicken, "cooking") == "conflict"
    order_status_set(restaurant=menu.restaurant, order_id=order.pk, status="accepted")
    move(menu, chicken, "cooking")
    assert Order.objects.get().status == "preparing"


@pytest.mark.django_db
def test_roles_and_stations_decide_who_moves_a_dish(menu, stations):
    _hot, cold = stations
    chicken, rice = items_of(send(menu, menu.chicken, menu.rice)).values()
    waiter = staff_user(menu.restaurant, "waiter", username="w")
    cold_cook = staff_user(menu.restaurant, "kitchen", username="cc")
    StaffMember.objects.filter(user=cold_cook).update(station=cold)
    cashier = staff_user(menu.restaurant, "cashier", username="c")
    assert refusal(move, menu, rice, "cooking", role="waiter", by_id=waiter.pk) == "forbidden"
    assert refusal(move, menu, rice, "voided", reason="x", role="cashier",
                   by_id=cashier.pk) == "forbidden"  # fmt: skip
    # The cold station's cook moves the rice, not the chicken (made at the hot wok).
    move(menu, rice, "ready", role="kitchen", by_id=cold_cook.pk)
    assert refusal(move, menu, chicken, "cooking", role="kitchen", by_id=cold_cook.pk) == (
        "forbidden"
    )
    assert refusal(item_recall, restaurant=menu.restaurant, item_id=chicken.pk,
                   by_id=cold_cook.pk) == "forbidden"  # fmt: skip
    # A waiter serves what is ready, and may take a dish back.
    move(menu, rice, "served", role="waiter", by_id=waiter.pk)
    move(menu, chicken, "voided", reason="太咸", role="waiter", by_id=waiter.pk)
    assert ItemMove.objects.filter(by=waiter).count() == 2


@pytest.mark.django_db
def test_another_restaurants_dish_is_unknown(menu, stations):
    from tests.factories import make_menu

    other = make_menu("other", "别家")
    (chicken,) = items_of(send(menu, menu.chicken)).values()
    code = refusal(item_status_set, restaurant=other.restaurant, item_id=chicken.pk,
                   status="cooking")  # fmt: skip
    assert code == "not_found"
    assert OrderItem.objects.get(pk=chicken.pk).status == "queued"


@pytest.mark.django_db
def test_a_mis_tap_is_taken_back_within_the_window(menu, stations, settings):
    _chicken, rice = items_of(send(menu, menu.chicken, menu.rice)).values()
    assert refusal(item_recall, restaurant=menu.restaurant, item_id=rice.pk) == "conflict"
    move(menu, rice, "ready")
    assert Order.objects.get().status == "preparing"
    assert item_recall(restaurant=menu.restaurant, item_id=rice.pk).status == "queued"
    assert Order.objects.get().status == "submitted"  # back where it was
    assert refusal(item_recall, restaurant=menu.restaurant, item_id=rice.pk) == "conflict"
    move(menu, rice, "voided", reason="打翻了")
    item_recall(restaurant=menu.restaurant, item_id=rice.pk)
    rice.refresh_from_db()
    assert (rice.status, rice.void_reason) == ("queued", "")
    assert Order.objects.get().total == 3800 + 300
    move(menu, rice, "cooking")
    ItemMove.objects.filter(item=rice, to_status="cooking").update(
        at=timezone.now() - timedelta(seconds=settings.RESTAURANT["RECALL_SECONDS"] + 1)
    )
    assert refusal(item_recall, restaurant=menu.restaurant, item_id=rice.pk) == "conflict"
    moves = ItemMove.objects.filter(item=rice).order_by("pk")
    moves = list(moves.values_list("from_status", "to_status", "recall"))
    assert moves == [("queued", "ready", False), ("ready", "queued", True),
                     ("queued", "voided", False), ("voided", "queued", True),
                     ("queued", "cooking", False)]  # fmt: skip


@pytest.mark.django_db
def test_a_round_move_carries_its_dishes_and_its_recall_brings_them_back(menu, stations):
    order = send(menu, menu.chicken, menu.rice)
    chicken, rice = items_of(order).values()
    move(menu, rice, "ready")
    order_status_set(restaurant=menu.restaurant, order_id=order.pk, status="served")
    assert set(OrderItem.objects.values_list("status", flat=True)) == {"served"}
    # A dish moved with its round is taken back with the round.
    assert refusal(item_recall, restaurant=menu.restaurant, item_id=chicken.pk) == "conflict"
    assert order_recall(restaurant=menu.restaurant, order_id=order.pk).status == "preparing"
    statuses = dict(OrderItem.objects.values_list("name", "status"))
    assert statuses == {"宫保鸡丁": "queued", "米饭": "ready"}
    order_status_set(restaurant=menu.restaurant, order_id=order.pk, status="cancelled",
                     reason="客人走了")  # fmt: skip
    assert set(OrderItem.objects.values_list("status", "void_reason")) == {("voided", "客人走了")}
    order_recall(restaurant=menu.restaurant, order_id=order.pk)
    statuses = dict(OrderItem.objects.values_list("name", "status"))
    assert statuses == {"宫保鸡丁": "queued", "米饭": "ready"}
    assert Order.objects.get().status == "preparing"
    # A dish moved on a board after the round's move keeps that move through the recall.
    order_status_set(restaurant=menu.restaurant, order_id=order.pk, status="ready")
    move(menu, OrderItem.objects.get(pk=chicken.pk), "served")
    assert refusal(order_recall, restaurant=menu.restaurant, order_id=order.pk) == "conflict"


def nudge(diner, item, op_id="n") -> int:
    return apply(diner, {"type": "item.nudge", "id": op_id, "item_id": item.pk})


def diner_refusal(diner, item, op_id) -> OpError:
    with pytest.raises(OpError) as refused:
        nudge(diner, item, op_id)
    return refused.value


@pytest.mark.django_db
def test_a_late_dish_is_nudged_once_per_cooldown(menu, stations, settings, monkeypatch):
    from restaurant.kitchen import rules

    told = []
    monkeypatch.setattr(rules, "broadcast_on_commit", lambda g, m: told.append((g, m)))
    order = send(menu, menu.chicken, menu.rice)
    _chicken, rice = items_of(order).values()
    diner = arrive(menu.table)
    early = diner_refusal(diner, rice, "n1")
    assert early.code == "too_early" and 0 < early.extra["seconds"] <= 180
    OrderItem.objects.filter(pk=rice.pk).update(target_at=timezone.now() - timedelta(minutes=4))
    seq = nudge(diner, rice, "n2")
    assert seq == DiningSession.objects.get().seq
    rice.refresh_from_db()
    assert rice.nudges == 1 and rice.nudged_at is not None
    (kitchen_event,) = [m["text"] for _, m in told if '"item.nudge"' in m["text"]]
    assert '"name":"米饭"' in kitchen_event.replace(" ", "")
    assert f'"station_id":{stations[1].pk}' in kitchen_event.replace(" ", "")
    assert '"late_seconds":24' in kitchen_event.replace(" ", "")  # 4 min late: 240 s
    # Another diner of the table, within the cooldown: told to wait, nobody is told twice.
    other = arrive(menu.table)
    again = diner_refusal(other, rice, "n3")
    assert again.code == "cooldown" and again.extra["seconds"] > 0
    assert OrderItem.objects.get(pk=rice.pk).nudges == 1
    # A resent op id is acknowledged again, not applied twice.
    assert nudge(diner, rice, "n2") == seq
    assert OrderItem.objects.get(pk=rice.pk).nudges == 1
    # After the cooldown it may be nudged again; a served or voided dish may not.
    OrderItem.objects.filter(pk=rice.pk).update(
        nudged_at=timezone.now() - timedelta(seconds=settings.RESTAURANT["NUDGE_COOLDOWN_SECONDS"])
    )
    nudge(other, rice, "n4")
    assert OrderItem.objects.get(pk=rice.pk).nudges == 2
    move(menu, rice, "served")
    assert diner_refusal(diner, rice, "n5").code == "conflict"


@pytest.mark.django_db
def test_only_a_dish_of_the_diners_own_meal(menu, stations):
    (chicken,) = items_of(send(menu, menu.chicken)).values()
    OrderItem.objects.update(target_at=timezone.now() - timedelta(minutes=1))
    session_open(table=menu.other_table, by_staff=True)
    stranger = arrive(menu.other_table)
    assert diner_refusal(stranger, chicken, "x").code == "not_found"
    assert OrderItem.objects.get(pk=chicken.pk).nudges == 0


@pytest.mark.django_db
def test_a_cook_kept_to_a_station_accepts_rounds_but_moves_only_dishes(menu, stations):
    _hot, cold = stations
    cook = staff_user(menu.restaurant, "kitchen", username="cold")
    StaffMember.objects.filter(user=cook).update(station=cold)
    held = send(menu, menu.rice, held=True)
    as_cook = {"restaurant": menu.restaurant, "order_id": held.pk, "by_id": cook.pk,
               "role": "kitchen"}  # fmt: skip
    order_status_set(status="accepted", **as_cook)
    for status in ("preparing", "ready", "served", "cancelled"):
        assert refusal(order_status_set, status=status, **as_cook) == "forbidden"
    assert refusal(order_recall, restaurant=menu.restaurant, order_id=held.pk,
                   by_id=cook.pk) == "forbidden"  # fmt: skip
    assert Order.objects.get().status == "accepted"


@pytest.mark.django_db
def test_a_held_round_is_confirmed_once_accepted(menu, stations, monkeypatch):
    from restaurant.kitchen import hooks

    submitted, confirmed = [], []
    monkeypatch.setattr(hooks, "ROUND_SUBMITTED", [lambda order: submitted.append(order.pk)])
    monkeypatch.setattr(hooks, "ROUND_CONFIRMED", [lambda order: confirmed.append(order.pk)])
    held = send(menu, menu.rice, held=True)
    assert submitted == [held.pk] and confirmed == []
    order_status_set(restaurant=menu.restaurant, order_id=held.pk, status="accepted")
    assert confirmed == [held.pk]
    # A round that was never held is not confirmed again by an accept.
    flowing = send(menu, menu.chicken)
    order_status_set(restaurant=menu.restaurant, order_id=flowing.pk, status="accepted")
    assert confirmed == [held.pk] and submitted == [held.pk, flowing.pk]


@pytest.mark.django_db
def test_a_stations_served_and_voided_dishes_stay_findable_for_the_shift(menu, stations):
    from restaurant.kitchen.selectors import kitchen_recent_items

    _hot, cold = stations
    chicken, rice = items_of(send(menu, menu.chicken, menu.rice)).values()
    move(menu, rice, "served")
    move(menu, chicken, "voided", reason="太咸")
    history = kitchen_recent_items(restaurant=menu.restaurant, station_id=cold.pk)
    assert [(i["name"], i["status"]) for i in history] == [("米饭", "served")]
    assert history[0]["recall_until"] is not None and history[0]["table"]["number"] == 1
    assert history[0]["dish_id"] == menu.rice.pk
    everything = kitchen_recent_items(restaurant=menu.restaurant)
    assert [(i["name"], i["void_reason"]) for i in everything] == [("宫保鸡丁", "太咸"),
                                                                  ("米饭", "")]  # fmt: skip
    # Past the window it is still listed, but can no longer be taken back from here.
    ItemMove.objects.update(at=timezone.now() - timedelta(hours=1))
    assert kitchen_recent_items(restaurant=menu.restaurant)[0]["recall_until"] is None
    OrderItem.objects.update(status_changed_at=timezone.now() - timedelta(hours=13))
    assert kitchen_recent_items(restaurant=menu.restaurant) == []


@pytest.mark.django_db
def test_a_dish_of_a_round_held_for_staff_is_not_nudged(menu, stations):
    """A held round is on no station's board and printed nowhere: staff must accept it
    first (the table calls a waiter for that), so a nudge is refused, nobody told."""
    order = send(menu, menu.rice, held=True)
    OrderItem.objects.update(target_at=timezone.now() - timedelta(minutes=5))
    diner = arrive(menu.table)
    assert diner_refusal(diner, order.items.get(), "n").code == "conflict"
    assert OrderItem.objects.get().nudges == 0
