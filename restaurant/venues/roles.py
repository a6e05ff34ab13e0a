"""What each role may do: the one table, asked through `may` by views, sockets and the admin.

Roles are per restaurant (`StaffMember.role`). A superuser may do everything everywhere; a
person with no row at a restaurant may do nothing there. The admin asks the same table through
Django's permission API (`RoleBackend`, with the restaurant as the permission's object).
"""

from collections.abc import Callable
from enum import StrEnum

from django.contrib.auth.backends import BaseBackend

from restaurant.venues.models import Restaurant, StaffMember

Role = StaffMember.Role
MANAGER, CASHIER, WAITER, KITCHEN = Role.MANAGER, Role.CASHIER, Role.WAITER, Role.KITCHEN


class Action(StrEnum):
    """Every staff action, by what it does (not by the page it is on)."""

    KITCHEN_VIEW = "kitchen.view"  # the kitchen display, its socket, the served-today list
    ORDER_ADVANCE = "order.advance"  # accepted → preparing → ready
    ORDER_SERVE = "order.serve"  # ready → served
    ORDER_ACCEPT = "order.accept"  # let a held first round through to the kitchen
    ORDER_RECALL = "order.recall"  # take back the last move of an order
    ORDER_CANCEL = "order.cancel"
    DISH_SOLD_OUT = "dish.sold_out"  # mark a dish sold out or back
    ITEM_VOID = "item.void"  # take a sent dish back (退菜), with a reason
    TICKET_REPRINT = "ticket.reprint"  # print a station's ticket again, or settle a doubtful one
    ITEM_COMP = "item.comp"  # give a sent dish free (赠菜), saying why
    ADJUST_APPROVE = "adjust.approve"  # approve or refuse a waiter's void or comp
    ORDER_FOR_TABLE = "order.for_table"  # order for a table on its shared cart (代客下单)
    TABLE_MOVE = "table.move"  # move a meal to another table, join two, split a join back
    MEAL_EDIT = "meal.edit"  # a meal's guest count and its note to the kitchen
    ORDERING_PAUSE = "ordering.pause"  # pause ordering (the whole menu or a category)
    CHECK_SPLIT = "check.split"  # at the till: who pays for a dish, a dish shared
    CHECK_DISCOUNT = "check.discount"  # a discount on a dish or the check, with a reason
    PAYMENT_RECORD = "payment.record"  # record money taken (cash, card, WeChat Pay, ...)
    PAYMENT_REFUND = "payment.refund"  # give money back, with a reason
    CLOSE_UNPAID = "check.close_unpaid"  # close a table with money still owed, saying why
    RECEIPT_PRINT = "receipt.print"  # print a check or a receipt on the cashier's printer
    REPORT_VIEW = "report.view"  # the night's report (日结) and its exports
    DAY_CLOSE = "day.close"  # close a business day: nothing of it can change after
    FLOOR_VIEW = "floor.view"  # the floor page, its API and socket
    TABLE_OPEN = "table.open"
    TABLE_CLOSE = "table.close"
    TABLE_BILL = "table.bill"  # read a table's bill
    CALL_HANDLE = "call.handle"  # mark a waiter call seen or done
    TABLE_ROTATE = "table.rotate"  # new QR token: every printed code of the table stops working
    TABLE_QR = "table.qr"  # QR codes and the printable sheet
    MENU_EDIT = "menu.edit"  # the admin's menu pages
    STAFF_MANAGE = "staff.manage"  # the admin's staff pages, device pairing links
    RESTAURANT_SETTINGS = "restaurant.settings"


# The table. Read a row as "who may": every action a manager may; the rest as listed.
PERMISSIONS: dict[Action, frozenset[str]] = {
    Action.KITCHEN_VIEW: frozenset({MANAGER, WAITER, KITCHEN}),
    Action.ORDER_ADVANCE: frozenset({MANAGER, KITCHEN}),
    Action.ORDER_SERVE: frozenset({MANAGER, WAITER, KITCHEN}),
    Action.ORDER_ACCEPT: frozenset({MANAGER, CASHIER, WAITER, KITCHEN}),
    Action.ORDER_RECALL: frozenset({MANAGER, KITCHEN}),
    Action.ORDER_CANCEL: frozenset({MANAGER, KITCHEN}),
    Action.DISH_SOLD_OUT: frozenset({MANAGER, WAITER, KITCHEN}),
    Action.ITEM_VOID: frozenset({MANAGER, WAITER, KITCHEN}),
    Action.TICKET_REPRINT: frozenset({MANAGER, WAITER, KITCHEN}),
    Action.ITEM_COMP: frozenset({MANAGER, WAITER}),
    Action.ADJUST_APPROVE: frozenset({MANAGER}),
    Action.ORDER_FOR_TABLE: frozenset({MANAGER, CASHIER, WAITER}),
    Action.TABLE_MOVE: frozenset({MANAGER, CASHIER, WAITER}),
    Action.MEAL_EDIT: frozenset({MANAGER, CASHIER, WAITER}),
    Action.ORDERING_PAUSE: frozenset({MANAGER, KITCHEN}),
    Action.CHECK_SPLIT: frozenset({MANAGER, CASHIER, WAITER}),
    Action.CHECK_DISCOUNT: frozenset({MANAGER, CASHIER}),
    Action.PAYMENT_RECORD: frozenset({MANAGER, CASHIER}),
    Action.PAYMENT_REFUND: frozenset({MANAGER}),
    Action.CLOSE_UNPAID: frozenset({MANAGER}),
    Action.RECEIPT_PRINT: frozenset({MANAGER, CASHIER, WAITER}),
    Action.REPORT_VIEW: frozenset({MANAGER, CASHIER}),
    Action.DAY_CLOSE: frozenset({MANAGER}),
    Action.FLOOR_VIEW: frozenset({MANAGER, CASHIER, WAITER}),
    Action.TABLE_OPEN: frozenset({MANAGER, CASHIER, WAITER}),
    Action.TABLE_CLOSE: frozenset({MANAGER, CASHIER, WAITER}),
    Action.TABLE_BILL: frozenset({MANAGER, CASHIER, WAITER}),
    Action.CALL_HANDLE: frozenset({MANAGER, CASHIER, WAITER}),
    Action.TABLE_ROTATE: frozenset({MANAGER}),
    Action.TABLE_QR: frozenset({MANAGER}),
    Action.MENU_EDIT: frozenset({MANAGER}),
    Action.STAFF_MANAGE: frozenset({MANAGER}),
    Action.RESTAURANT_SETTINGS: frozenset({MANAGER}),
}

