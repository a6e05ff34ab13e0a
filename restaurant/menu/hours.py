"""Whether a restaurant takes orders now, and which of its categories: the pause switch (the
whole menu or a category) and service hours (`ServiceHours`: the restaurant's, a category's).

The rules are read once per menu version and kept per process, as the catalog is
(restaurant/menu/catalog.py): every change to them bumps the version (the pause services
below, and restaurant/menu/signals.py for rows saved in the admin). Asking them costs no query.
Times are in the deployment's time zone (settings.TIME_ZONE).
"""

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.db.models import Q
from django.utils import timezone

from restaurant.menu.models import Category, ServiceHours
from restaurant.realtime import groups
from restaurant.realtime.broadcast import group_message, on_commit_once, send_now
from restaurant.realtime.errors import OpError
from restaurant.venues.models import Restaurant

Span = tuple[int, time, time]  # weekday (Monday 0), opens, closes (≤ opens: past midnight)


@dataclass(frozen=True)
class Rules:
    restaurant_id: int
    version: int
    paused: bool
    note: str
    hours: tuple[Span, ...]  # the restaurant's; empty: always
    category_hours: dict[int, tuple[Span, ...]]  # only categories that have their own
    categories_paused: frozenset[int]
    # Categories every guest orders from (rice, tea): (id, name, name_en), in menu order
    # (restaurant/kitchen/required.py). Read here: with the pause, once per menu version.
    required: tuple[tuple[int, str, str], ...] = ()


_current: dict[int, Rules] = {}


def rules(restaurant_id: int, version: int) -> Rules:
    """The restaurant's ordering rules at ``version`` (read in the caller's transaction)."""
    cached = _current.get(restaurant_id)
    if cached is not None and cached.version == version:
        return cached
    paused, note = Restaurant.objects.values_list("ordering_paused", "pause_note").get(
        pk=restaurant_id
    )
    hours: list[Span] = []
    by_category: dict[int, list[Span]] = {}
    for category_id, weekday, opens, closes in ServiceHours.objects.filter(
        restaurant_id=restaurant_id
    ).values_list("category_id", "weekday", "opens", "closes"):
        span = (weekday, opens, closes)
        (hours if category_id is None else by_category.setdefault(category_id, [])).append(span)
    marked = Category.objects.filter(
        Q(ordering_paused=True) | Q(required_per_guest=True), restaurant_id=restaurant_id
    ).values_list("pk", "ordering_paused", "required_per_guest", "name", "name_en")
    marked = list(marked)
    fresh = Rules(
        restaurant_id,
        version,
        paused,
        note,
        tuple(hours),
        {category: tuple(spans) for category, spans in by_category.items()},
        frozenset(pk for pk, is_paused, *_ in marked if is_paused),
        tuple((pk, name, name_en) for pk, _, required, name, name_en in marked if required),
    )
    _current[restaurant_id] = fresh
    return fresh


def forget() -> None:
    _current.clear()


def _starts(spans: tuple[Span, ...], now: datetime):
    """Each span's occurrences from yesterday to a week ahead: (start, end) aware datetimes."""
    today = now.date()
    for offset in range(-1, 8):
        day = today + timedelta(days=offset)
        for weekday, opens, closes in spans:
            if day.weekday() != weekday:
                continue
            start = timezone.make_aware(datetime.combine(day, opens), now.tzinfo)
            end_day = day + timedelta(days=1) if closes <= opens else day
            yield start, timezone.make_aware(datetime.combine(end_day, closes), now.tzinfo)


def _window(spans: tuple[Span, ...], now: datetime) -> tuple[bool, datetime | None]:
    """(open now, when that changes: the current span's end, or the next one's start; None:
    never within the coming week)."""
    if not spans:
        return True, None
    occurrences = sorted(_starts(spans, now))
    for start, end in occurrences:
        if start <= now < end:
            return True, end
    upcoming = [start for start, _ in occurrences if start > now]
    return False, min(upcoming) if upcoming else None


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def ordering_state(rules: Rules, now: datetime | None = None) -> dict:
    """What the phones show and the ops obey: ``{open, reason: null|"paused"|"hours", note,
    opens_at, changes_at, categories: [{category_id, reason, opens_at}]}``: the restaurant as a
    whole (``opens_at``: when it next opens by its hours, null while paused: staff decide), and
    the categories closed while it is open (paused by hand, or outside their own hours).
    ``changes_at``: the next moment the hours alone change any of it (a page asks again then)."""
    now = timezone.localtime(now or timezone.now())
    open_now, change = _window(rules.hours, now)
    changes = [change] if change else []
    categories = []
    for category_id in sorted(set(rules.category_hours) | rules.categories_paused):
        cat_open, cat_change = _window(rules.category_hours.get(category_id, ()), now)
        if cat_change:
            changes.append(cat_change)
        if category_id in rules.categories_paused:
            categories.append({"category_id": category_id, "reason": "paused", "opens_at": None})
        elif not cat_open:
            categories.append(
                {"category_id": category_id, "reason": "hours", "opens_at": _iso(cat_change)}
            )
    if rules.paused:
        reason, opens_at = "paused", None
    elif not open_now:
        reason, opens_at = "hours", change
    else:
        reason, opens_at = None, None
    return {
        "open": reason is None,
        "reason": reason,
        "note": rules.note if rules.paused else "",
        "opens_at": _iso(opens_at),
        "changes_at": _iso(min(changes) if changes else None),
        "categories": categories,
    }


def ordering_refusal(state: dict, category_ids: set[int]) -> OpError | None:
    """The `ordering_closed` error for dishes of ``category_ids`` under ``state``, or None
    when they may be ordered. Its extra fields: ``reason`` (`paused`, `hours`), ``opens_at``
    (ISO 8601 or null) and, for closed categories, ``category_ids``."""
    if not state["open"]:
        message = (
            "ordering is paused" + (f": {state['note']}" if state["note"] else "")
            if state["reason"] == "paused"
            else "the restaurant is not taking orders now"
        )
        return OpError(
            "ordering_closed", message, reason=state["reason"], opens_at=state["opens_at"]
        )
    closed = [c for c in state["categories"] if c["category_id"] in category_ids]
    if not closed:
        return None
    opens = [c["opens_at"] for c in closed if c["opens_at"]]
    return OpError(
        "ordering_closed",
        "part of the menu is not served now",
        reason=closed[0]["reason"],
        opens_at=None if len(opens) < len(closed) else max(opens),
        category_ids=sorted(c["category_id"] for c in closed),
    )


@dataclass(frozen=True)
class _OrderingChanged:
    """The on-commit announcement of one restaurant's `ordering` (one per transaction)."""

    restaurant_id: int

    def __call__(self) -> None:
        restaurant_id = self.restaurant_id
        version = Restaurant.objects.values_list("menu_version", flat=True).get(pk=restaurant_id)
        event = {"type": "ordering", **ordering_state(rules(restaurant_id, version))}
        send_now(groups.menu_group(restaurant_id), group_message("menu.event", event))


def ordering_announce(*, restaurant_id: int) -> None:
    """Inside the transaction that changed the rules: once it commits, every open menu of the
    restaurant (phones, kitchen and floor screens) hears `ordering` with the new state, once
    however many rows changed."""
    on_commit_once(_OrderingChanged(restaurant_id))
