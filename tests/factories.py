"""Small, explicit test data: one restaurant, a few dishes that cover every rule, two tables."""

from types import SimpleNamespace

from restaurant.menu.models import Category, Dish, Option, OptionGroup
from restaurant.tables.models import Table
from restaurant.venues.models import Restaurant


def make_menu(slug: str = "main", name: str = "测试小馆") -> SimpleNamespace:
    """A restaurant (``slug``, made if missing) with its menu and tables 1 and 2."""
    restaurant, _ = Restaurant.objects.get_or_create(slug=slug, defaults={"name": name})
    mains = Category.objects.create(
        restaurant=restaurant, name="热菜", name_en="Hot dishes", sort_order=1
    )
    staples = Category.objects.create(
        restaurant=restaurant, name="主食", name_en="Staples", sort_order=2
    )
    rice = Dish.objects.create(category=staples, name="米饭", name_en="Rice", price=300)
    chicken = Dish.objects.create(category=mains, name="宫保鸡丁", name_en="Kung Pao Chicken",
                                  price=3800)  # fmt: skip
    # Option groups are the restaurant's, offered on the dishes they are attached to.
    spice = OptionGroup.objects.create(
        restaurant=restaurant, name="辣度", min_choices=1, max_choices=1
    )
    mild = Option.objects.create(group=spice, name="微辣", price=0)
    hot = Option.objects.create(group=spice, name="特辣", price=0)
    extras = OptionGroup.objects.create(
        restaurant=restaurant, name="加料", min_choices=0, max_choices=2
    )
    peanuts = Option.objects.create(group=extras, name="加花生", price=200)
    meat = Option.objects.create(group=extras, name="加鸡肉", price=800)
    chicken.option_groups.add(spice, extras)
    pork = Dish.objects.create(category=mains, name="东坡肉", price=6800, sold_out=True)
    return SimpleNamespace(
        restaurant=restaurant,
        rice=rice,
        chicken=chicken,
        spice=spice,
        mild=mild,
        hot=hot,
        extras=extras,
        peanuts=peanuts,
        meat=meat,
        pork=pork,
        table=Table.objects.create(restaurant=restaurant, number=1, label="1号桌"),
        other_table=Table.objects.create(restaurant=restaurant, number=2, label="2号桌"),
    )
