"""Restaurants, and who works at each in which role.

A restaurant is a boundary: every row it owns carries it (menu, tables, meals, orders,
calls), every selector takes it and every group name includes it. A person is a Django user
with one `StaffMember` row per restaurant they work at; what each role may do is declared in
`restaurant/venues/roles.py`.
"""

import datetime
from decimal import Decimal

from babel.numbers import get_currency_precision, list_currencies
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q

from restaurant.core.models import Bilingual

SLUG_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$"
slug_validator = RegexValidator(
    SLUG_PATTERN, "lowercase letters, digits and hyphens, 1 to 40 characters"
)


def currency_validator(value: str) -> None:
    """An ISO 4217 currency code, upper case (CLDR's list, through Babel): anything else breaks
    the formatting of every price (the table page's ``Intl.NumberFormat``, Babel's)."""
    if value not in list_currencies():
        raise ValidationError(
            "%(value)s is not an ISO 4217 currency code (CNY, JPY, HKD, ...)",
            code="invalid_currency", params={"value": value},
        )  # fmt: skip


PAYMENT_METHODS = ("cash", "card", "wechat", "alipay", "other")


def default_payment_methods() -> list[str]:
    return list(PAYMENT_METHODS)


def payment_methods_validator(value) -> None:
    if not (isinstance(value, list) and value and all(m in PAYMENT_METHODS for m in value)
            and len(set(value)) == len(value)):  # fmt: skip
        raise ValidationError(
            "a list of payment methods, each once, from: %(known)s",
            code="payment_methods", params={"known": ", ".join(PAYMENT_METHODS)},
        )  # fmt: skip


class Restaurant(Bilingual):
    """One shop. Its ``slug`` names it in staff URLs (``/r/<slug>/kitchen/``); diners never
    need it: a table's token is unique across restaurants."""

    name = models.CharField(max_length=80, default="RestaurantOrder")
    slug = models.CharField(max_length=40, unique=True, validators=[slug_validator])
    currency = models.CharField(max_length=3, default="CNY", validators=[currency_validator])
    language = models.CharField(
        max_length=10, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE,
        help_text="The language its pages open in when a browser asks for none it offers.",
    )  # fmt: skip
    staff_opens_tables = models.BooleanField(
        default=False,
        help_text="When on, a table's dining session opens only when staff open the table.",
    )
    hold_first_round = models.BooleanField(
        default=True,
        help_text="When on, the first round of a meal that a diner's scan opened (not staff) "
        "waits for staff to accept it before the kitchen starts on it.",
    )
    idle_close_minutes = models.PositiveIntegerField(
        default=30,
        help_text="A meal with no one online and nothing ordered ends by itself after this many "
        "minutes without activity (a diner online, a cart change). 0: never.",
    )
    calls_on_kitchen = models.BooleanField(
        default=False,
        help_text="When on, waiter calls show on the kitchen display too, not only on the floor.",
    )
    ordering_paused = models.BooleanField(
        default=False,
        help_text="A swamped kitchen: while on, diners cannot send rounds (staff still can).",
    )
    pause_note = models.CharField(
        max_length=120, blank=True, help_text="What diners read while ordering is paused."
    )
    adjust_needs_approval = models.BooleanField(
        default=False,
        help_text="When on, a dish a waiter takes back or gives free waits for a manager.",
    )
    # The till (restaurant/billing). Charges and rounding apply to every check from the moment
    # they change; a closed check keeps what it was closed with.
    cover_charge = models.PositiveIntegerField(
        default=0,
        help_text="Seat, tea or tableware charge per guest (餐位费/茶位费), in the currency's "
        "minor unit. 0: none.",
    )
    service_percent = models.DecimalField(
        max_digits=5, decimal_places=2, default=Decimal(0),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
        help_text="Service charge, a percentage of the dishes after discounts. 0: none.",
    )  # fmt: skip

    class Rounding(models.TextChoices):
        NONE = "none", "No rounding"
        JIAO = "jiao", "Drop the fen (抹分, to 0.10)"
        YUAN = "yuan", "Drop the jiao and fen (抹零, to 1.00)"

    rounding = models.CharField(
        max_length=4, choices=Rounding.choices, default=Rounding.NONE,
        help_text="抹零: the check's total is rounded down to this unit; the difference shows.",
    )  # fmt: skip
    payment_methods = models.JSONField(
        default=default_payment_methods, validators=[payment_methods_validator],
        help_text='The ways this till takes money, in order: any of "cash", "card", "wechat", '
        '"alipay", "other".',
    )  # fmt: skip
    receipt_station = models.ForeignKey(
        "Station", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="The station whose printer prints receipts (the cashier's).",
    )  # fmt: skip
    day_starts_at = models.TimeField(
        default=datetime.time(5, 0),
        help_text="When the business day turns over: a check closed at 01:30 belongs to the "
        "night before.",
    )
    # Bumped by every menu change (restaurant/menu/signals.py), so that a page can tell its
    # copy of the menu is old and each process its cached catalog (restaurant/menu/catalog.py).
    menu_version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["pk"]

    def save(self, *args, **kwargs):
        # Saving an edited restaurant (its name, say) must not write back the menu_version it
        # was loaded with: a process could then take an older menu for the current one.
        if self.pk and not self._state.adding and kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [
                f.attname for f in self._meta.concrete_fields
                if not f.primary_key and f.name != "menu_version"
            ]  # fmt: skip
        super().save(*args, **kwargs)

    def clean(self):
        super().clean()
        # Prices are stored in the currency's minor unit (restaurant/menu/money.py): moving a
        # menu from CNY (2 decimals) to JPY (none) would make every ¥68.00 dish ¥6800.
        if self.pk is None or not self.currency:
            return
        stored = Restaurant.objects.filter(pk=self.pk).values_list("currency", flat=True).first()
        if stored is None or stored == self.currency:
            return
        same_unit = get_currency_precision(stored) == get_currency_precision(self.currency)
        stored_cover = Restaurant.objects.filter(pk=self.pk).values_list("cover_charge", flat=True)
        if not same_unit and (self.dishes.exists() or stored_cover[0] or self.cover_charge):
            raise ValidationError({"currency": ValidationError(
                "The menu's prices (and the cover charge) are in %(old)s, which counts money "
                "in other units than %(new)s: they would all change. Change the currency of a "
                "restaurant with no dishes and no cover charge, or to one with the same "
                "decimals.",
                code="currency_decimals", params={"old": stored, "new": self.currency},
            )})  # fmt: skip

    @classmethod
    def sole(cls) -> "Restaurant | None":
        """The deployment's restaurant when it has exactly one (the contract's unprefixed forms
        serve it), else None."""
        two = list(cls.objects.order_by("pk")[:2])
        return two[0] if len(two) == 1 else None


