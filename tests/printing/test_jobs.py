"""Print jobs as the kitchen and staff make them: one ticket per station with a printer, in
the round's transaction; void slips; reprints and settling a doubtful job through the staff
socket's ops, within the restaurant and the staff member's station; what a board starts from;
`printer_set`; the admin per restaurant."""

import msgspec
import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.test import Client

from restaurant.kitchen import hooks, ops
from restaurant.kitchen.models import Order, OrderItem
from restaurant.kitchen.protocol import KITCHEN_OPS
from restaurant.kitchen.services import order_recall, order_status_set
from restaurant.printing import services
from restaurant.printing.models import Printer, PrintJob
from restaurant.printing.tickets import ticket_text
from restaurant.realtime.errors import OpError
from restaurant.venues.models import StaffMember, Station
from tests.factories import make_menu
from tests.support.fake_printer import chicken, printers_point, rice, round_submit
from tests.support.people import staff_user

pytestmark = pytest.mark.django_db
S = PrintJob.State


def text_of(job: PrintJob) -> str:
    return ticket_text(bytes(job.payload))


def staff_op(user, restaurant, message: dict, role: str = "kitchen") -> None:
    op = msgspec.convert(message, KITCHEN_OPS[message["type"]])
    ops.staff_op_apply(staff=ops.Staff(user.pk, role, restaurant), op_id=message["id"], op=op)


@pytest.fixture
def printed(menu, stations):
    printers_point(wok="tcp://192.0.2.1", rice="tcp://192.0.2.2:9101")
    return stations


