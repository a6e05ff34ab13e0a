"""The print worker against fake printers on real sockets: routing, GB18030 on the wire,
retries while a printer is off or out of paper, "may have printed" when bytes went out
unanswered, and recovery of a dead worker's jobs."""

from datetime import timedelta

import pytest
from django.utils import timezone

from restaurant.printing import services
from restaurant.printing.models import Printer, PrintJob
from restaurant.printing.services import backoff
from restaurant.printing.tickets import ticket_text
from restaurant.printing.worker import Worker
from tests.support.fake_printer import chicken, printers_point, rice, round_submit

pytestmark = pytest.mark.django_db(transaction=True)
S = PrintJob.State


def states() -> list[str]:
    return list(PrintJob.objects.order_by("pk").values_list("state", flat=True))


def run_until(predicate, timeout: float = 30.0) -> None:
    """Worker passes until ``predicate()`` holds (a retry waits out its backoff)."""
    worker = Worker(threads=2)
    deadline = timezone.now() + timedelta(seconds=timeout)
    while not predicate():
        assert timezone.now() < deadline, f"not reached; jobs: {states()}"
        worker.run_once()
        worker.wake.wait(0.02)


def test_a_round_prints_at_each_station_only_its_dishes(menu, stations, fakes):
    wok, rice_printer = fakes
    printers_point(wok=wok.url, rice=rice_printer.url)
    order = round_submit(menu, chicken(menu), rice(menu))
    Worker().run_once()

    assert states() == [S.DONE, S.DONE]
    wok_text, rice_text = wok.text(), rice_printer.text()
    assert "2 × 宫保鸡丁" in wok_text and "米饭" not in wok_text
    assert "3 × 米饭" in rice_text and "宫保鸡丁" not in rice_text
    for text in (wok_text, rice_text):
        assert "1号桌 (1)" in text and f"Round {order.round}" in text
    assert "微辣、加花生" in wok_text and "少盐（不要葱）" in wok_text
    assert wok.tickets and rice_printer.tickets  # one connection, one ticket each
    assert len(wok.tickets) == len(rice_printer.tickets) == 1
    assert PrintJob.objects.filter(sent_at__isnull=False).count() == 2


def test_the_bytes_on_the_wire_are_gb18030(menu, stations, fakes):
    printers_point(wok=fakes[0].url)
    round_submit(menu, chicken(menu))
    Worker().run_once()
    wire = fakes[0].printed()
    assert "宫保鸡丁".encode("gb18030") in wire
    assert "宫保鸡丁" in wire.decode("gb18030", errors="replace")
    assert wire == bytes(PrintJob.objects.get().payload)  # the status queries are not paper


def test_a_printer_that_refuses_is_retried_until_it_is_back(menu, stations, fakes, events):
    wok = fakes[0]
    printers_point(wok=wok.url)
    wok.refuse()
    round_submit(menu, chicken(menu))
    tried_after = timezone.now()
    Worker().run_once()
    job = PrintJob.objects.get()
    assert job.state == S.QUEUED and job.attempts == 1 and "connect" in job.last_error
    # Put back after the first backoff, counted from the try (not from this line, which a
    # busy machine may reach after the backoff has run out).
    assert job.next_attempt_at >= tried_after + backoff(1)
    printer = Printer.objects.get()
    assert printer.online is False and "connect" in printer.last_error
    assert any(e["type"] == "printer.status" and e["online"] is False for e in events)

    wok.accept()
    run_until(lambda: states() == [S.DONE])
    assert wok.text().count("宫保鸡丁") == 1
    assert Printer.objects.get().online is True and Printer.objects.get().last_error == ""
    done = [e for e in events if e["type"] == "print.job" and e["state"] == "done"]
    assert len(done) == 1 and done[0]["table"] == {"number": 1, "label": "1号桌"}