_UNKNOWN = object()


class StaysWithItsRestaurant:
    """Mix into a restaurant-owned model (before ``models.Model``): once saved, a row's
    ``restaurant`` never changes. A table's open meal, bill and orders, a category's dishes,
    carry the restaurant too and would stay behind; moving data between restaurants is no edit.

    The restaurant a row was loaded with is kept (`from_db`), so the check costs no query; a
    row built by hand with a primary key asks the database once. Saving a moved row raises
    ValidationError. ``QuerySet.update()`` is not checked (no model code sees it)."""

    @classmethod
    def from_db(cls, db, field_names, values):
        row = super().from_db(db, field_names, values)
        row._stored_restaurant_id = row.__dict__.get("restaurant_id", _UNKNOWN)
        return row

    def refresh_from_db(self, using=None, fields=None, from_queryset=None):
        super().refresh_from_db(using=using, fields=fields, from_queryset=from_queryset)
        if fields is None or not {"restaurant", "restaurant_id"}.isdisjoint(fields):
            self._stored_restaurant_id = self.__dict__.get("restaurant_id", _UNKNOWN)

    def save(self, *args, **kwargs):
        fields = kwargs.get("update_fields")
        checked = fields is None or not {"restaurant", "restaurant_id"}.isdisjoint(fields)
        if self.pk is not None and checked:
            stored = getattr(self, "_stored_restaurant_id", _UNKNOWN)
            if stored is _UNKNOWN:
                stored = (
                    type(self)._base_manager.filter(pk=self.pk)
                    .values_list("restaurant_id", flat=True).first()
                )  # fmt: skip
            if stored is not None and stored != self.restaurant_id:
                raise ValidationError(
                    f"{type(self).__name__} {self.pk} belongs to restaurant {stored}: a saved "
                    "row cannot move to another restaurant",
                    code="restaurant_fixed",
                )
        super().save(*args, **kwargs)
        self._stored_restaurant_id = self.restaurant_id


class Station(StaysWithItsRestaurant, Bilingual):
    """Where a dish is made (热菜 hot wok, 凉菜 cold dishes, 点心 dim sum, 酒水 bar): each has
    its own board and, where it has one, its own kitchen printer (restaurant/printing). A
    category routes its dishes to a station, a dish may route elsewhere
    (`restaurant.menu.models.Dish.station_for`)."""

    restaurant = models.ForeignKey(Restaurant, on_delete=models.CASCADE, related_name="stations")
    # Names the station in URLs and commands (`/r/<slug>/kitchen/station/<code>/`).
    code = models.CharField(max_length=40, validators=[slug_validator])
    # How long a dish of this station may take before a diner may nudge it (催菜); a dish
    # may set its own.
    target_minutes = models.PositiveSmallIntegerField(default=15)
    sort_order = models.IntegerField(default=0)

    class Meta:
        ordering = ["restaurant", "sort_order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["restaurant", "code"], name="station_code_unique")
        ]


class StaffMember(models.Model):
    """A person's (or a shared device's) role at one restaurant. One role per restaurant; a
    person working at two restaurants has two rows."""

    class Role(models.TextChoices):
        MANAGER = "manager", "Owner / manager"
        CASHIER = "cashier", "Cashier"
        WAITER = "waiter", "Waiter"
        KITCHEN = "kitchen", "Kitchen"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    restaurant = models.ForeignKey(Restaurant, on_delete=models.CASCADE, related_name="staff")
    role = models.CharField(max_length=10, choices=Role.choices)
    # A shared kitchen or floor tablet rather than a person: it has no usable password and
    # signs in through a one-time pairing link (restaurant/venues/devices.py).
    is_device = models.BooleanField(default=False)
    # SHA-256 (hex) of the open pairing link's secret, while one is open; never the secret.
    pairing_digest = models.CharField(max_length=64, blank=True, editable=False)
    pairing_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    # A kitchen person or tablet kept to one station: they see its board and move only its
    # dishes (restaurant/kitchen/services.py). Null: the whole kitchen.
    # PROTECT: deleting the station must not quietly free its cooks to move every station's
    # dishes; they are moved (or freed) first.
    station = models.ForeignKey(
        Station, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["restaurant", "role", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["user", "restaurant"], name="one_role_per_restaurant"),
            models.UniqueConstraint(
                fields=["pairing_digest"],
                condition=~Q(pairing_digest=""),
                name="pairing_digest_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.role}) at {self.restaurant}"

    def clean(self):
        super().clean()
        if self.station_id and self.station.restaurant_id != self.restaurant_id:
            raise ValidationError({"station": "a station of this person's restaurant"})
        if self.station_id and self.role != self.Role.KITCHEN:
            raise ValidationError({"station": "only kitchen staff are kept to one station"})
