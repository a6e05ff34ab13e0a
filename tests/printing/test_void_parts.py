"""A part of a dish taken back (2 of 3, restaurant/kitchen/adjustments.py): the part was never
on a ticket itself, its dish was. Where the station has the dish on paper, a void slip says
the part's quantity; where its ticket has not printed yet, the ticket prints the rest and no
slip follows; a part given free prints nothing."""

import pytest

from restaurant.kitchen.adjustments import item_adjust
from restaurant.kitchen.items import item_recall
from restaurant.kitchen.models import AdjustReason, OrderItem
from restaurant.printing.models import PrintJob
from restaurant.printing.tickets import ticket_text
from tests.support.fake_printer import chicken, rice, round_submit

pytestmark = pytest.mark.django_db
S = PrintJob.State


@pytest.fixture
def reasons(menu):
    wrong = AdjustReason.objects.create(restaurant=menu.restaurant, name="上错菜",
                                        name_en="Wrong dish")  # fmt: skip
    regular = AdjustReason.objects.create(restaurant=menu.restaurant, name="老顾客",
                                          for_void=False, for_comp=True)  # fmt: skip
    return wrong, regular


def text_of(job: PrintJob) -> str:
    return ticket_text(bytes(job.payload))


def adjust(menu, item, kind, qty, reason):
    return item_adjust(restaurant=menu.restaurant, item_id=item.pk, kind=kind, qty=qty,
                       reason_id=reason.pk, by_id=None, role="manager")  # fmt: skip


def wok_ticket(order) -> PrintJob:
    return PrintJob.objects.get(order=order, kind="ticket", station__code="wok")


def three_chicken_printed(menu) -> tuple:
    order = round_submit(menu, chicken(menu, qty=3), rice(menu, qty=1))
    PrintJob.objects.filter(order=order, kind="ticket").update(state=S.DONE)
    return order, order.items.get(dish=menu.chicken)


def slips(kind="void"):
    return list(PrintJob.objects.filter(kind=kind).order_by("pk"))


def test_a_voided_part_prints_a_void_slip_for_its_qty(menu, printed, reasons):
    wrong, _ = reasons
    order, dish = three_chicken_printed(menu)
    assert "3 × 宫保鸡丁" in text_of(wok_ticket(order))
    adjust(menu, dish, "void", 2, wrong)
    part = OrderItem.objects.get(split_from=dish)
    (slip,) = slips()
    assert slip.item == part and slip.station.code == "wok"
    assert "2 × 宫保鸡丁" in text_of(slip) and "上错菜 Wrong dish" in text_of(slip)
    # The part's void taken back (a mis-tap) after its slip printed: the station is told to
    # make those 2 again.
    PrintJob.objects.filter(pk=slip.pk).update(state=S.DONE)
    item_recall(restaurant=menu.restaurant, item_id=part.pk)
    (back_on,) = slips("restore")
    assert back_on.item == part and "2 × 宫保鸡丁" in text_of(back_on)


def test_a_part_voided_and_taken_back_before_its_slip_printed_prints_nothing(
    menu, printed, reasons
):
    wrong, _ = reasons
    _, dish = three_chicken_printed(menu)
    adjust(menu, dish, "void", 2, wrong)
    part = OrderItem.objects.get(split_from=dish)
    item_recall(restaurant=menu.restaurant, item_id=part.pk)
    assert [job.state for job in slips()] == [S.CANCELLED] and slips("restore") == []


def test_a_part_voided_before_its_ticket_printed_prints_the_rest_only(menu, printed, reasons):
    wrong, _ = reasons
    order = round_submit(menu, chicken(menu, qty=3), rice(menu, qty=1))
    dish = order.items.get(dish=menu.chicken)
    adjust(menu, dish, "void", 2, wrong)
    ticket = wok_ticket(order)
    assert ticket.state == S.QUEUED
    assert "1 × 宫保鸡丁" in text_of(ticket) and "3 × 宫保鸡丁" not in text_of(ticket)
    assert slips() == []
    # Printed afterwards: a later void of the rest is a slip for the 1 left.
    PrintJob.objects.filter(pk=ticket.pk).update(state=S.DONE)
    dish.refresh_from_db()
    adjust(menu, dish, "void", 1, wrong)
    (slip,) = slips()
    assert slip.item_id == dish.pk and "1 × 宫保鸡丁" in text_of(slip)


def test_a_comp_prints_nothing_and_a_comped_part_voided_later_does(menu, printed, reasons):
    wrong, regular = reasons
    _, dish = three_chicken_printed(menu)
    jobs = PrintJob.objects.count()
    adjust(menu, dish, "comp", 2, regular)
    assert PrintJob.objects.count() == jobs
    part = OrderItem.objects.get(split_from=dish)
    adjust(menu, part, "void", 1, wrong)  # a part of the comped part
    (slip,) = slips()
    assert "1 × 宫保鸡丁" in text_of(slip)


def test_a_whole_dish_voided_prints_its_whole_qty(menu, printed, reasons):
    wrong, _ = reasons
    _, dish = three_chicken_printed(menu)
    adjust(menu, dish, "void", 3, wrong)
    (slip,) = slips()
    assert slip.item_id == dish.pk and "3 × 宫保鸡丁" in text_of(slip)
