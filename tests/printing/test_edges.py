"""Edges of printing exactly once, without the worker: a held round, a printer removed or
deleted with tickets in hand, a void taken back, a station deleted."""

import contextlib

import msgspec
import pytest
from django.test import Client

from restaurant.kitchen import ops
from restaurant.kitchen.items import item_recall, item_status_set
from restaurant.kitchen.models import OrderItem
from restaurant.kitchen.protocol import KITCHEN_OPS
from restaurant.kitchen.services import order_recall, order_status_set
from restaurant.printing import services
from restaurant.printing.models import Printer, PrintJob
from restaurant.printing.services import printer_set
from restaurant.printing.tickets import ticket_text
from restaurant.realtime.errors import OpError
from restaurant.venues.models import StaffMember, Station
from tests.support.fake_printer import chicken, rice, round_submit
from tests.support.people import staff_user

pytestmark = pytest.mark.django_db
S = PrintJob.State


def staff_op(user, restaurant, message: dict, role: str = "kitchen") -> None:
    op = msgspec.convert(message, KITCHEN_OPS[message["type"]])
    ops.staff_op_apply(staff=ops.Staff(user.pk, role, restaurant), op_id=message["id"], op=op)


def test_a_held_round_cannot_be_reprinted_before_staff_accept_it(menu, printed):
    """A round held for staff prints only once accepted (docs/printing.md). `ticket.reprint`
    on it prints it at once (a waiter's tap), then the accept prints the original too: two
    tickets of one round at the wok, the dish cooked twice."""
    menu.restaurant.hold_first_round = True
    menu.restaurant.save()
    order = round_submit(menu, chicken(menu))
    assert order.awaiting_confirmation and not PrintJob.objects.exists()
    waiter = staff_user(menu.restaurant, "waiter", username="w")
    with pytest.raises(OpError) as refused:
        staff_op(waiter, menu.restaurant, {"type": "ticket.reprint", "id": "r1",
                                           "order_id": order.pk, "station_id": printed[0].pk},
                 role="waiter")  # fmt: skip
    assert refused.value.code == "conflict"


def test_a_held_round_reprinted_then_accepted_prints_at_most_once(menu, printed):
    menu.restaurant.hold_first_round = True
    menu.restaurant.save()
    order = round_submit(menu, chicken(menu))
    waiter = staff_user(menu.restaurant, "waiter", username="w")
    with contextlib.suppress(OpError):
        staff_op(waiter, menu.restaurant, {"type": "ticket.reprint", "id": "r1",
                                           "order_id": order.pk, "station_id": printed[0].pk},
                 role="waiter")  # fmt: skip
    order_status_set(restaurant=menu.restaurant, order_id=order.pk, status="accepted")
    assert PrintJob.objects.filter(station=printed[0]).count() == 1


