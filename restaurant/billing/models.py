"""The till: who pays for each dish, discounts, payments and refunds, the checks as they were
closed, and the business days a manager closed.

The check itself is not stored while the meal is open: it is computed from the meal's dishes,
these rows and the restaurant's charges (restaurant/billing/compute.py), so a void, a comp or a
discount changes it at once and no copy can drift. Closing the meal writes its final figures
(`ClosedCheck`): the receipt and the night's report read those, and they never change.
"""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from restaurant.dining.models import Diner, DiningSession
from restaurant.kitchen.models import OrderItem
from restaurant.venues.models import PAYMENT_METHODS, Restaurant

User = settings.AUTH_USER_MODEL


def receipt_token() -> str:
    return secrets.token_urlsafe(16)  # 128 random bits: the receipt's URL is its only key


class ItemOwner(models.Model):
    """Who pays for a dish when it is not the diner who added it: one row, a diner claimed
    it ("I'll pay for this"); two or more, they share it equally. No row: who added it."""

    item = models.ForeignKey(OrderItem, on_delete=models.CASCADE, related_name="owners")
    diner = models.ForeignKey(Diner, on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["item", "diner"], name="item_owner_once"),
        ]

    def __str__(self) -> str:
        return f"Item {self.item_id} paid by diner {self.diner_id}"


class Discount(models.Model):
    """A discount on one dish (``item``) or on the whole check (no item): a percentage or an
    amount (minor units), with the reason and who gave it. Removed, not deleted: the night's
    report lists both."""

    restaurant = models.ForeignKey(Restaurant, on_delete=models.PROTECT, related_name="+")
    session = models.ForeignKey(DiningSession, on_delete=models.PROTECT, related_name="+")
    item = models.ForeignKey(
        OrderItem, null=True, blank=True, on_delete=models.PROTECT, related_name="discounts"
    )
    percent = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    amount = models.PositiveIntegerField(null=True, blank=True)
    reason = models.CharField(max_length=120)
    op_id = models.CharField(max_length=64)  # the same press sent twice gives one discount
    by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["session", "op_id"], name="discount_op_once"),
            models.CheckConstraint(
                condition=(
                    Q(percent__isnull=False, amount__isnull=True, percent__gt=0, percent__lte=100)
                    | Q(percent__isnull=True, amount__isnull=False, amount__gt=0)
                ),
                name="discount_percent_or_amount",
            ),
        ]

    def __str__(self) -> str:
        off = f"{self.percent}%" if self.percent is not None else str(self.amount)
        return f"Discount {off} on {'item ' + str(self.item_id) if self.item_id else 'check'}"


class Payment(models.Model):
    """Money in (``kind`` pay) or back out (refund) at a meal's check, in minor units.

    ``target`` is what the payment was for, as the till offered it: ``check`` (the rest of
    it, or any amount), ``diner:<id>`` (that diner's share by who had what), ``equal:<n>:<k>``
    (the k-th of n equal shares). Cash records what was handed over and the change.

    Shaped for an online provider (WeChat Pay v3, Alipay) to fill later: a provider payment is
    written ``pending`` with our ``op_id`` as its out-trade number, ``provider_ref`` is their
    transaction id, and only ``succeeded`` counts toward the check."""

    class Kind(models.TextChoices):
        PAY = "pay"
        REFUND = "refund"

    class State(models.TextChoices):
        PENDING = "pending"  # a provider was asked, no answer yet
        SUCCEEDED = "succeeded"
        FAILED = "failed"

    restaurant = models.ForeignKey(Restaurant, on_delete=models.PROTECT, related_name="+")
    session = models.ForeignKey(DiningSession, on_delete=models.PROTECT, related_name="payments")
    kind = models.CharField(max_length=6, choices=Kind.choices, default=Kind.PAY)
    method = models.CharField(max_length=10, choices=[(m, m) for m in PAYMENT_METHODS])
    amount = models.PositiveIntegerField()
    tendered = models.PositiveIntegerField(null=True, blank=True)  # cash handed over
    change = models.PositiveIntegerField(default=0)
    target = models.CharField(max_length=40, default="check")
    diner = models.ForeignKey(
        Diner, null=True, blank=True, on_delete=models.PROTECT, related_name="payments"
    )
    refund_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="refunds"
    )
    reason = models.CharField(max_length=120, blank=True)  # a refund's
    state = models.CharField(max_length=9, choices=State.choices, default=State.SUCCEEDED)
    provider = models.CharField(max_length=20, blank=True)
    provider_ref = models.CharField(max_length=64, blank=True)
    # The client's id for this payment: the same press sent twice records one payment.
    op_id = models.CharField(max_length=64)
    by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    business_date = models.DateField()

    class Meta:
        ordering = ["at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["session", "op_id"], name="payment_op_once"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
        ]
        indexes = [models.Index(fields=["restaurant", "business_date"], name="payment_day")]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} by {self.method} (meal {self.session_id})"

    @property
    def signed(self) -> int:
        """What it does to the balance paid: + for a payment, - for a refund."""
        return self.amount if self.kind == self.Kind.PAY else -self.amount


class ClosedCheck(models.Model):
    """A meal's check as it was when the table closed: the receipt and the report's source.
    ``detail`` is the whole computed check (restaurant/billing/compute.py's `Check.as_dict`)
    with the payments; the columns are its totals, for the report's sums."""

    session = models.OneToOneField(
        DiningSession, on_delete=models.PROTECT, related_name="closed_check"
    )
    restaurant = models.ForeignKey(Restaurant, on_delete=models.PROTECT, related_name="+")
    business_date = models.DateField()
    closed_at = models.DateTimeField(default=timezone.now)
    closed_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    guests = models.PositiveSmallIntegerField(default=0)
    subtotal = models.PositiveIntegerField()  # dishes charged, before discounts
    discounts = models.PositiveIntegerField()  # line and check discounts together
    service = models.PositiveIntegerField()
    cover = models.PositiveIntegerField()
    rounding = models.PositiveIntegerField()  # 抹零: taken off
    total = models.PositiveIntegerField()
    comped = models.PositiveIntegerField()  # what the dishes given free would have cost
    paid = models.IntegerField()  # payments less refunds
    # Closed with money still owed: only a manager, only with a reason.
    unpaid_reason = models.CharField(max_length=120, blank=True)
    detail = models.JSONField()
    receipt_token = models.CharField(max_length=32, unique=True, default=receipt_token)

    class Meta:
        indexes = [models.Index(fields=["restaurant", "business_date"], name="check_day")]

    def __str__(self) -> str:
        return f"Check of meal {self.session_id}: {self.total}"


class BusinessDay(models.Model):
    """A restaurant's business day a manager closed (日结): nothing of that day can change
    after (no check closes, no payment is recorded on it). ``report`` is the report as it
    was closed."""

    restaurant = models.ForeignKey(Restaurant, on_delete=models.PROTECT, related_name="+")
    date = models.DateField()
    closed_at = models.DateTimeField(default=timezone.now)
    closed_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    report = models.JSONField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["restaurant", "date"], name="business_day_once"),
        ]

    def __str__(self) -> str:
        return f"Business day {self.date} (restaurant {self.restaurant_id})"