def test_a_round_makes_one_job_per_station_with_only_its_dishes(
    menu, printed, events, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        order = round_submit(menu, chicken(menu), rice(menu))
    wok, rice_job = PrintJob.objects.order_by("station__sort_order")
    assert (wok.station.code, rice_job.station.code) == ("wok", "rice")
    assert "宫保鸡丁" in text_of(wok) and "米饭" not in text_of(wok)
    assert "米饭" in text_of(rice_job) and "宫保鸡丁" not in text_of(rice_job)
    assert {job.order_id for job in (wok, rice_job)} == {order.pk}
    assert f"#{wok.pk}" in text_of(wok) and wok.restaurant_id == menu.restaurant.pk
    queued = [e for e in events if e["type"] == "print.job"]
    assert [e["state"] for e in queued] == ["queued", "queued"]
    assert queued[0] == {
        "group": f"kitchen.{menu.restaurant.pk}", "type": "print.job", "job_id": wok.pk,
        "station_id": wok.station_id, "order_id": order.pk, "round": 1,
        "table": {"number": 1, "label": "1号桌"}, "kind": "ticket", "state": "queued",
        "reprint": False,
    }  # fmt: skip


def test_no_job_without_an_enabled_printer_or_a_station(menu, stations):
    printers_point(wok="tcp://192.0.2.1")
    Printer.objects.filter(station__code="wok").update(enabled=False)
    round_submit(menu, chicken(menu), rice(menu))  # rice's station has no printer at all
    assert not PrintJob.objects.exists()
    Printer.objects.update(enabled=True)
    menu.rice.category.station = None
    menu.rice.category.save()
    Station.objects.filter(code="rice").delete()  # its dishes now go to the first station
    round_submit(menu, rice(menu))
    assert PrintJob.objects.get().station.code == "wok"


def test_the_job_rolls_back_with_its_round(menu, printed):
    def failing(order):
        raise RuntimeError("after the tickets")

    hooks.ROUND_SUBMITTED.append(failing)
    try:
        with pytest.raises(RuntimeError):
            round_submit(menu, chicken(menu))
    finally:
        hooks.ROUND_SUBMITTED.remove(failing)
    assert not PrintJob.objects.exists() and not Order.objects.exists()


def test_a_round_has_one_original_ticket_per_station(menu, printed):
    order = round_submit(menu, chicken(menu))
    assert services.print_jobs_for_round(order) == []  # asked again: it has its ticket
    job = PrintJob.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        PrintJob.objects.create(station=job.station, order=order, payload=b"")
    assert PrintJob.objects.count() == 1


def test_a_held_round_prints_once_staff_accept_it(menu, printed):
    menu.restaurant.hold_first_round = True
    menu.restaurant.save()
    order = round_submit(menu, chicken(menu))
    assert order.awaiting_confirmation and not PrintJob.objects.exists()
    order_status_set(restaurant=menu.restaurant, order_id=order.pk, status="accepted")
    assert PrintJob.objects.get().order_id == order.pk
    order_recall(restaurant=menu.restaurant, order_id=order.pk)  # a mis-tap taken back
    order_status_set(restaurant=menu.restaurant, order_id=order.pk, status="accepted")
    assert PrintJob.objects.count() == 1  # printed once; a second copy is a reprint


def test_a_voided_dish_prints_a_void_slip_at_its_station(menu, printed):
    """Once its ticket printed (before, the ticket itself changes: tests/printing/test_edges.py)."""
    round_submit(menu, chicken(menu), rice(menu))
    PrintJob.objects.update(state=S.DONE)
    item = OrderItem.objects.get(dish=menu.rice)
    item.status, item.void_reason = OrderItem.Status.VOIDED, "客人取消"
    item.save()
    job = services.print_job_void(item)
    assert (job.kind, job.station.code, job.reprint) == ("void", "rice", False)
    text = text_of(job)
    assert "退菜 VOID" in text and "3 × 米饭" in text and "客人取消" in text
    assert "1号桌 (1)" in text


def test_a_reprint_is_a_new_job_marked_reprint(menu, printed):
    order = round_submit(menu, chicken(menu), rice(menu))
    cook = staff_user(menu.restaurant, "kitchen", username="cook")
    message = {"type": "ticket.reprint", "id": "r1", "order_id": order.pk,
               "station_id": printed[0].pk}  # fmt: skip
    staff_op(cook, menu.restaurant, message)
    staff_op(cook, menu.restaurant, message)  # a resend: acknowledged, not printed again
    original, again = PrintJob.objects.filter(station=printed[0]).order_by("pk")
    assert again.reprint and again.reprint_of == original and again.state == S.QUEUED
    assert text_of(again).startswith("** 重印 REPRINT **") and "宫保鸡丁" in text_of(again)


def test_staff_kept_to_a_station_reprint_only_its_tickets(menu, printed):
    order = round_submit(menu, chicken(menu), rice(menu))
    cook = staff_user(menu.restaurant, "kitchen", username="wok-cook")
    StaffMember.objects.filter(user=cook).update(station=printed[0])
    with pytest.raises(OpError) as refused:
        staff_op(cook, menu.restaurant, {"type": "ticket.reprint", "id": "r", "order_id": order.pk,
                                         "station_id": printed[1].pk})  # fmt: skip
    assert refused.value.code == "forbidden"
    staff_op(cook, menu.restaurant, {"type": "ticket.reprint", "id": "w", "order_id": order.pk,
                                     "station_id": printed[0].pk})  # fmt: skip
    assert PrintJob.objects.filter(reprint=True).count() == 1


def test_a_cashier_may_not_reprint(menu, printed):
    order = round_submit(menu, chicken(menu))
    cashier = staff_user(menu.restaurant, "cashier", username="till")
    with pytest.raises(OpError) as refused:
        staff_op(cashier, menu.restaurant, {"type": "ticket.reprint", "id": "r",
                                            "order_id": order.pk, "station_id": printed[0].pk},
                 role="cashier")  # fmt: skip
    assert refused.value.code == "forbidden"


def test_another_restaurants_order_or_job_is_not_found(menu, printed):
    other = make_menu("other", name="另一家")
    other.restaurant.hold_first_round = False
    other.restaurant.save()
    theirs = Station.objects.create(restaurant=other.restaurant, code="wok", name="热菜")
    other.chicken.category.station = theirs
    other.chicken.category.save()
    printers_point(other.restaurant, wok="tcp://192.0.2.9")
    order = round_submit(other, chicken(other))
    job = PrintJob.objects.get(order=order)
    PrintJob.objects.filter(pk=job.pk).update(state=S.UNCERTAIN)
    boss = staff_user(menu.restaurant, "manager", username="boss")
    for message in (
        {"type": "ticket.reprint", "id": "a", "order_id": order.pk, "station_id": theirs.pk},
        {"type": "ticket.reprint", "id": "b", "order_id": order.pk, "station_id": printed[0].pk},
        {"type": "print_job.resolve", "id": "c", "job_id": job.pk, "reprint": True},
    ):
        with pytest.raises(OpError) as refused:
            staff_op(boss, menu.restaurant, message, role="manager")
        assert refused.value.code == "not_found"
    assert PrintJob.objects.count() == 1
    assert services.print_jobs_uncertain(menu.restaurant) == []


@pytest.mark.parametrize("reprint", [True, False])
def test_staff_settle_a_job_that_may_have_printed(menu, printed, reprint):
    round_submit(menu, chicken(menu))
    job = PrintJob.objects.get()
    PrintJob.objects.filter(pk=job.pk).update(state=S.UNCERTAIN)
    assert [j["job_id"] for j in services.print_jobs_uncertain(menu.restaurant)] == [job.pk]
    waiter = staff_user(menu.restaurant, "waiter", username="w")
    message = {"type": "print_job.resolve", "id": "x", "job_id": job.pk, "reprint": reprint}
    staff_op(waiter, menu.restaurant, message, role="waiter")
    job.refresh_from_db()
    assert job.resolved_by == waiter and job.resolved_at is not None
    assert services.print_jobs_uncertain(menu.restaurant) == []
    if reprint:
        again = PrintJob.objects.get(reprint=True)
        assert again.reprint_of == job and again.state == S.QUEUED
        assert job.state == S.CANCELLED  # it did not come out: it is not on the paper
    else:
        assert job.state == S.DONE and PrintJob.objects.count() == 1
    with pytest.raises(OpError) as refused:  # settled once
        staff_op(waiter, menu.restaurant, {**message, "id": "y"}, role="waiter")
    assert refused.value.code == "conflict"


def test_the_snapshot_parts_list_printers_with_their_queue(menu, printed):
    round_submit(menu, chicken(menu), rice(menu))
    round_submit(menu, chicken(menu))
    parts = {name: fn(menu.restaurant) for name, fn in hooks.SNAPSHOT_PARTS.items()}
    assert {p["station_id"]: p["queue"] for p in parts["printers"]} == {
        printed[0].pk: 2, printed[1].pk: 1,
    }  # fmt: skip
    assert parts["printers"][0] == {"station_id": printed[0].pk, "online": None,
                                    "paper": "unknown", "queue": 2, "last_error": "",
                                    "at": parts["printers"][0]["at"]}  # fmt: skip
    assert parts["print_jobs_uncertain"] == []
    assert msgspec.json.decode(msgspec.json.encode(parts)) == parts


class TestPrinterSet:
    def test_sets_changes_and_removes(self, menu, stations, capsys):
        call_command("printer_set", "main", "wok", "tcp://127.0.0.1")
        assert Printer.objects.get().url == "tcp://127.0.0.1:9100"
        call_command("printer_set", "main", "wok", "tcp://printer.local:9200")
        assert Printer.objects.get().url == "tcp://printer.local:9200"
        call_command("printer_set", "main", "wok", "none")
        assert not Printer.objects.exists()
        call_command("printer_set", "main", "rice", "tcp://10.0.0.5:9100")
        call_command("printer_set", "main", "rice", "--disable")
        assert not Printer.objects.exists()
        assert "main wok: tcp://127.0.0.1:9100" in capsys.readouterr().out
        call_command("printer_set", "main", "wok", "tcp://10.0.0.6", "--no-status")
        assert Printer.objects.get(station__code="wok").answers_status is False
        call_command("printer_set", "main", "wok", "tcp://10.0.0.6")  # the default again
        assert Printer.objects.get(station__code="wok").answers_status is True
        assert "main wok: tcp://10.0.0.6:9100 (no status queries)" in capsys.readouterr().out

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            (("nowhere", "wok", "tcp://h"), "no restaurant 'nowhere'"),
            (("main", "grill", "tcp://h"), "has no station 'grill' (its stations: wok, rice)"),
            (("main", "wok", "http://h:80"), "only tcp://"),
            (("main", "wok", "tcp://h:99999"), "port"),
            (("main", "wok", "h:9100"), "is not tcp://HOST:PORT"),
            (("main", "wok", "tcp://:9100"), "names no host"),
            (("main", "wok"), "give tcp://HOST:PORT"),
        ],
    )
    def test_bad_input_is_refused_and_changes_nothing(self, menu, stations, args, message):
        call_command("printer_set", "main", "wok", "tcp://192.0.2.1")
        with pytest.raises(CommandError, match=message.replace("(", r"\(").replace(")", r"\)")):
            call_command("printer_set", *args)
        assert Printer.objects.get().url == "tcp://192.0.2.1:9100"