def test_deleting_a_printer_in_the_admin_cancels_its_queued_tickets(menu, printed, admin_user):
    """docs/printing.md: "Removing or disabling a printer cancels its queued tickets: a
    ticket printed hours later, once a printer is set again, would be cooked again". The
    admin's delete leaves them queued; a printer set again prints them."""
    round_submit(menu, chicken(menu))
    job = PrintJob.objects.get()
    printer = Printer.objects.get(station=printed[0])
    client = Client()
    client.force_login(admin_user)
    response = client.post(f"/admin/printing/printer/{printer.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302 and not Printer.objects.filter(pk=printer.pk).exists()
    printer_set(station=printed[0], url="tcp://192.0.2.7")  # hours later, a new printer
    job.refresh_from_db()
    assert job.state == S.CANCELLED, "the old ticket would print on the new printer"
    assert services.stations_due() == []


@pytest.mark.parametrize("how", ["removed", "disabled"])
def test_a_printer_removed_while_its_ticket_is_in_hand_does_not_print_it_later(menu, printed, how):
    """The printer is off (the worker is in its connect timeout, the job `claimed`) when a
    manager removes it: `_queue_cancel` cancels only `queued` jobs; the worker's retry puts
    the claimed one back in the queue, and it prints once a printer is set again."""
    round_submit(menu, chicken(menu))
    job = services.print_job_claim(station_id=printed[0].pk, worker="w1")
    assert job is not None
    if how == "removed":
        printer_set(station=printed[0], url=None)
    else:
        printer_set(station=printed[0], url="tcp://192.0.2.1", enabled=False)
    services.print_job_retry(job, worker="w1", error="connect: timed out")  # the worker goes on
    printer_set(station=printed[0], url="tcp://192.0.2.8")  # later: a printer again
    job.refresh_from_db()
    assert job.state == S.CANCELLED
    assert services.stations_due() == []


def test_a_station_with_a_cook_kept_to_it_or_tickets_is_not_deleted(menu, printed):
    """Deleting the wok would turn its cook, kept to it, into one who moves every station's
    dishes, and take its tickets (a "may have printed" one among them) off the boards: it is
    refused until the cook is moved and, once it has printed, kept (route its dishes
    elsewhere instead)."""
    from django.db.models import ProtectedError

    cook = staff_user(menu.restaurant, "kitchen", username="wok-cook")
    StaffMember.objects.filter(user=cook).update(station=printed[0])
    with pytest.raises(ProtectedError):
        Station.objects.filter(pk=printed[0].pk).delete()
    StaffMember.objects.filter(user=cook).update(station=None)
    round_submit(menu, chicken(menu))
    PrintJob.objects.update(state=S.UNCERTAIN)
    with pytest.raises(ProtectedError):
        Station.objects.filter(pk=printed[0].pk).delete()
    assert len(services.print_jobs_uncertain(menu.restaurant)) == 1


def slips(kind: str) -> list[str]:
    return list(PrintJob.objects.filter(kind=kind).order_by("pk").values_list("state", flat=True))


def void(menu, item, reason="误点"):
    item_status_set(restaurant=menu.restaurant, item_id=item.pk, status="voided", reason=reason)


def recall(menu, item):
    item_recall(restaurant=menu.restaurant, item_id=item.pk)


def printed_now(*kinds: str) -> None:
    """The printer took every queued job of these kinds (as the worker marks them)."""
    PrintJob.objects.filter(kind__in=kinds, state=S.QUEUED).update(state=S.DONE)


def test_a_dish_voided_before_its_ticket_printed_leaves_the_ticket_and_no_slip(menu, printed):
    """The ticket not yet sent (a printer out of paper) is printed as the round is now:
    without the dish taken back, with it again once the void is taken back; no slip."""
    order = round_submit(menu, chicken(menu), rice(menu))
    rice_item = OrderItem.objects.get(order=order, dish=menu.rice)
    ticket = PrintJob.objects.get(station=printed[1])
    void(menu, rice_item)
    ticket.refresh_from_db()
    assert ticket.state == S.CANCELLED  # its only dish: nothing to print
    assert slips("void") == []
    recall(menu, rice_item)
    # The ticket never went out: it comes back, and prints with the dish; no slip.
    ticket.refresh_from_db()
    assert ticket.state == S.QUEUED and ticket.item_ids == [rice_item.pk]
    assert "米饭" in ticket_text(bytes(ticket.payload)) and slips("restore") == []
    # A station with two dishes: its unsent ticket is printed again without the one voided.
    second = round_submit(menu, rice(menu), {"dish_id": menu.rice.pk, "note": "少饭"})
    first_rice, second_rice = OrderItem.objects.filter(order=second).order_by("pk")
    void(menu, first_rice)
    ticket = PrintJob.objects.get(order=second)
    assert ticket.state == S.QUEUED and ticket.item_ids == [second_rice.pk]
    assert "少饭" in ticket_text(bytes(ticket.payload))
    recall(menu, first_rice)
    ticket.refresh_from_db()
    assert sorted(ticket.item_ids) == [first_rice.pk, second_rice.pk]
    assert slips("void") == [] and slips("restore") == []


def test_a_void_taken_back_before_its_slip_printed_cancels_the_slip(menu, printed):
    """The ticket printed, the dish was voided (its slip queued: paper out), the void taken
    back: the slip never prints, and nothing else does (the station still has the dish)."""
    order = round_submit(menu, chicken(menu), rice(menu))
    printed_now("ticket")
    rice_item = OrderItem.objects.get(order=order, dish=menu.rice)
    void(menu, rice_item)
    assert slips("void") == [S.QUEUED]
    recall(menu, rice_item)
    assert slips("void") == [S.CANCELLED] and slips("restore") == []
    # Voided again: a slip again (the station's paper still lists the dish).
    void(menu, rice_item, reason="客人不要了")
    assert slips("void") == [S.CANCELLED, S.QUEUED]


def test_a_void_on_paper_taken_back_prints_back_on_once(menu, printed):
    order = round_submit(menu, chicken(menu), rice(menu))
    printed_now("ticket")
    rice_item = OrderItem.objects.get(order=order, dish=menu.rice)
    void(menu, rice_item)
    printed_now("void")
    recall(menu, rice_item)
    assert slips("restore") == [S.QUEUED]
    text = ticket_text(bytes(PrintJob.objects.get(kind="restore").payload))
    assert "BACK ON" in text and "米饭" in text
    # Voided again before the back-on printed: that slip is cancelled, and no new void slip
    # (the station's paper, once printed, says "voided" already).
    void(menu, rice_item)
    assert slips("restore") == [S.CANCELLED] and slips("void") == [S.DONE]


@pytest.mark.parametrize("it_printed", [True, False])
def test_a_void_in_doubt_waits_for_staff_to_say_what_is_on_paper(menu, printed, it_printed):
    """The void slip may have printed (the printer stalled on it) when the void is taken
    back: a back-on slip now could have a dish made twice, none could leave it unmade. No
    slip until staff settle the void slip: it printed → back on; it did not → nothing (the
    station's paper lists the dish)."""
    order = round_submit(menu, chicken(menu), rice(menu))
    printed_now("ticket")
    rice_item = OrderItem.objects.get(order=order, dish=menu.rice)
    void(menu, rice_item)
    PrintJob.objects.filter(kind="void").update(state=S.UNCERTAIN)
    recall(menu, rice_item)
    assert slips("restore") == []
    doubtful = PrintJob.objects.get(kind="void")
    made = services.print_job_resolve(restaurant=menu.restaurant, job_id=doubtful.pk,
                                      reprint=not it_printed)  # fmt: skip
    if it_printed:
        assert made.kind == "restore" and slips("restore") == [S.QUEUED]
    else:
        assert made is None and slips("restore") == [] and slips("void") == [S.CANCELLED]


def test_a_back_on_in_doubt_settled_after_the_dish_was_voided_again(menu, printed):
    order = round_submit(menu, chicken(menu), rice(menu))
    printed_now("ticket")
    rice_item = OrderItem.objects.get(order=order, dish=menu.rice)
    void(menu, rice_item)
    printed_now("void")
    recall(menu, rice_item)
    PrintJob.objects.filter(kind="restore").update(state=S.UNCERTAIN)
    void(menu, rice_item, reason="客人不要了")  # in doubt: no slip yet
    assert slips("void") == [S.DONE]
    doubtful = PrintJob.objects.get(kind="restore")
    # It did not come out: the paper's last word is the first void, as the dish is: nothing.
    assert services.print_job_resolve(restaurant=menu.restaurant, job_id=doubtful.pk,
                                      reprint=True) is None  # fmt: skip
    assert slips("void") == [S.DONE] and slips("restore") == [S.CANCELLED]


@pytest.mark.django_db(transaction=True)  # the events go out on commit
def test_a_ticket_staff_say_did_not_print_is_not_on_paper(menu, printed, events):
    """Settled "print it again", the doubtful ticket is off every screen (its event says so)
    and off the station's paper: a round cancelled and taken back after it still prints."""
    order = round_submit(menu, rice(menu))
    ticket = PrintJob.objects.get()
    PrintJob.objects.filter(pk=ticket.pk).update(state=S.UNCERTAIN)
    events.clear()
    again = services.print_job_resolve(restaurant=menu.restaurant, job_id=ticket.pk,
                                       reprint=True)  # fmt: skip
    told = [e for e in events if e["type"] == "print.job" and e["job_id"] == ticket.pk]
    assert told and told[-1]["state"] == "cancelled"
    assert again.state == S.QUEUED and again.reprint
    order_status_set(restaurant=menu.restaurant, order_id=order.pk, status="cancelled")
    assert PrintJob.objects.get(pk=again.pk).state == S.CANCELLED  # nothing to make
    order_recall(restaurant=menu.restaurant, order_id=order.pk)
    queued = list(PrintJob.objects.filter(state=S.QUEUED).values_list("kind", flat=True))
    assert queued, "nothing would tell the rice station to make 米饭"


def test_an_accept_taken_back_sets_its_unsent_ticket_aside_until_accepted_again(menu, printed):
    from restaurant.kitchen.models import Order

    menu.restaurant.hold_first_round = True
    menu.restaurant.save()
    order = round_submit(menu, chicken(menu))
    order_status_set(restaurant=menu.restaurant, order_id=order.pk, status="accepted")
    ticket = PrintJob.objects.get()
    order_recall(restaurant=menu.restaurant, order_id=order.pk)  # a mis-tap on "accept"
    assert Order.objects.get(pk=order.pk).is_awaiting_confirmation
    ticket.refresh_from_db()
    assert ticket.state == S.CANCELLED  # nobody may cook it yet
    order_status_set(restaurant=menu.restaurant, order_id=order.pk, status="accepted")
    ticket.refresh_from_db()
    assert ticket.state == S.QUEUED and PrintJob.objects.count() == 1  # once, not twice


def test_a_cancelled_round_prints_voids_only_where_its_ticket_went_out(menu, printed):
    order = round_submit(menu, chicken(menu), rice(menu))
    PrintJob.objects.filter(station=printed[0]).update(state=S.DONE)  # the wok's printed
    order_status_set(restaurant=menu.restaurant, order_id=order.pk, status="cancelled",
                     reason="客人走了")  # fmt: skip
    wok_void = PrintJob.objects.get(kind="void")
    assert wok_void.station == printed[0] and "客人走了" in ticket_text(bytes(wok_void.payload))
    assert PrintJob.objects.get(kind="ticket", station=printed[1]).state == S.CANCELLED
    # Taken back: the wok's void slip not yet printed is cancelled, and the rice station's
    # ticket, cancelled with nothing on paper, comes back as it was.
    order_recall(restaurant=menu.restaurant, order_id=order.pk)
    assert slips("void") == [S.CANCELLED] and slips("restore") == []
    assert PrintJob.objects.get(kind="ticket", station=printed[1]).state == S.QUEUED


def test_a_held_round_cancelled_prints_nothing(menu, printed):
    menu.restaurant.hold_first_round = True
    menu.restaurant.save()
    order = round_submit(menu, chicken(menu))
    order_status_set(restaurant=menu.restaurant, order_id=order.pk, status="cancelled")
    assert not PrintJob.objects.exists()
