"""A table's visit: its diners, their shared cart and the log of ops they made."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from restaurant.menu.models import Dish
from restaurant.tables.models import Table
from restaurant.venues.models import Restaurant


class DiningSession(models.Model):
    class Status(models.TextChoices):
        OPEN = "open"
        CLOSED = "closed"

    # The table's restaurant, on the row for scoped queries; `save` takes it from the table.
    restaurant = models.ForeignKey(
        Restaurant, on_delete=models.PROTECT, related_name="+", editable=False
    )
    table = models.ForeignKey(Table, on_delete=models.PROTECT, related_name="sessions")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    # Grows by one with every change a diner can see; every such event carries it.
    seq = models.PositiveBigIntegerField(default=0)
    # The seq of the last change to the cart (a submit is one): `order.submit` is stale
    # when the diner's seq is older than this.
    cart_seq = models.PositiveBigIntegerField(default=0)
    diners_joined = models.PositiveIntegerField(default=0)
    # Opened by staff from the floor rather than by a diner's scan: its first round is not held.
    opened_by_staff = models.BooleanField(default=False)
    opened_at = models.DateTimeField(auto_now_add=True)
    # The last sign of life: a diner arriving, coming online or going offline, a cart change.
    # A meal with no one online and nothing ordered ends this long after it (`sessions_end_idle`).
    last_active_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    # How many people sit at the meal (人数), as staff or a diner say; None until someone does.
    guests = models.PositiveSmallIntegerField(null=True, blank=True)
    # A note for the whole meal (整单备注: "one child", "no coriander at all"): the kitchen
    # sees it with every round.
    note = models.CharField(max_length=140, blank=True)
    # Joined into another table's meal (并台): this one is closed, its diners, cart, rounds and
    # calls are the other's now, until the join is undone (restaurant/floor/moves.py).
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_from"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["table"], condition=Q(status="open"), name="one_open_session_per_table"
            )
        ]

    def __str__(self) -> str:
        return f"{self.table} #{self.pk} ({self.status})"

    def save(self, *args, **kwargs):
        if self.restaurant_id is None and self.table_id is not None:
            self.restaurant_id = self.table.restaurant_id
        super().save(*args, **kwargs)


class Diner(models.Model):
    session = models.ForeignKey(DiningSession, on_delete=models.CASCADE, related_name="diners")
    name = models.CharField(max_length=24)
    color = models.CharField(max_length=7)
    # The browser: SHA-256 (hex) of its Django session key, never the key itself. One diner
    # per browser and dining session, however many requests it sends at once. NULL (which
    # never collides in the constraint) on rows from before it was recorded.
    browser = models.CharField(max_length=64, null=True, blank=True, editable=False)  # noqa: DJ001
    joined_at = models.DateTimeField(auto_now_add=True)
    # A staff member ordering for the table (代客下单): their lines are theirs on the shared
    # cart and on the split bill, as a diner's are. One such diner per person and meal.
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["session", "browser"], name="one_diner_per_browser"),
            models.UniqueConstraint(
                fields=["session", "staff"],
                condition=Q(staff__isnull=False),
                name="one_diner_per_staff",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CartLine(models.Model):
    session = models.ForeignKey(DiningSession, on_delete=models.CASCADE, related_name="cart")
    dish = models.ForeignKey(Dish, on_delete=models.PROTECT)
    qty = models.PositiveSmallIntegerField()
    options = models.JSONField(default=list)  # sorted option ids
    note = models.CharField(max_length=140, blank=True)
    added_by = models.ForeignKey(Diner, on_delete=models.CASCADE, related_name="+")
    # Shared by the table (a starter for everyone): on the check, split equally among the
    # meal's diners unless someone claims or shares it otherwise (restaurant/billing).
    shared = models.BooleanField(default=False)
    # 打包: packed to take away; its dish's packing fee is added to each portion's price.
    takeaway = models.BooleanField(default=False, db_default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(condition=Q(qty__gte=1, qty__lte=99), name="cart_qty_1_99")
        ]

    def __str__(self) -> str:
        return f"{self.qty} × {self.dish_id} by {self.added_by_id}"


class AppliedOp(models.Model):
    """One op an actor had applied: the idempotency record and the op log.

    ``actor`` is ``d<diner id>`` or ``u<staff user id>``; a resent op id gets the same ack.
    """

    actor = models.CharField(max_length=24)
    op_id = models.CharField(max_length=64)
    op_type = models.CharField(max_length=32)
    session = models.ForeignKey(DiningSession, null=True, on_delete=models.CASCADE)
    seq = models.PositiveBigIntegerField(null=True)
    applied_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["actor", "op_id"], name="op_id_once_per_actor")
        ]

    def __str__(self) -> str:
        return f"{self.actor}:{self.op_id} ({self.op_type})"


class Connection(models.Model):
    """An open diner socket; presence is "has at least one connection"."""

    channel_name = models.CharField(max_length=200, primary_key=True)
    diner = models.ForeignKey(Diner, on_delete=models.CASCADE, related_name="connections")
    server_id = models.CharField(max_length=100, db_index=True, default="")
    connected_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.channel_name


class MealTransfer(models.Model):
    """A meal moved to another table (转台), joined into another table's meal (并台), or split
    back out of one: the audit trail of the floor, and what undoing a join needs to know."""

    class Kind(models.TextChoices):
        MOVE = "move"
        JOIN = "join"
        SPLIT = "split"  # a join undone

    restaurant = models.ForeignKey(
        Restaurant, on_delete=models.PROTECT, related_name="+", editable=False
    )
    kind = models.CharField(max_length=5, choices=Kind.choices)
    # The meal that moved, or was joined into ``into`` (or split back out of it).
    session = models.ForeignKey(DiningSession, on_delete=models.PROTECT, related_name="+")
    into = models.ForeignKey(
        DiningSession, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    from_table = models.ForeignKey(Table, on_delete=models.PROTECT, related_name="+")
    to_table = models.ForeignKey(Table, on_delete=models.PROTECT, related_name="+")
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    at = models.DateTimeField(default=timezone.now)
    # A join: what came over (diner ids, each round's id and its round number before), so
    # that splitting it back returns exactly that. ``undone_at``: when it was split back.
    detail = models.JSONField(default=dict)
    undone_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.kind} {self.from_table_id} → {self.to_table_id} (meal {self.session_id})"
