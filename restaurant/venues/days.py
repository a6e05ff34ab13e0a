"""A restaurant's business day: the night's takings (日结) and the day's dish counts (限量)
both run from one `day_starts_at` to the next, not from midnight."""

import datetime

from django.utils import timezone

from restaurant.venues.models import Restaurant


def business_date(restaurant: Restaurant, at: datetime.datetime | None = None) -> datetime.date:
    """The business day ``at`` (now) belongs to: the local date, less a day before the
    restaurant's ``day_starts_at`` (a check closed at 01:30 is the night before's)."""
    return business_date_from(restaurant.day_starts_at, at)


def business_date_from(
    day_starts_at: datetime.time | str, at: datetime.datetime | None = None
) -> datetime.date:
    """`business_date` from the restaurant's ``day_starts_at`` alone (read with another row:
    the round's lock reads it with the meal; SQLite gives it as text)."""
    if isinstance(day_starts_at, str):
        day_starts_at = datetime.time.fromisoformat(day_starts_at)
    local = timezone.localtime(at or timezone.now())
    if local.time() < day_starts_at:
        return local.date() - datetime.timedelta(days=1)
    return local.date()