def test_paper_out_is_told_and_the_ticket_waits_for_paper(menu, stations, fakes, events):
    wok = fakes[0]
    printers_point(wok=wok.url)
    wok.paper = "out"
    round_submit(menu, chicken(menu))
    Worker().run_once()
    assert states() == [S.QUEUED]
    assert wok.printed() == b""  # asked, nothing sent
    printer = Printer.objects.get()
    assert (printer.online, printer.paper, printer.last_error) == (False, "out", "out of paper")
    told = [e for e in events if e["type"] == "printer.status"]
    assert told[-1]["paper"] == "out" and told[-1]["queue"] == 1
    assert told[-1]["station_id"] == printer.station_id

    wok.paper = "low"  # near the end: prints, and says so
    run_until(lambda: states() == [S.DONE])
    assert Printer.objects.get().paper == "low"
    assert [e for e in events if e["type"] == "printer.status"][-1]["queue"] == 0


def test_a_drop_mid_ticket_is_may_have_printed_never_sent_again(menu, stations, fakes, events):
    wok = fakes[0]
    printers_point(wok=wok.url)
    wok.drop_after = 40
    round_submit(menu, chicken(menu))
    Worker().run_once()
    job = PrintJob.objects.get()
    assert job.state == S.UNCERTAIN and job.last_error.startswith("send")
    Worker().run_once()
    Worker().run_once()
    assert wok.connections == 1 and len(wok.printed()) == 40
    assert services.print_jobs_uncertain(menu.restaurant)[0]["job_id"] == job.pk
    assert any(e["type"] == "print.job" and e["state"] == "uncertain" for e in events)


def test_a_printer_that_stalls_after_the_first_bytes_leaves_it_uncertain(menu, stations, fakes):
    wok = fakes[0]
    printers_point(wok=wok.url)
    wok.stall_after = 20
    round_submit(menu, chicken(menu))
    Worker().run_once()  # the answer never comes within PRINT_REPLY_TIMEOUT
    assert states() == [S.UNCERTAIN]
    wok.release()


def test_a_printer_that_does_not_answer_its_status_is_retried(menu, stations, fakes):
    """Silent before a byte of the ticket went out: nothing printed, so it is sent again."""
    wok = fakes[0]
    printers_point(wok=wok.url)
    wok.stall_after = 0
    round_submit(menu, chicken(menu))
    Worker().run_once()
    assert states() == [S.QUEUED] and wok.printed() == b""
    wok.release()
    run_until(lambda: states() == [S.DONE])
    assert wok.text().count("宫保鸡丁") == 1


def test_a_stalled_printer_holds_up_only_its_station(menu, stations, fakes):
    wok, rice_printer = fakes
    printers_point(wok=wok.url, rice=rice_printer.url)
    wok.stall_after = 20
    round_submit(menu, chicken(menu), rice(menu))
    worker = Worker(threads=2)
    worker.pass_once()
    assert rice_printer.wait_for(lambda p: "米饭" in p.text(), timeout=5)
    assert wok.wait_for(lambda p: len(p.printed()) == 20, timeout=5)
    worker.run_once()
    wok.release()
    assert dict(PrintJob.objects.values_list("station__code", "state")) == {
        "wok": S.UNCERTAIN, "rice": S.DONE,
    }  # fmt: skip


def test_tickets_of_a_station_print_in_order(menu, stations, fakes):
    printers_point(wok=fakes[0].url)
    for qty in (1, 2, 3):
        round_submit(menu, chicken(menu, qty=qty, note=""))
    Worker().run_once()
    assert states() == [S.DONE] * 3
    text = fakes[0].text()
    assert text.index("1 × 宫保鸡丁") < text.index("2 × 宫保鸡丁") < text.index("3 × 宫保鸡丁")


