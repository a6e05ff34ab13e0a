"""Errors a diner's page puts in its own words: each refusal keeps its contract `code` and
adds a stable `detail` with the fields the page needs (a dish, a group's names and rule); its
`message` names no internal id. And a removed line can be put back in its diner's name."""

import re

import pytest

from restaurant.dining.models import CartLine
from restaurant.realtime.errors import OpError
from tests.dining.helpers import apply, arrive
from tests.dining.test_services import refused

pytestmark = pytest.mark.django_db


# "group 34", "dish 7", "options [3, 4]", "line #9": how an id used to show in a message.
AN_ID = re.compile(r"\b(dish|group|line|option|diner|call|order)s?\W{0,3}\d", re.IGNORECASE)


def no_ids(error: OpError, *ids: int) -> None:
    assert not AN_ID.search(error.message), error.message
    for i in ids:
        if i > 9:  # small ids in a test database are digits of the rules' numbers too
            assert str(i) not in error.message, error.message


def test_a_broken_option_rule_says_which_dish_and_group(menu):
    diner = arrive(menu.table)
    add = {"type": "cart.add", "id": "a", "dish_id": menu.chicken.pk}
    error = refused(diner, add, "bad_request")
    assert error.extra == {
        "detail": "options", "dish_id": menu.chicken.pk, "group_id": menu.spice.pk,
        "group": "辣度", "group_en": "", "min": 1, "max": 1,
    }  # fmt: skip
    no_ids(error, menu.chicken.pk, menu.spice.pk)
    too_many = {"type": "cart.add", "id": "b", "dish_id": menu.chicken.pk,
                "options": [menu.mild.pk, menu.hot.pk]}  # fmt: skip
    assert refused(diner, too_many, "bad_request").extra["group_id"] == menu.spice.pk
    foreign = {"type": "cart.add", "id": "c", "dish_id": menu.rice.pk, "options": [menu.mild.pk]}
    error = refused(diner, foreign, "bad_request")
    assert error.extra == {"detail": "options", "dish_id": menu.rice.pk}
    no_ids(error, menu.mild.pk, menu.rice.pk)
    twice = {"type": "cart.add", "id": "d", "dish_id": menu.chicken.pk,
             "options": [menu.mild.pk, menu.mild.pk]}  # fmt: skip
    assert refused(diner, twice, "bad_request").extra["detail"] == "options"


def test_other_refusals_carry_a_detail_and_no_ids(menu):
    diner = arrive(menu.table)
    error = refused(diner, {"type": "cart.add", "id": "a", "dish_id": 424242}, "not_found")
    assert error.extra == {"detail": "dish", "dish_id": 424242}
    no_ids(error, 424242)
    error = refused(diner, {"type": "cart.set_qty", "id": "b", "line_id": 515151, "qty": 2},
                    "not_found")  # fmt: skip
    assert error.extra["detail"] == "line"
    no_ids(error, 515151)
    apply(diner, {"type": "cart.add", "id": "c", "dish_id": menu.rice.pk, "qty": 99})
    error = refused(diner, {"type": "cart.add", "id": "d", "dish_id": menu.rice.pk}, "conflict")
    assert error.extra == {"detail": "qty_max", "max": 99}
    other = arrive(menu.table)
    error = refused(other, {"type": "diner.rename", "id": "e", "name": diner.name}, "conflict")
    assert error.extra == {"detail": "name_taken"}
    error = refused(other, {"type": "diner.rename", "id": "f", "name": "x" * 25}, "bad_request")
    assert error.extra == {"detail": "name"}
    error = refused(other, {"type": "waiter.call", "id": "g", "reason": "   "}, "bad_request")
    assert error.extra == {"detail": "reason"}
    error = refused(other, {"type": "order.submit", "id": "h", "seq": 10**6}, "bad_request")
    assert error.extra == {"detail": "seq"}
    # A sold-out dish keeps the contract's fields exactly.
    error = refused(other, {"type": "cart.add", "id": "i", "dish_id": menu.pork.pk}, "sold_out")
    assert error.extra == {"dish_ids": [menu.pork.pk]}


def test_a_removed_line_goes_back_in_its_diners_name(menu):
    alice, bob = arrive(menu.table), arrive(menu.table)
    apply(alice, {"type": "cart.add", "id": "a1", "dish_id": menu.chicken.pk,
                  "options": [menu.hot.pk], "note": "no peanuts"})  # fmt: skip
    line = CartLine.objects.get()
    apply(bob, {"type": "cart.remove", "id": "b1", "line_id": line.pk})
    apply(bob, {"type": "cart.add", "id": "b2", "dish_id": menu.chicken.pk, "qty": line.qty,
                "options": [menu.hot.pk], "note": "no peanuts", "added_by": alice.pk})  # fmt: skip
    back = CartLine.objects.get()
    assert back.added_by_id == alice.pk
    assert (back.options, back.note, back.qty) == ([menu.hot.pk], "no peanuts", 1)
    # Only for a diner of the same meal.
    stranger = arrive(menu.other_table)
    error = refused(bob, {"type": "cart.add", "id": "b3", "dish_id": menu.rice.pk,
                          "added_by": stranger.pk}, "not_found")  # fmt: skip
    assert error.extra == {"detail": "diner"}
