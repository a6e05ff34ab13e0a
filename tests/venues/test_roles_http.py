"""The permission table over HTTP: every role × every staff HTTP action, allowed or 403, as
`restaurant/venues/roles.py` declares it, in both URL forms; and every staff URL is gated with
the action it does."""

import pytest
from django.test import Client
from django.urls import URLPattern, resolve

from config.urls import restaurant_patterns
from restaurant.billing.models import BusinessDay, Discount, Payment
from restaurant.billing.services import payment_record
from restaurant.dining.models import DiningSession
from restaurant.dining.services import session_open
from restaurant.kitchen.models import Order
from restaurant.printing.models import PrintJob
from restaurant.venues.models import StaffMember, Station
from restaurant.venues.roles import PERMISSIONS, Action, role_may
from tests.dining.helpers import apply, arrive
from tests.factories import make_menu
from tests.support.people import staff_user

pytestmark = pytest.mark.django_db

ROLES = StaffMember.Role.values

# Every staff HTTP action: (method, path, action). Paths under the root or /r/<slug>/;
# {order}: a round held for staff.
HTTP_ACTIONS = [
    ("get", "staff/", Action.FLOOR_VIEW),
    ("get", "staff/api/floor/", Action.FLOOR_VIEW),
    ("post", "staff/tables/2/open/", Action.TABLE_OPEN),
    ("post", "staff/tables/1/close/", Action.TABLE_CLOSE),
    ("get", "staff/tables/1/bill/", Action.TABLE_BILL),
    ("post", "staff/tables/2/rotate/", Action.TABLE_ROTATE),
    ("get", "staff/tables/1/qr.svg", Action.TABLE_QR),
    ("get", "staff/qr-sheet/", Action.TABLE_QR),
    ("post", "staff/orders/{order}/accept/", Action.ORDER_ACCEPT),
    ("get", "staff/tables/1/check/", Action.TABLE_BILL),
    ("get", "staff/api/tables/1/check/", Action.TABLE_BILL),
    ("post", "staff/tables/1/check/discounts/", Action.CHECK_DISCOUNT),
    ("post", "staff/discounts/1/remove/", Action.CHECK_DISCOUNT),
    ("post", "staff/tables/1/check/owners/", Action.CHECK_SPLIT),
    ("post", "staff/tables/1/check/payments/", Action.PAYMENT_RECORD),
    ("post", "staff/payments/{payment}/refund/", Action.PAYMENT_REFUND),
    ("post", "staff/tables/1/check/print/", Action.RECEIPT_PRINT),
    ("get", "staff/report/", Action.REPORT_VIEW),
    ("get", "staff/report/2026-11-30.csv", Action.REPORT_VIEW),
    ("get", "staff/report/2026-11-30.xlsx", Action.REPORT_VIEW),
    ("post", "staff/report/2026-11-30/close/", Action.DAY_CLOSE),
    ("get", "kitchen/", Action.KITCHEN_VIEW),
    ("get", "kitchen/api/recent/", Action.KITCHEN_VIEW),
    ("get", "kitchen/station/hot/", Action.KITCHEN_VIEW),
    ("get", "staff/tables/1/order/", Action.ORDER_FOR_TABLE),
    ("get", "staff/adjustments/", Action.TABLE_BILL),
]


def test_every_staff_url_is_gated_with_the_action_listed_here():
    """A staff URL added without `staff_view`, or gated with another action than this table
    says, fails here (and so cannot escape the role × action tests below)."""
    listed = {
        path.replace("{order}", "1").replace("{payment}", "1"): action
        for _, path, action in HTTP_ACTIONS
    }
    for pattern in restaurant_patterns:
        assert isinstance(pattern, URLPattern)
        if pattern.name == "menu-api":
            continue  # public: the table page reads it
        gated = getattr(pattern.callback, "staff_action", None)
        assert gated is not None, f"{pattern.name} has no staff_view"
        path = next(p for p in listed if resolve("/" + p).url_name == pattern.name)
        assert gated == listed[path], pattern.name
    assert set(listed.values()) <= set(PERMISSIONS)