# Grants that hang on a restaurant's setting: the kitchen answers waiter calls only where the
# calls show on the kitchen display.
CONDITIONAL: dict[tuple[Action, str], Callable[[Restaurant], bool]] = {
    (Action.CALL_HANDLE, KITCHEN): lambda restaurant: restaurant.calls_on_kitchen,
}


def role_may(role: str | None, action: Action | str, restaurant: Restaurant) -> bool:
    """Whether ``role`` (a `StaffMember.Role` value, None for no role) may do ``action`` at
    ``restaurant``. ``action`` not in the table: ValueError (a typo must not read as "no")."""
    action = Action(action)
    if role is None:
        return False
    if role in PERMISSIONS[action]:
        return True
    condition = CONDITIONAL.get((action, role))
    return bool(condition and condition(restaurant))


def role_at(user, restaurant: Restaurant | int) -> str | None:
    """The user's role at the restaurant (a superuser is a manager everywhere), or None."""
    if not (user and user.is_authenticated and user.is_active):
        return None
    if user.is_superuser:
        return MANAGER
    restaurant_id = restaurant if isinstance(restaurant, int) else restaurant.pk
    cache = user.__dict__.setdefault("_roles_by_restaurant", {})
    if restaurant_id not in cache:
        cache[restaurant_id] = (
            StaffMember.objects.filter(user_id=user.pk, restaurant_id=restaurant_id)
            .values_list("role", flat=True)
            .first()
        )
    return cache[restaurant_id]


def may(user, restaurant: Restaurant, action: Action | str) -> bool:
    """The one question every entry point asks: may ``user`` do ``action`` at ``restaurant``?"""
    return role_may(role_at(user, restaurant), action, restaurant)


def managed_restaurant_ids(user) -> set[int] | None:
    """The restaurants whose admin the user may use: None means all (a superuser)."""
    if not (user and user.is_authenticated and user.is_active):
        return set()
    if user.is_superuser:
        return None
    return set(
        StaffMember.objects.filter(user_id=user.pk, role=MANAGER).values_list(
            "restaurant_id", flat=True
        )
    )


# The admin: which Django model permissions a manager holds at their restaurants. Everything a
# restaurant owns; not the restaurants themselves (only a superuser adds or deletes one).
MANAGER_MODEL_PERMS = {
    "menu": {"add", "change", "delete", "view"},
    "tables": {"add", "change", "delete", "view"},
    "venues.staffmember": {"add", "change", "delete", "view"},
    "venues.station": {"add", "change", "delete", "view"},
    "kitchen.adjustreason": {"add", "change", "delete", "view"},
    "printing.printer": {"add", "change", "delete", "view"},
    "printing": {"view"},
    "venues.restaurant": {"change", "view"},
    "dining": {"view"},
    "kitchen": {"view"},
    "billing": {"view"},  # the till's record: read-only in the admin (the till writes it)
}


def _manager_model_perm(perm: str) -> bool:
    app_label, _, codename = perm.partition(".")
    verb, _, model = codename.partition("_")
    granted = MANAGER_MODEL_PERMS.get(f"{app_label}.{model}") or MANAGER_MODEL_PERMS.get(
        app_label, set()
    )
    return verb in granted


class RoleBackend(BaseBackend):
    """Django's permission API on the role table, for the admin. ``obj`` may be a restaurant
    or anything carrying ``restaurant_id``: then the role there decides; without one, a
    manager of any restaurant holds the model permission (the admin then shows only their
    restaurants' rows, restaurant/venues/admin_scope.py)."""

    def has_perm(self, user_obj, perm, obj=None) -> bool:
        if not (user_obj.is_active and user_obj.is_authenticated) or user_obj.is_superuser:
            return False  # a superuser is answered by ModelBackend
        if not _manager_model_perm(perm):
            return False
        if obj is None:
            return bool(managed_restaurant_ids(user_obj))
        if isinstance(obj, Restaurant):
            restaurant_id = obj.pk
        else:
            restaurant_id = getattr(obj, "restaurant_id", None)
        return restaurant_id is not None and role_at(user_obj, restaurant_id) == MANAGER

    def has_module_perms(self, user_obj, app_label) -> bool:
        if not (user_obj.is_active and user_obj.is_authenticated) or user_obj.is_superuser:
            return False
        if not any(key.split(".")[0] == app_label for key in MANAGER_MODEL_PERMS):
            return False
        return bool(managed_restaurant_ids(user_obj))
