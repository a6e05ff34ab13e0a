"""The statements of a diner's op, written out in SQL.

Cart ops are the hot path: every diner at every table makes them, and each runs five
statements. Built through the ORM those cost about 2.4 ms of CPU per op here, most of it
compiling querysets into the same SQL again; written out they cost about 0.4 ms
(`python -m bench.opcost`, docs/performance.md). Everything else keeps the ORM.

The SQL is the same on PostgreSQL and SQLite except in two places: the row lock (SQLite takes
the database's write lock at BEGIN instead: `transaction_mode=IMMEDIATE` in the settings) and
how a JSON value is compared. Rows come back as model instances loaded with only the columns
read; touching another field loads it, and `save()` writes only what was loaded.
"""

import json

from django.db import connection
from django.utils import timezone

from restaurant.dining.models import CartLine, DiningSession
from restaurant.tables.models import Table

_SESSION_FIELDS = (
    "id", "table_id", "status", "seq", "cart_seq", "opened_by_staff", "guests", "note",
)  # fmt: skip
_LINE_FIELDS = (
    "id", "session_id", "dish_id", "qty", "options", "note", "added_by_id", "shared", "takeaway",
)  # fmt: skip


def _postgresql() -> bool:
    return connection.vendor == "postgresql"


def _json_equals(column: str) -> str:
    """`column` equals the JSON text given as the parameter (jsonb on PostgreSQL, text in
    SQLite, normalised by JSON() there)."""
    return f"{column} = %s::jsonb" if _postgresql() else f"JSON({column}) = JSON(%s)"


def _now():
    return connection.ops.adapt_datetimefield_value(timezone.now())


def _fetchone(sql: str, params: list):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def _execute(sql: str, params: list) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


# --- The session row --------------------------------------------------------------------------


def session_of_diner_locked(diner_id: int) -> DiningSession | None:
    """The diner's session, its row locked; with its table (number, label), the menu
    version (`menu_version`, for the menu catalog) and whether the restaurant holds a first
    round for staff (`hold_first_round`), the meal's guests and note, and when the
    restaurant's business day starts (`day_starts_at`: counted dishes), all in one statement."""
    # The diner's row is locked too (after the meal's: the order of the FROM list), so that a
    # diner moved to another meal while this waited for the meal's lock (a join, its split:
    # restaurant/floor/moves.py) drops out of the result instead of being read in the meal it
    # left; and a meal moved to another table drops out likewise. Either way: read again.
    lock = " FOR UPDATE OF s FOR NO KEY UPDATE OF d" if _postgresql() else ""
    for _ in range(3):
        row = _fetchone(
            "SELECT s.id, s.table_id, s.status, s.seq, s.cart_seq, s.opened_by_staff, s.guests,"
            " s.note, t.number, t.label, r.menu_version, r.hold_first_round, s.restaurant_id,"
            " r.day_starts_at"
            " FROM dining_diningsession s"
            " JOIN dining_diner d ON d.session_id = s.id"
            " JOIN tables_table t ON t.id = s.table_id"
            " JOIN venues_restaurant r ON r.id = s.restaurant_id"
            " WHERE d.id = %s" + lock,
            [diner_id],
        )
        if row is not None or not lock or not _diner_exists(diner_id):
            break
    if row is None:
        return None
    session = DiningSession.from_db(connection.alias, _SESSION_FIELDS, row[:8])
    session.opened_by_staff = bool(row[5])  # SQLite's is an integer
    session.table = Table.from_db(connection.alias, ("id", "number", "label"), (row[1], *row[8:10]))
    session.menu_version = row[10] or 0
    session.hold_first_round = bool(row[11])
    session.restaurant_id = row[12]
    session.table.restaurant_id = row[12]
    session.day_starts_at = row[13]
    return session


def _diner_exists(diner_id: int) -> bool:
    return _fetchone("SELECT 1 FROM dining_diner WHERE id = %s", [diner_id]) is not None


def session_seq_save(session: DiningSession, *, cart: bool) -> None:
    if cart:  # a cart change is a sign of life, too (`sessions_end_idle`)
        _execute(
            "UPDATE dining_diningsession SET seq = %s, cart_seq = %s, last_active_at = %s"
            " WHERE id = %s",
            [session.seq, session.cart_seq, _now(), session.pk],
        )
    else:
        _execute(
            "UPDATE dining_diningsession SET seq = %s WHERE id = %s", [session.seq, session.pk]
        )


# --- Cart lines -------------------------------------------------------------------------------


def _line(row) -> CartLine:
    values = list(row)
    if isinstance(values[4], str):  # SQLite, and PostgreSQL's jsonb as Django reads it
        values[4] = json.loads(values[4])
    values[7], values[8] = bool(values[7]), bool(values[8])  # SQLite's are integers
    return CartLine.from_db(connection.alias, _LINE_FIELDS, values)


_SELECT_LINE = "SELECT " + ", ".join(_LINE_FIELDS) + " FROM dining_cartline"


def line_matching(
    *, session_id: int, diner_id: int, dish_id: int, options: list[int], note: str,
    shared: bool, takeaway: bool,
) -> CartLine | None:  # fmt: skip
    """The diner's line of this dish with these options and this note, shared by the table or
    not as ``shared`` says, packed to take away or not as ``takeaway`` says, if there is one."""
    row = _fetchone(
        _SELECT_LINE + " WHERE session_id = %s AND added_by_id = %s AND dish_id = %s"
        f" AND {_json_equals('options')} AND note = %s AND shared = %s AND takeaway = %s"
        " ORDER BY id LIMIT 1",
        [session_id, diner_id, dish_id, json.dumps(options), note, shared, takeaway],
    )
    return None if row is None else _line(row)


def line_of_session(*, session_id: int, line_id: int) -> CartLine | None:
    row = _fetchone(_SELECT_LINE + " WHERE id = %s AND session_id = %s", [line_id, session_id])
    return None if row is None else _line(row)


def line_insert(
    *, session_id: int, diner_id: int, dish_id: int, options: list[int], note: str,
    shared: bool, takeaway: bool, qty: int,
) -> CartLine:  # fmt: skip
    options_json = json.dumps(options)
    value = "%s::jsonb" if _postgresql() else "%s"
    (line_id,) = _fetchone(
        "INSERT INTO dining_cartline"
        " (session_id, added_by_id, dish_id, options, note, shared, takeaway, qty, created_at)"
        f" VALUES (%s, %s, %s, {value}, %s, %s, %s, %s, %s) RETURNING id",
        [session_id, diner_id, dish_id, options_json, note, shared, takeaway, qty, _now()],
    )
    values = (line_id, session_id, dish_id, qty, options, note, diner_id, shared, takeaway)
    return CartLine.from_db(connection.alias, _LINE_FIELDS, values)


def line_qty_save(line: CartLine) -> None:
    _execute("UPDATE dining_cartline SET qty = %s WHERE id = %s", [line.qty, line.pk])


def line_delete(line: CartLine) -> None:
    _execute("DELETE FROM dining_cartline WHERE id = %s", [line.pk])


# --- The op record ----------------------------------------------------------------------------


def op_record(*, actor: str, op_id: str, op_type: str, session_id: int, seq: int) -> None:
    """Raises IntegrityError when the actor's op id is recorded already (a resend)."""
    _execute(
        "INSERT INTO dining_appliedop (actor, op_id, op_type, session_id, seq, applied_at)"
        " VALUES (%s, %s, %s, %s, %s, %s)",
        [actor, op_id, op_type, session_id, seq, _now()],
    )
