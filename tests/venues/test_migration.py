"""The move to many restaurants, from the schema before it with data in it: everything lands in
the first restaurant with no manual step, and every staff user keeps their access."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [
    ("menu", "0004_dish_photo"),
    ("tables", "0001_initial"),
    ("dining", "0004_session_opened_by_staff_last_active"),
    ("kitchen", "0005_order_cancel_reason"),
    ("venues", None),
]
AFTER = [
    ("menu", "0006_menu_per_restaurant"),
    ("tables", "0002_tables_per_restaurant"),
    ("dining", "0005_session_restaurant"),
    ("kitchen", "0006_order_call_restaurant"),
    ("venues", "0003_existing_staff_are_managers"),
]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state([t for t in targets if t[1] is not None]).apps


@pytest.fixture
def old_schema(transactional_db):
    apps = migrate(BEFORE)
    yield apps
    migrate(executor_leaf_nodes())


def executor_leaf_nodes():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


def test_one_restaurant_with_data_migrates_into_the_first(old_schema):
    apps = old_schema
    Restaurant = apps.get_model("menu", "Restaurant")
    Category = apps.get_model("menu", "Category")
    Dish = apps.get_model("menu", "Dish")
    Table = apps.get_model("tables", "Table")
    DiningSession = apps.get_model("dining", "DiningSession")
    Diner = apps.get_model("dining", "Diner")
    Order = apps.get_model("kitchen", "Order")
    WaiterCall = apps.get_model("kitchen", "WaiterCall")
    User = apps.get_model("auth", "User")

    restaurant = Restaurant.objects.create(name="老店", currency="JPY", calls_on_kitchen=True)
    hot = Category.objects.create(name="热菜")
    dish = Dish.objects.create(category=hot, name="宫保鸡丁", price=3800)
    tables = [Table.objects.create(number=n, token=f"token-{n}") for n in (1, 2)]
    meal = DiningSession.objects.create(table=tables[0])
    diner = Diner.objects.create(session=meal, name="小王", color="#123456")
    order = Order.objects.create(session=meal, round=1, submitted_by=diner, total=3800)
    call = WaiterCall.objects.create(table=tables[0], session=meal, diner=diner, reason="water")
    User.objects.create(username="cook", is_staff=True)
    User.objects.create(username="root", is_staff=True, is_superuser=True)
    User.objects.create(username="diner-ish")

    apps = migrate(AFTER)

    Restaurant = apps.get_model("venues", "Restaurant")
    moved = Restaurant.objects.get()
    assert (moved.pk, moved.name, moved.currency, moved.slug) == (
        restaurant.pk,
        "老店",
        "JPY",
        "main",
    )
    assert moved.calls_on_kitchen
    for label, model, pk in [
        ("menu", "Category", hot.pk),
        ("menu", "Dish", dish.pk),
        ("tables", "Table", tables[1].pk),
        ("dining", "DiningSession", meal.pk),
        ("kitchen", "Order", order.pk),
        ("kitchen", "WaiterCall", call.pk),
    ]:
        row = apps.get_model(label, model).objects.get(pk=pk)
        assert row.restaurant_id == moved.pk, f"{model} {pk} was not moved into the restaurant"
    # Printed QR codes keep working: the tokens did not change.
    Table = apps.get_model("tables", "Table")
    assert sorted(Table.objects.values_list("token", flat=True)) == ["token-1", "token-2"]
    # The staff user keeps the staff side, as a manager; the superuser needs no row.
    StaffMember = apps.get_model("venues", "StaffMember")
    assert list(StaffMember.objects.values_list("user__username", "restaurant_id", "role")) == [
        ("cook", moved.pk, "manager")
    ]


def test_data_without_a_restaurant_row_gets_one(old_schema):
    apps = old_schema
    Category = apps.get_model("menu", "Category")
    Table = apps.get_model("tables", "Table")
    Category.objects.create(name="主食")
    Table.objects.create(number=7, token="token-7")

    apps = migrate(AFTER)

    restaurant = apps.get_model("venues", "Restaurant").objects.get()
    assert restaurant.slug == "main"
    assert apps.get_model("menu", "Category").objects.get().restaurant_id == restaurant.pk
    assert apps.get_model("tables", "Table").objects.get().restaurant_id == restaurant.pk


def test_an_empty_database_gets_no_restaurant(old_schema):
    apps = migrate(AFTER)
    assert not apps.get_model("venues", "Restaurant").objects.exists()
