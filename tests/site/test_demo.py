from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command

from restaurant.menu.models import Category, Dish, Option, OptionGroup, Restaurant
from restaurant.site.demo import demo_load
from restaurant.tables.models import Table

STATIC_ROOT = settings.BASE_DIR / "restaurant" / "static"


def counts() -> tuple[int, ...]:
    return tuple(
        model.objects.count() for model in (Restaurant, Category, Dish, OptionGroup, Option, Table)
    )


@pytest.mark.django_db
def test_demo_menu():
    assert demo_load() is True

    restaurant = Restaurant.current()
    assert (restaurant.name, restaurant.name_en, restaurant.currency) == (
        "蜀香小馆",
        "Shu Xiang Bistro",
        "CNY",
    )
    assert Category.objects.count() >= 6
    assert all(c.name and c.name_en for c in Category.objects.all())

    dishes = list(Dish.objects.all())
    assert len(dishes) >= 30
    for dish in dishes:
        assert dish.price > 0, dish
        assert dish.name and dish.name_en, dish
        assert dish.description and dish.description_en, dish
    assert Dish.objects.filter(sold_out=True).exists()
    assert Dish.objects.filter(sold_out=False).count() >= 30


@pytest.mark.django_db
def test_demo_option_groups():
    demo_load()
    groups = list(OptionGroup.objects.prefetch_related("options"))
    assert groups
    assert any(g.min_choices >= 1 for g in groups)
    for group in groups:
        assert group.min_choices <= group.max_choices, group
        assert group.max_choices >= 1, group
        options = list(group.options.all())
        assert len(options) >= max(group.min_choices, 1), group
        assert all(o.name and o.name_en for o in options), group
    spice = OptionGroup.objects.filter(name_en="Spice level")
    assert spice.values("dish").distinct().count() >= 5
    assert all(g.min_choices == g.max_choices == 1 for g in spice)
    assert Option.objects.filter(price__gt=0).exists()


@pytest.mark.django_db
def test_demo_tables():
    demo_load()
    tables = list(Table.objects.all())
    assert [t.number for t in tables] == list(range(1, 13))
    assert all(t.label for t in tables)
    tokens = {t.token for t in tables}
    assert len(tokens) == 12
    assert all(len(token) >= 22 for token in tokens)


@pytest.mark.django_db
def test_demo_loads_once():
    assert demo_load() is True
    loaded = counts()
    assert demo_load() is False
    assert counts() == loaded


@pytest.mark.django_db
def test_demo_leaves_an_existing_menu_alone():
    category = Category.objects.create(name="菜", name_en="Dishes")
    Dish.objects.create(category=category, name="面", price=1000)
    before = counts()
    assert demo_load() is False
    assert counts() == before


@pytest.mark.django_db
def test_demo_images_exist():
    demo_load()
    for image in Dish.objects.values_list("image", flat=True):
        assert image.startswith("dishes/") and image.endswith(".svg"), image
        path = STATIC_ROOT / image
        assert path.is_file(), image
        assert path.stat().st_size < 2048, image


@pytest.mark.django_db
def test_demo_load_command():
    out = StringIO()
    call_command("demo_load", stdout=out)
    assert out.getvalue().startswith("Demo restaurant loaded: ")
    assert "12 tables." in out.getvalue()
    out = StringIO()
    call_command("demo_load", stdout=out)
    assert out.getvalue().strip() == "Demo data already present; left as is."
