"""A staff member at a table's meal (代客下单): the diner row a waiter orders through.

A waiter orders on the table's shared cart like a phone does, with the same ops, the same
idempotency and the same `seq`: so they need a diner of the meal. It is theirs alone (one per
person and meal, `Diner.staff`), takes no "Guest N" number and no seat of
MAX_DINERS_PER_MEAL (a full table still has its waiter), and is named after the person so that
the phones see who added a line."""

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from restaurant.dining.models import Diner, DiningSession
from restaurant.dining.names import MAX_LENGTH, name_key
from restaurant.dining.payloads import diner_payload
from restaurant.dining.services import open_session_for, session_change, session_lock, session_open
from restaurant.tables.models import Table
from restaurant.tables.services import floor_changed
from restaurant.venues.models import Restaurant

# One colour for staff on every phone: not one of the diners' palette (DINER_COLORS).
STAFF_COLOR = "#455a64"
# How a staff diner's name starts, in the restaurant's language (a name is one string that
# every phone shows; the phones also get `staff: true` to draw it as staff).
_PREFIX = {"zh": "服务员", "en": "Waiter"}
_ATTEMPTS = 3  # a meal closed between finding it and locking it: open the next one


def _prefix(table: Table) -> str:
    language = (
        Restaurant.objects.filter(pk=table.restaurant_id).values_list("language", flat=True).first()
        or settings.LANGUAGE_CODE
    )
    return _PREFIX["zh"] if language.startswith("zh") else _PREFIX["en"]


def _person(user) -> str:
    return " ".join((user.first_name or user.get_username()).split()) or str(user.pk)


def staff_name(*, prefix: str, person: str, taken: set[str]) -> str:
    """``prefix person`` within the name length, made unique among ``taken`` (name keys, see
    restaurant/dining/names.py) by a number: "服务员 Li", "服务员 Li 2"."""
    n = 1
    while True:
        suffix = f" {n}" if n > 1 else ""
        room = MAX_LENGTH - len(prefix) - 1 - len(suffix)
        name = f"{prefix} {person[:room].rstrip()}{suffix}"
        if name_key(name) not in taken:
            return name
        n += 1


def staff_diner_for(*, table: Table, user) -> Diner:
    """``user``'s diner at ``table``'s open meal, made on the first call (a `diner` event
    with `seq`, `staff: true`). Opens the meal when none is open, as staff opening the table
    does (its first round is not held). Safe against a race: made under the session lock,
    one per person and meal."""
    prefix = _prefix(table)
    for _ in range(_ATTEMPTS):
        session = open_session_for(table) or session_open(table=table, by_staff=True)
        diner = Diner.objects.filter(session=session, staff=user).first()
        if diner is not None:
            return diner
        with transaction.atomic():
            session = session_lock(session.pk)
            if session.status != DiningSession.Status.OPEN:
                continue  # closed while we looked: the next attempt opens a new meal
            diner = Diner.objects.filter(session=session, staff=user).first()
            if diner is not None:  # made while we waited for the lock
                return diner
            taken = {name_key(name) for name in session.diners.values_list("name", flat=True)}
            try:
                with transaction.atomic():
                    diner = Diner.objects.create(
                        session=session,
                        staff=user,
                        name=staff_name(prefix=prefix, person=_person(user), taken=taken),
                        color=STAFF_COLOR,
                    )
            except IntegrityError:  # cannot happen under the lock; the constraint decides
                return Diner.objects.get(session=session, staff=user)
            session.last_active_at = timezone.now()
            session.save(update_fields=["last_active_at"])
            session_change(session, {"type": "diner", "diner": diner_payload(diner, online=False)})
            floor_changed(table_id=table.pk, restaurant_id=session.restaurant_id)
            return diner
    raise DiningSession.DoesNotExist(f"table {table.pk}'s meal kept closing")
