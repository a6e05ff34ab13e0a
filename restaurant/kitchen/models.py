"""Orders (rounds sent to the kitchen) and waiter calls."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from restaurant.core.models import Bilingual
from restaurant.dining.models import Diner, DiningSession
from restaurant.menu.models import Dish
from restaurant.tables.models import Table
from restaurant.venues.models import Restaurant, Station, StaysWithItsRestaurant


class Order(models.Model):
    class Status(models.TextChoices):
        SUBMITTED = "submitted"
        ACCEPTED = "accepted"
        PREPARING = "preparing"
        READY = "ready"
        SERVED = "served"
        CANCELLED = "cancelled"

    # The meal's restaurant, on the row: the kitchen's queries are scoped by it.
    restaurant = models.ForeignKey(
        Restaurant, on_delete=models.PROTECT, related_name="+", editable=False
    )
    session = models.ForeignKey(DiningSession, on_delete=models.PROTECT, related_name="orders")
    round = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SUBMITTED)
    # Held for staff: the first round of a meal a diner's scan opened. While it is
    # `submitted` it awaits their confirmation: staff accept it (or cancel it), no other move
    # is allowed (a recalled accept holds it again).
    awaiting_confirmation = models.BooleanField(default=False)
    submitted_by = models.ForeignKey(Diner, on_delete=models.PROTECT, related_name="+")
    total = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    status_changed_at = models.DateTimeField(auto_now_add=True)
    # Why staff cancelled it, when they said (the table sees it with the round).
    cancel_reason = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["session", "round"], name="one_order_per_round")
        ]

    def __str__(self) -> str:
        return f"Order {self.pk} ({self.session.table}, round {self.round})"

    def save(self, *args, **kwargs):
        if self.restaurant_id is None and self.session_id is not None:
            self.restaurant_id = self.session.restaurant_id
        super().save(*args, **kwargs)

    @property
    def is_awaiting_confirmation(self) -> bool:
        return self.awaiting_confirmation and self.status == self.Status.SUBMITTED


class OrderItem(models.Model):
    """A cart line frozen at submit: name and unit price as they were then, and the station
    that makes it. Each item moves on its own (`Status`); its round's status follows from its
    items (restaurant/kitchen/items.py)."""

    class Status(models.TextChoices):
        QUEUED = "queued"
        COOKING = "cooking"
        READY = "ready"
        SERVED = "served"
        VOIDED = "voided"  # taken back by staff (退菜), with a reason

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="items")
    dish = models.ForeignKey(Dish, on_delete=models.PROTECT)
    name = models.CharField(max_length=80)
    qty = models.PositiveSmallIntegerField()
    options = models.JSONField(default=list)  # option ids
    option_names = models.JSONField(default=list)
    note = models.CharField(max_length=140, blank=True)
    added_by = models.ForeignKey(Diner, on_delete=models.PROTECT, related_name="+")
    # Added as shared by the table (CartLine.shared): the check splits it among the meal's
    # diners unless an owner row says otherwise (restaurant/billing/selectors.py `owners_of`).
    shared = models.BooleanField(default=False)
    # 打包 (CartLine.takeaway): packed to take away; the kitchen's ticket says so, and the
    # unit price holds the dish's packing fee.
    takeaway = models.BooleanField(default=False, db_default=False)
    unit_price = models.PositiveIntegerField()
    # Routed at submit (Dish.station_for): a menu change later does not move a sent dish.
    station = models.ForeignKey(
        Station, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    status_changed_at = models.DateTimeField(default=timezone.now)
    void_reason = models.CharField(max_length=120, blank=True)
    # From when a diner may nudge it (催菜): submit + the dish's (or station's) target.
    target_at = models.DateTimeField(null=True, blank=True)
    nudged_at = models.DateTimeField(null=True, blank=True)  # the last nudge
    nudges = models.PositiveSmallIntegerField(default=0)
    # On the house (赠菜): on the bill at 0, its price kept to show what was given.
    comped = models.BooleanField(default=False)
    # 套餐: the set meal this dish is a part of (its name as sent; empty: not a part). A set is
    # sent as its parts, each at its own station, the set's price shared among them
    # (restaurant/kitchen/sets.py); `set_line` groups the parts of one set line of a round.
    set_name = models.CharField(max_length=80, blank=True)
    set_line = models.PositiveSmallIntegerField(null=True, blank=True)
    # The set meal itself, so that pages name it in their language (the name as sent stays).
    set_dish = models.ForeignKey(
        Dish, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # A part of a sent item taken back or comped on its own (2 of 3 bowls): the row it was
    # split from (restaurant/kitchen/adjustments.py).
    split_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="parts"
    )

    class Meta:
        ordering = ["pk"]
        indexes = [models.Index(fields=["station", "status"], name="item_station_status")]

    def __str__(self) -> str:
        return f"{self.qty} × {self.name}"


class AdjustReason(StaysWithItsRestaurant, Bilingual):
    """A reason the restaurant keeps for taking a dish back or giving it (a list, so the night's
    report can count them): "cold", "wrong dish", "regular customer"."""

    restaurant = models.ForeignKey(Restaurant, on_delete=models.PROTECT, related_name="+")
    for_void = models.BooleanField(default=True, help_text="Offered when a dish is taken back.")
    for_comp = models.BooleanField(default=False, help_text="Offered when a dish is given free.")
    active = models.BooleanField(default=True)
    sort_order = models.IntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "pk"]


class ItemAdjustment(models.Model):
    """A quantity of one sent item taken back (退菜) or comped (赠菜), asked for by staff; where
    the restaurant wants it, waiting for a manager's approval. The audit trail: who, when,
    why, the item before and after."""

    class Kind(models.TextChoices):
        VOID = "void"
        COMP = "comp"

    class State(models.TextChoices):
        PENDING = "pending"  # waits for a manager
        APPLIED = "applied"
        REFUSED = "refused"

    restaurant = models.ForeignKey(
        Restaurant, on_delete=models.PROTECT, related_name="+", editable=False
    )
    session = models.ForeignKey(DiningSession, on_delete=models.PROTECT, related_name="+")
    item = models.ForeignKey(OrderItem, on_delete=models.PROTECT, related_name="adjustments")
    # The row the adjusted quantity became (the item itself when the whole of it).
    part = models.ForeignKey(
        OrderItem, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(max_length=4, choices=Kind.choices)
    qty = models.PositiveSmallIntegerField()
    reason = models.ForeignKey(AdjustReason, null=True, blank=True, on_delete=models.PROTECT)
    reason_text = models.CharField(max_length=120)  # as it read then
    state = models.CharField(max_length=7, choices=State.choices, default=State.APPLIED)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    before = models.JSONField(default=dict)  # {qty, status, comped, amount}
    after = models.JSONField(default=dict)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.kind} {self.qty} of item {self.item_id} ({self.state})"


class ItemMove(models.Model):
    """One status change of an item by staff, or the recall of one (``recall``: this row takes
    back the move before it). The shift's history of each dish, and what a recall undoes."""

    item = models.ForeignKey(OrderItem, on_delete=models.CASCADE, related_name="moves")
    from_status = models.CharField(max_length=8, choices=OrderItem.Status.choices)
    to_status = models.CharField(max_length=8, choices=OrderItem.Status.choices)
    recall = models.BooleanField(default=False)
    reason = models.CharField(max_length=120, blank=True)  # a void's
    # Made by a move of the whole round (`order.set_status`): recalling the round recalls it.
    order_move = models.ForeignKey(
        "OrderMove", null=True, blank=True, on_delete=models.CASCADE, related_name="item_moves"
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        verb = "recalled" if self.recall else "moved"
        return f"Item {self.item_id} {verb} {self.from_status} → {self.to_status}"


class OrderMove(models.Model):
    """One status change of an order made by staff, or the recall of one (``recall``: this row
    takes back the move before it). The last row of an order says what a recall would undo."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="moves")
    from_status = models.CharField(max_length=10, choices=Order.Status.choices)
    to_status = models.CharField(max_length=10, choices=Order.Status.choices)
    recall = models.BooleanField(default=False)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        verb = "recalled" if self.recall else "moved"
        return f"Order {self.order_id} {verb} {self.from_status} → {self.to_status}"


class WaiterCall(models.Model):
    class Status(models.TextChoices):
        OPEN = "open"
        DONE = "done"

    restaurant = models.ForeignKey(
        Restaurant, on_delete=models.PROTECT, related_name="+", editable=False
    )
    table = models.ForeignKey(Table, on_delete=models.CASCADE, related_name="calls")
    session = models.ForeignKey(DiningSession, on_delete=models.CASCADE, related_name="calls")
    diner = models.ForeignKey(Diner, null=True, on_delete=models.SET_NULL, related_name="+")
    reason = models.CharField(max_length=60)
    status = models.CharField(max_length=4, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)
    # Staff saw the call (it stays open until done): the table is told someone is coming.
    seen_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["table", "reason"], condition=Q(status="open"), name="one_open_call"
            )
        ]

    def __str__(self) -> str:
        return f"{self.table}: {self.reason} ({self.status})"

    def save(self, *args, **kwargs):
        if self.restaurant_id is None and self.table_id is not None:
            self.restaurant_id = self.table.restaurant_id
        super().save(*args, **kwargs)
