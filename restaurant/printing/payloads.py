"""What the staff sockets are told about printers and print jobs (docs/printing.md): one
function per shape, used by the events and by the snapshot alike."""

from datetime import datetime

from restaurant.printing.models import Printer, PrintJob


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at else None


def printer_payload(printer: Printer, queue: int) -> dict:
    """``{station_id, online: bool|None, paper: ok|low|out|unknown, queue: jobs not yet
    printed, last_error, at: when its state last changed (ISO 8601) or None}``."""
    return {
        "station_id": printer.station_id,
        "online": printer.online,
        "paper": printer.paper,
        "queue": queue,
        "last_error": printer.last_error,
        "at": _iso(printer.state_changed_at),
    }


def print_job_payload(job: PrintJob) -> dict:
    """``{job_id, station_id, order_id|None, round|None, table: {number, label}|None, kind,
    state, reprint}``; needs ``job.order.session.table`` (select_related)."""
    order = job.order
    table = order.session.table if order is not None else None
    return {
        "job_id": job.pk,
        "station_id": job.station_id,
        "order_id": job.order_id,
        "round": order.round if order is not None else None,
        "table": {"number": table.number, "label": table.label} if table else None,
        "kind": job.kind,
        "state": job.state,
        "reprint": job.reprint,
    }
