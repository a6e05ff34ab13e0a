"""Every menu change reaches every open phone: `menu.changed {version}` on the menu group once
the change commits (once per transaction, however many rows), from the admin or any service.
The sold-out switch stays `menu.dish` (with the version it brings pages to). A phone whose
menu is older than a new required option group gets an error it can put in its own words."""

import pytest
from channels.db import database_sync_to_async
from django.db import transaction

from restaurant.menu.models import Category, Dish, Option, OptionGroup
from restaurant.menu.services import dish_set_sold_out
from restaurant.venues.models import Restaurant
from tests.dining.sockets import DinerSocket
from tests.tables.test_staff import staff_client

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


def version() -> int:
    return Restaurant.objects.values_list("menu_version", flat=True).get()


async def changed(socket: DinerSocket) -> dict:
    event, _ = await socket.recv_until("menu.changed")
    assert set(event) == {"type", "version"}
    return event


async def test_a_dish_added_in_the_admin_reaches_open_phones(menu):
    phone = await DinerSocket.join(menu.table.token)
    other_table = await DinerSocket.join(menu.other_table.token)
    client = await database_sync_to_async(staff_client)()
    form = {
        "name": "青岛啤酒", "name_en": "Tsingtao Beer", "category": menu.rice.category_id,
        "description": "", "description_en": "", "price": 1200, "image": "", "sort_order": 0,
        "min_qty": 1,
    }  # fmt: skip
    response = await database_sync_to_async(client.post)("/admin/menu/dish/add/", form)
    assert response.status_code == 302, response.content[:2000]
    now = await database_sync_to_async(version)()
    for socket in (phone, other_table):
        assert (await changed(socket))["version"] == now
        assert await socket.silent()  # one event for the one change
    await phone.close()
    await other_table.close()


async def test_one_event_for_a_transaction_of_many_rows(menu):
    phone = await DinerSocket.join(menu.table.token)

    @database_sync_to_async
    def garlic_for_the_chicken():
        with transaction.atomic():
            group = OptionGroup.objects.create(
                restaurant=menu.restaurant,
                name="蒜量",
                name_en="Garlic",
                min_choices=1,
                max_choices=1,
            )
            group.dishes.add(menu.chicken)
            Option.objects.create(group=group, name="少蒜", name_en="A little")
            Option.objects.create(group=group, name="多蒜", name_en="Lots")
            Category.objects.filter(pk=menu.rice.category_id).update(name="饭")  # no signal
            menu.rice.category.save()
        return group

    group = await garlic_for_the_chicken()
    event = await changed(phone)
    assert event["version"] == await database_sync_to_async(version)()
    assert await phone.silent()

    # The phone still had the old menu: its add now misses the new required group. The error
    # says which dish and group in words the page can translate, and names no id in `message`.
    reply = await phone.op({"type": "cart.add", "dish_id": menu.chicken.pk,
                            "options": [menu.mild.pk]})  # fmt: skip
    assert reply["code"] == "bad_request"
    assert reply["detail"] == "options"
    assert reply["dish_id"] == menu.chicken.pk
    assert (reply["group_id"], reply["group"], reply["group_en"]) == (group.pk, "蒜量", "Garlic")
    assert (reply["min"], reply["max"]) == (1, 1)
    assert str(group.pk) not in reply["message"] and "group" not in reply["message"]
    await phone.close()


async def test_deleting_and_changing_options_reach_open_phones(menu):
    phone = await DinerSocket.join(menu.table.token)
    for change in (
        lambda: Option.objects.filter(pk=menu.meat.pk).first().delete(),
        lambda: OptionGroup.objects.filter(pk=menu.extras.pk).update(max_choices=1),  # no signal
        lambda: OptionGroup.objects.get(pk=menu.extras.pk).save(),
        lambda: Dish.objects.get(pk=menu.pork.pk).delete(),
    ):
        before = await database_sync_to_async(version)()
        await database_sync_to_async(change)()
        after = await database_sync_to_async(version)()
        if after == before:  # an update() that sent no signal: nothing to announce
            assert await phone.silent()
            continue
        assert (await changed(phone))["version"] == after
    await phone.close()


async def test_the_sold_out_switch_is_a_dish_event_not_a_whole_menu(menu):
    phone = await DinerSocket.join(menu.table.token)
    before = await database_sync_to_async(version)()
    await database_sync_to_async(dish_set_sold_out)(
        restaurant=menu.restaurant, dish_id=menu.rice.pk, sold_out=True
    )
    event, skipped = await phone.recv_until("menu.dish")
    assert event["version"] == before + 1
    assert not [m for m in skipped if m["type"] == "menu.changed"]
    assert await phone.silent()
    await phone.close()
