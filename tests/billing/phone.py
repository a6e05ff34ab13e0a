"""Diners with browsers (their cookies) at table 1, for the phone's check tests."""

import itertools

from django.test import Client

from restaurant.billing.selectors import check_of, share_due
from restaurant.billing.services import meal_close, payment_record
from restaurant.dining.models import Diner, DiningSession
from restaurant.dining.services import session_open
from tests.dining.helpers import apply
from tests.dining.sockets import join_table

_ids = itertools.count(1)


def sit(menu, name: str, table=None) -> tuple[Client, Diner]:
    """A browser joins the table (as the table page's script does) and takes ``name``."""
    table = table or menu.table
    session_open(table=table, by_staff=True)
    client = Client(enforce_csrf_checks=True)
    diner = Diner.objects.get(pk=join_table(client, table.token)["diner_id"])
    apply(diner, {"type": "diner.rename", "id": f"n{next(_ids)}", "name": name})
    return client, diner


def send(menu, diner: Diner, *dishes) -> None:
    """The diner adds ``dishes`` and sends them as a round."""
    for dish in dishes:
        options = [menu.mild.pk] if dish == menu.chicken else []
        apply(diner, {"type": "cart.add", "id": f"a{next(_ids)}", "dish_id": dish.pk,
                      "options": options})  # fmt: skip
    seq = DiningSession.objects.get(pk=diner.session_id).seq
    apply(diner, {"type": "order.submit", "id": f"s{next(_ids)}", "seq": seq})


def pay(menu, session_id: int, target: str, amount: int | None = None, method: str = "cash"):
    session = DiningSession.objects.get(pk=session_id)
    check, _, _, _, payments = check_of(session, menu.restaurant)
    due = share_due(check, payments, target)
    return payment_record(restaurant=menu.restaurant, session_id=session_id, method=method,
                          amount=amount or due, target=target, expect=due,
                          op_id=f"p{next(_ids)}", by=None)  # fmt: skip


def settle_and_close(menu, session_id: int, table=None):
    pay(menu, session_id, "check")
    return meal_close(restaurant=menu.restaurant, table=table or menu.table, by=None,
                      may_close_unpaid=False)  # fmt: skip