@pytest.fixture
def place():
    menu = make_menu("a", "甲店")
    Station.objects.create(restaurant=menu.restaurant, code="hot", name="热菜")
    diner = arrive(menu.table)  # a diner's scan opens table 1: its first round is held
    apply(diner, {"type": "cart.add", "id": "x", "dish_id": menu.rice.pk})
    session = DiningSession.objects.get(table=menu.table)
    apply(diner, {"type": "order.submit", "id": "s", "seq": session.seq})
    menu.order = Order.objects.get()  # held for staff: the first round of a scan-opened meal
    # Table 2's meal, paid at the till: a payment to refund. (Table 1's held round is not on
    # its check yet: its close goes through, cancelling the round; money owed would be
    # refused and sent to the till: tests/billing/.)
    session_open(table=menu.other_table, by_staff=True)
    guest = arrive(menu.other_table)
    apply(guest, {"type": "cart.add", "id": "y", "dish_id": menu.rice.pk})
    other = DiningSession.objects.get(table=menu.other_table)
    apply(guest, {"type": "order.submit", "id": "s2", "seq": other.seq})
    menu.payment = payment_record(
        restaurant=menu.restaurant, session_id=other.pk, method="cash", amount=300,
        target="check", expect=300, op_id="pay", by=None,
    )  # fmt: skip
    return menu


def changed(place) -> tuple:
    return (
        list(DiningSession.objects.order_by("pk").values_list("pk", "status")),
        list(Order.objects.values_list("pk", "status")),
        list(place.restaurant.tables.order_by("number").values_list("token", flat=True)),
        list(Payment.objects.values_list("pk", "amount")),
        list(Discount.objects.values_list("pk", "removed_at")),
        list(BusinessDay.objects.values_list("pk")),
        list(PrintJob.objects.values_list("pk")),
    )


@pytest.mark.parametrize(("method", "path", "action"), HTTP_ACTIONS)
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("prefix", ["/", "/r/a/"])
def test_role_by_action(place, role, method, path, action, prefix):
    client = Client()
    client.force_login(staff_user(place.restaurant, role))
    before = changed(place)
    url = prefix + path.format(order=place.order.pk, payment=place.payment.pk)
    response = getattr(client, method)(url)
    if role_may(role, action, place.restaurant):
        # Through the gate: the view's own answer (an empty form is a 400 there), never a
        # refusal or a sign-in.
        assert response.status_code not in (401, 403), (role, url, response.status_code)
        if response.status_code == 302:
            assert "/login/" not in response["Location"], (role, url, response["Location"])
    else:
        assert response.status_code == 403, (role, url, response.status_code)
        assert changed(place) == before


@pytest.mark.parametrize(
    ("role", "method", "url"),
    [
        ("kitchen", "get", "/staff/"),  # a cook has the kitchen display, not the floor
        ("kitchen", "get", "/r/a/staff/api/floor/"),
        ("kitchen", "post", "/staff/tables/1/close/"),
        ("waiter", "post", "/staff/tables/1/rotate/"),  # only a manager reprints every QR code
        ("cashier", "post", "/r/a/staff/tables/1/rotate/"),
        ("waiter", "get", "/staff/qr-sheet/"),
        ("cashier", "get", "/kitchen/"),  # the till is not the pass
        ("cashier", "get", "/r/a/kitchen/api/recent/"),
    ],
)
def test_literal_refusals(place, role, method, url):
    client = Client()
    client.force_login(staff_user(place.restaurant, role))
    assert getattr(client, method)(url).status_code == 403


def test_a_cook_sees_the_kitchen_and_a_waiter_both(place):
    cook, waiter = Client(), Client()
    cook.force_login(staff_user(place.restaurant, "kitchen"))
    waiter.force_login(staff_user(place.restaurant, "waiter"))
    assert cook.get("/kitchen/").status_code == 200
    assert waiter.get("/kitchen/").status_code == 200
    assert waiter.get("/staff/").status_code == 200


def test_pages_offer_only_what_the_role_may(place):
    """A waiter's floor has no "new QR code" or QR sheet; a cook's kitchen no floor link."""
    session_open(table=place.other_table, by_staff=True)
    waiter = Client()
    waiter.force_login(staff_user(place.restaurant, "waiter"))
    floor = waiter.get("/staff/").content.decode()
    assert "/rotate/" not in floor and "/qr-sheet/" not in floor and "/qr.svg" not in floor
    assert '"table_rotate": false' in floor
    cook = Client()
    cook.force_login(staff_user(place.restaurant, "kitchen"))
    kitchen = cook.get("/kitchen/").content.decode()
    assert 'href="/r/a/staff/"' not in kitchen
    manager = Client()
    manager.force_login(staff_user(place.restaurant, "manager"))
    floor = manager.get("/staff/").content.decode()
    assert "/r/a/staff/tables/1/rotate/" in floor and "/r/a/staff/qr-sheet/" in floor
