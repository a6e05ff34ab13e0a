"""Money as people read and type it, against money as it is stored and travels.

Prices are stored and sent as integers in the currency's minor unit (fen: 1600 is ¥16.00). People
think in the major unit (yuan), so every form in the admin takes and shows yuan with the
currency's decimals, and lists show amounts formatted for the page's language. Conversions are
Decimal and exact: a value with more decimals than the currency has is refused, never rounded,
and no float is ever involved. The currency's decimals and its formatting come from Babel's CLDR
data (CNY 2, JPY 0, KWD 3).
"""

from decimal import Decimal

from babel.numbers import format_currency, get_currency_precision
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import get_language, to_locale


def decimals(currency: str) -> int:
    return get_currency_precision(currency)


def to_major(minor: int, currency: str) -> Decimal:
    """1600 fen → Decimal('16.00')."""
    places = decimals(currency)
    return (Decimal(minor) / (10**places)).quantize(Decimal(1).scaleb(-places))


def to_minor(major: Decimal, currency: str) -> int:
    """Decimal('16') → 1600 fen; a value finer than the currency's unit is a ValueError."""
    minor = major.scaleb(decimals(currency))
    if minor != minor.to_integral_value():
        raise ValueError(f"{major} has more decimals than {currency} has")
    return int(minor)


def format_money(minor: int, currency: str, language: str | None = None) -> str:
    """1600, CNY → "¥16.00" in Chinese, "CN¥16.00" in English (Babel, CLDR's patterns)."""
    locale = to_locale(language or get_language() or "zh-hans")
    return format_currency(to_major(minor, currency), currency, locale=locale)


class MoneyField(forms.DecimalField):
    """A form field in the major unit (yuan) for a model field in minor units (fen): shows the
    stored 1600 as 16.00, takes "16" or "16.5" and gives back 1600 or 1650. Left empty (where
    not required): ``empty_value``."""

    empty_value: int | None = None

    def __init__(self, *, currency: str, allow_negative: bool = False, **kwargs):
        self.currency = currency
        self.places = decimals(currency)
        kwargs.pop("max_value", None)
        kwargs.pop("min_value", None)
        kwargs.setdefault("max_digits", 9 + self.places)
        kwargs["decimal_places"] = self.places
        super().__init__(min_value=None if allow_negative else Decimal(0), **kwargs)
        self.widget.attrs["step"] = str(Decimal(1).scaleb(-self.places))
        self.widget.attrs.setdefault("inputmode", "decimal")

    def prepare_value(self, value):
        if isinstance(value, int):  # the stored minor units, as the form's initial value
            return str(to_major(value, self.currency))
        return value

    def clean(self, value):
        major = super().clean(value)  # Decimal, no more decimals than the currency's
        if major is None:
            return self.empty_value
        try:
            return to_minor(major, self.currency)
        except ValueError as exc:
            raise ValidationError(str(exc), code="max_decimal_places") from exc

    def has_changed(self, initial, data) -> bool:
        try:
            value = self.clean(data) if data not in (None, "") else self.empty_value
        except ValidationError:
            return True
        return value != initial
