"""Kitchen printers and the print jobs sent to them (docs/printing.md).

A print job is an outbox row: written in the same transaction as the round (or the void) that
needs it, sent by the print worker, done only once the printer has taken its bytes. Its states:

    queued ─▶ claimed ─▶ sending ─▶ done
       ▲         │          │
       └─────────┘          └──▶ uncertain ("may have printed": bytes went out, no answer)
     (printer off,                   │ staff: reprint (a new job) or "it printed"
      lease lost)                    ▼
                                   resolved
    queued ─▶ cancelled (the station's printer was removed)

`claimed` means a worker holds the job but no byte has gone out: it may go back to `queued`.
`sending` is committed before the first byte of the ticket: from then on a job that is not
confirmed is `uncertain`, never sent again silently.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from restaurant.kitchen.models import Order, OrderItem
from restaurant.venues.models import Restaurant, Station

DEFAULT_PORT = 9100  # raw TCP printing (JetDirect), what kitchen printers listen on


def printer_address(url: str) -> tuple[str, int]:
    """``"tcp://HOST[:PORT]"`` → (host, port); the port defaults to 9100. Raises
    ValidationError naming what is wrong."""
    url = (url or "").strip()
    if "://" not in url:
        raise ValidationError(f"{url!r} is not tcp://HOST:PORT")
    parts = urlsplit(url)
    if parts.scheme != "tcp":
        raise ValidationError(f"{url!r}: only tcp:// printers (ESC/POS over raw TCP)")
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
        raise ValidationError(f"{url!r} has more than tcp://HOST:PORT")
    try:
        port = parts.port or DEFAULT_PORT
    except ValueError:
        raise ValidationError(f"{url!r}: the port is not a number from 1 to 65535") from None
    if not parts.hostname:
        raise ValidationError(f"{url!r} names no host")
    return parts.hostname, port


def printer_url_normal(url: str) -> str:
    """The one spelling of a printer's address: ``tcp://host:port`` (IPv6 in brackets)."""
    host, port = printer_address(url)
    return f"tcp://{f'[{host}]' if ':' in host else host}:{port}"


def validate_printer_url(url: str) -> None:
    printer_address(url)


class Printer(models.Model):
    """A station's network printer (ESC/POS over TCP) and what it last said about itself."""

    class Paper(models.TextChoices):
        OK = "ok"
        LOW = "low"  # the near-end sensor: print, but tell the floor
        OUT = "out"
        UNKNOWN = "unknown"

    station = models.OneToOneField(Station, on_delete=models.CASCADE, related_name="printer")
    # Its station's, carried on the row (derived on save) so that every query and the admin
    # scope it by one column, as every row a restaurant owns.
    restaurant = models.ForeignKey(
        Restaurant, on_delete=models.CASCADE, related_name="+", editable=False
    )
    url = models.CharField(
        max_length=200, validators=[validate_printer_url],
        help_text="tcp://HOST:PORT (the port defaults to 9100).",
    )  # fmt: skip
    enabled = models.BooleanField(default=True)
    # Live state, written by the print worker each time it talks to the printer.
    online = models.BooleanField(null=True, editable=False)  # None: not asked yet
    paper = models.CharField(
        max_length=8, choices=Paper.choices, default=Paper.UNKNOWN, editable=False
    )
    last_error = models.CharField(max_length=200, blank=True, editable=False)
    last_seen_at = models.DateTimeField(null=True, blank=True, editable=False)
    state_changed_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Most kitchen printers answer ESC/POS status queries (DLE EOT): the worker asks before a
    # ticket (online? paper?) and after it (the answer says it took every byte). Some, or
    # their network cards, never answer: for those the printer's TCP acknowledgement of every
    # byte is taken instead (restaurant/printing/worker.py, "printers without status").
    answers_status = models.BooleanField(
        default=True, verbose_name="answers status queries",
        help_text="Turn off only for a printer that never answers ESC/POS status (DLE EOT): "
        "its paper cannot be watched then, and a printer that stops reading cannot be told "
        "from one that printed.",
    )  # fmt: skip

    class Meta:
        ordering = ["station__restaurant", "station__sort_order", "pk"]

    def __str__(self) -> str:
        return f"{self.station} {self.url}"

    def save(self, *args, **kwargs):
        if self.station_id is not None:
            self.restaurant_id = Station.objects.values_list("restaurant_id", flat=True).get(
                pk=self.station_id
            )
            if "update_fields" in kwargs and kwargs["update_fields"] is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "restaurant"}
        super().save(*args, **kwargs)

    def clean(self):
        super().clean()
        if self.url:
            try:
                self.url = printer_url_normal(self.url)
            except ValidationError as error:
                raise ValidationError({"url": error.messages}) from None


class PrintJob(models.Model):
    """One slip for one station's printer, its bytes rendered when it was made (a menu or
    table change later cannot change a queued ticket)."""

    class Kind(models.TextChoices):
        TICKET = "ticket"  # a round's dishes of one station
        VOID = "void"  # 退菜: a sent dish taken back
        RESTORE = "restore"  # a void taken back: the dish is owed again
        RECEIPT = "receipt"  # a check or a receipt, on the cashier's printer (restaurant/billing)

    class State(models.TextChoices):
        QUEUED = "queued"
        CLAIMED = "claimed"  # a worker holds it; no byte sent
        SENDING = "sending"  # committed before the first byte
        DONE = "done"  # the printer answered after taking the bytes
        UNCERTAIN = "uncertain"  # may have printed: bytes went out, no answer
        CANCELLED = "cancelled"

    restaurant = models.ForeignKey(
        Restaurant, on_delete=models.CASCADE, related_name="+", editable=False
    )
    # PROTECT: a station that has printed keeps its tickets (a "may have printed" one is the
    # only trace staff have to check); route its dishes elsewhere instead of deleting it.
    station = models.ForeignKey(Station, on_delete=models.PROTECT, related_name="+")
    order = models.ForeignKey(
        Order, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # The dish a void (or restore) slip is about: taking the void back finds its slip.
    item = models.ForeignKey(
        OrderItem, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.TICKET)
    # A ticket's dishes (item ids) as its bytes list them: what the station has on paper.
    item_ids = models.JSONField(default=list, blank=True)
    reprint = models.BooleanField(default=False)  # printed under a big 重印 / REPRINT
    reprint_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reprints"
    )
    payload = models.BinaryField()  # the ESC/POS bytes, sent as they are
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    attempts = models.PositiveIntegerField(default=0)  # claims so far
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.CharField(max_length=200, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)  # the worker's hold on it
    worker = models.CharField(max_length=80, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)  # when the printer confirmed
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            # The worker's due-jobs query: each station's oldest queued job, if due.
            models.Index(fields=["state", "station", "created_at"], name="print_job_queue"),
            # Recovery: claimed or sending jobs whose lease ran out.
            models.Index(fields=["state", "lease_until"], name="print_job_lease"),
        ]
        constraints = [
            # A round's ticket is made once per station, however often it is asked for;
            # reprints are new jobs of their own.
            models.UniqueConstraint(
                fields=["order", "station"],
                condition=models.Q(kind="ticket", reprint=False),
                name="one_ticket_per_round",
            ),
        ]

    def __str__(self) -> str:
        return f"Print job {self.pk} ({self.kind}, {self.state})"

    def save(self, *args, **kwargs):
        if self.restaurant_id is None:
            self.restaurant_id = self.station.restaurant_id
        super().save(*args, **kwargs)
