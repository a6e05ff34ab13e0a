"""A meal's guest count (人数) and its note for the whole order (整单备注): the table and the
kitchen see both. Diners set them from their phones, staff from the floor or the waiter's
page (restaurant/kitchen/meal_ops.py)."""

from restaurant.dining.models import DiningSession
from restaurant.dining.names import refuse_invisible
from restaurant.dining.services import session_change
from restaurant.realtime import groups
from restaurant.realtime.broadcast import broadcast_on_commit, group_message
from restaurant.realtime.errors import OpError
from restaurant.tables.services import floor_changed

MAX_GUESTS = 99
MAX_NOTE = 140


def meal_payload(session: DiningSession) -> dict:
    """``{guests: int | null, note: str}``: null until someone says how many sit."""
    return {"guests": session.guests, "note": session.note}


def meal_set(
    *, session: DiningSession, guests: int | None = None, note: str | None = None
) -> int | None:
    """Set the meal's guest count (1..99) and/or note (≤ 140 chars, trimmed; "" clears it);
    None leaves a field as it is. The caller holds the session lock (`session_lock`). Returns
    the new `seq`, or None when nothing changed. The table hears `meal {seq, guests, note}`,
    the restaurant's kitchen and floor `meal.changed {session_id, table, guests, note}`.
    Raises OpError `bad_request` for a count out of range or an invisible-character note."""
    if session.status != DiningSession.Status.OPEN:
        raise OpError("closed", "this table's meal is closed")
    fields = []
    if guests is not None:
        if not 1 <= guests <= MAX_GUESTS:
            raise OpError("bad_request", f"guests: 1 to {MAX_GUESTS}")
        if guests != session.guests:
            session.guests = guests
            fields.append("guests")
    if note is not None:
        note = note.strip()
        if len(note) > MAX_NOTE:
            raise OpError("bad_request", f"a note of at most {MAX_NOTE} characters")
        refuse_invisible(note, "note")
        if note != session.note:
            session.note = note
            fields.append("note")
    if not fields:
        return None
    DiningSession.objects.filter(pk=session.pk).update(
        **{field: getattr(session, field) for field in fields}
    )
    table = session.table
    staff_event = {
        "type": "meal.changed",
        "session_id": session.pk,
        "table": {"number": table.number, "label": table.label},
        **meal_payload(session),
    }
    # The kitchen's and the floor's sockets all hear the kitchen group.
    kitchen = groups.kitchen_group(session.restaurant_id)
    broadcast_on_commit(kitchen, group_message("kitchen.event", staff_event))
    floor_changed(table_id=table.pk, restaurant_id=session.restaurant_id)
    return session_change(session, {"type": "meal", **meal_payload(session)})