def test_recovery_requeues_claimed_and_doubts_sending_jobs_of_a_dead_worker(
    menu, stations, fakes, events
):
    printers_point(wok=fakes[0].url, rice=fakes[1].url)
    round_submit(menu, chicken(menu), rice(menu))
    claimed = services.print_job_claim(station_id=stations[0].pk, worker="dead:1")
    sending = services.print_job_claim(station_id=stations[1].pk, worker="dead:1")
    assert services.print_job_sending(sending, worker="dead:1")
    assert services.print_jobs_recover() == (0, 0)  # their leases still run

    past = timezone.now() - timedelta(seconds=1)
    PrintJob.objects.update(lease_until=past)
    assert services.print_jobs_recover() == (1, 1)
    assert PrintJob.objects.get(pk=claimed.pk).state == S.QUEUED
    assert PrintJob.objects.get(pk=sending.pk).state == S.UNCERTAIN
    # The dead worker, were it only slow, can no longer move either job.
    assert not services.print_job_sending(claimed, worker="dead:1")
    assert not services.print_job_uncertain(sending, worker="dead:1", error="late")

    Worker().run_once()
    assert PrintJob.objects.get(pk=claimed.pk).state == S.DONE
    assert fakes[0].text().count("宫保鸡丁") == 1 and fakes[1].printed() == b""


def test_a_removed_printer_cancels_its_queue_and_a_disabled_one_prints_nothing(
    menu, stations, fakes
):
    printers_point(wok=fakes[0].url)
    round_submit(menu, chicken(menu))
    services.printer_set(station=stations[0], url=None)
    assert states() == [S.CANCELLED]
    services.printer_set(station=stations[0], url=fakes[0].url, enabled=False)
    round_submit(menu, chicken(menu))  # no job for a disabled printer
    Worker().run_once()
    assert states() == [S.CANCELLED] and fakes[0].connections == 0
    assert ticket_text(b"") == ""


def test_a_printer_without_status_prints_once_on_its_tcp_acknowledgement(menu, stations, fakes):
    """A printer that never answers DLE EOT, marked so: the ticket goes out unasked and its
    TCP acknowledgement counts as taken (its paper stays unknown)."""
    wok = fakes[0]
    wok.mute = True
    services.printer_set(station=stations[0], url=wok.url, answers_status=False)
    round_submit(menu, chicken(menu))
    Worker().run_once()
    assert states() == [S.DONE]
    assert wok.wait_for(lambda fake: fake.tickets)
    assert wok.text().count("宫保鸡丁") == 1
    printer = Printer.objects.get()
    assert (printer.online, printer.paper, printer.last_error) == (True, "unknown", "")


def test_a_printer_without_status_that_drops_the_ticket_leaves_it_uncertain(
    menu, stations, fakes, settings
):
    # Long enough for the fake's hang-up to arrive on a busy machine (it is waited for).
    settings.PRINTING = {**settings.PRINTING, "PRINT_AFTER_TICKET_SECONDS": 10}
    wok = fakes[0]
    wok.mute, wok.drop_after = True, 20
    services.printer_set(station=stations[0], url=wok.url, answers_status=False)
    round_submit(menu, chicken(menu))
    Worker().run_once()
    assert states() == [S.UNCERTAIN]  # bytes went out, the printer hung up: never resent


def test_a_printer_marked_without_status_that_answers_says_so(menu, stations, fakes):
    wok = fakes[0]
    services.printer_set(station=stations[0], url=wok.url, answers_status=False)
    round_submit(menu, chicken(menu))
    Worker().run_once()
    assert states() == [S.DONE] and "turn them on" in Printer.objects.get().last_error


def test_a_printer_with_status_that_stays_silent_is_never_sent_a_ticket(menu, stations, fakes):
    """Silence from a printer that should answer is a stall, not a printer without status:
    nothing goes out (a stalled printer's kernel would acknowledge the bytes all the same)."""
    wok = fakes[0]
    wok.mute = True
    printers_point(wok=wok.url)
    round_submit(menu, chicken(menu))
    Worker().run_once()
    assert states() == [S.QUEUED] and wok.printed() == b""