def test_the_admin_shows_a_manager_only_their_restaurants_printers(menu, printed):
    other = make_menu("other", name="另一家")
    theirs = Station.objects.create(restaurant=other.restaurant, code="bar", name="酒水")
    services.printer_set(station=theirs, url="tcp://192.0.2.77")
    boss = staff_user(menu.restaurant, "manager", username="boss")
    client = Client()
    client.force_login(boss)
    listing = client.get("/admin/printing/printer/").content.decode()
    assert "192.0.2.1:9100" in listing and "192.0.2.77" not in listing
    assert client.get(f"/admin/printing/printer/{theirs.printer.pk}/change/").status_code == 404
    mine = Printer.objects.get(station=printed[0])
    response = client.post(
        f"/admin/printing/printer/{mine.pk}/change/", {"url": "tcp://192.0.2.5:9100"}
    )
    assert response.status_code == 302
    mine.refresh_from_db()
    assert mine.url == "tcp://192.0.2.5:9100" and mine.enabled is False
    add = client.get("/admin/printing/printer/add/").content.decode()
    assert "酒水" not in add
    cook = staff_user(menu.restaurant, "kitchen", username="cook")
    client.force_login(cook)
    assert client.get("/admin/printing/printer/").status_code in (302, 403)


def test_only_this_machines_workers_whose_process_is_gone_count_as_gone():
    import os
    import socket
    import subprocess
    import sys

    from restaurant.printing.services import workers_gone

    here = socket.gethostname()
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True)  # fmt: skip
    dead = f"{here}:{ended.stdout.strip()}"  # a process that has exited (its pid is free)
    alive = f"{here}:{os.getppid()}"
    assert workers_gone({dead, alive, f"{here}:{os.getpid()}", "elsewhere:1", "bad", ""}) == {dead}


def test_every_stations_ticket_carries_the_meals_guests_and_note(menu, printed):
    from restaurant.dining.meal import meal_set
    from restaurant.dining.services import session_lock
    from tests.dining.helpers import arrive

    diner = arrive(menu.table)
    meal_set(session=session_lock(diner.session_id), guests=5, note="有一位孕妇，都不要辣")
    round_submit(menu, chicken(menu), rice(menu))
    for job in PrintJob.objects.all():
        text = text_of(job)
        assert "5位 Guests 5" in text
        assert "整单备注 Order note: 有一位孕妇，都不要辣" in text
