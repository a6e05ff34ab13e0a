"""Every saved or deleted category, dish, option group or option bumps the menu version, in
the transaction that changes it: readers that see the change see the new version with it.
And every open menu hears of it once that transaction commits (`menu.changed`, once however
many rows it changed): phones fetch the menu again, so a dish added, an option group made
required or a category renamed reaches them without a reload.
(`QuerySet.update()` and `bulk_create()` send no signals: callers that use them call
`menu_version_bump()` themselves, as the demo loader does.)"""

from django.db.models import F
from django.db.models.signals import post_delete, post_save

from restaurant.menu.models import Category, Dish, Option, OptionGroup, Restaurant
from restaurant.menu.services import menu_changed_announce

# A dish saved with only these fields is the sold-out switch (`dish_set_sold_out`), which
# announces itself as `menu.dish`: a whole-menu refetch on every phone would be waste.
ANNOUNCED_AS_DISH = frozenset({"sold_out"})


def menu_version_bump(*, announce: bool = True) -> None:
    Restaurant.objects.update(menu_version=F("menu_version") + 1)
    if announce:
        menu_changed_announce()


def _changed(sender, update_fields=None, **kwargs) -> None:
    if kwargs.get("raw"):  # loading fixtures
        return
    dish_switch = sender is Dish and update_fields and set(update_fields) <= ANNOUNCED_AS_DISH
    menu_version_bump(announce=not dish_switch)


def connect() -> None:
    for model in (Category, Dish, OptionGroup, Option):
        post_save.connect(_changed, sender=model, dispatch_uid=f"menu-version-{model.__name__}")
        post_delete.connect(
            _changed, sender=model, dispatch_uid=f"menu-version-del-{model.__name__}"
        )
