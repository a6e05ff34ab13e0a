"""Every saved or deleted category, dish, option group or option bumps the menu version, in
the transaction that changes it: readers that see the change see the new version with it.
(`QuerySet.update()` and `bulk_create()` send no signals: callers that use them call
`menu_version_bump()` themselves, as the demo loader does.)"""

from django.db.models import F
from django.db.models.signals import post_delete, post_save

from restaurant.menu.models import Category, Dish, Option, OptionGroup, Restaurant


def menu_version_bump() -> None:
    Restaurant.objects.update(menu_version=F("menu_version") + 1)


def _changed(sender, **kwargs) -> None:
    if kwargs.get("raw"):  # loading fixtures
        return
    menu_version_bump()


def connect() -> None:
    for model in (Category, Dish, OptionGroup, Option):
        post_save.connect(_changed, sender=model, dispatch_uid=f"menu-version-{model.__name__}")
        post_delete.connect(
            _changed, sender=model, dispatch_uid=f"menu-version-del-{model.__name__}"
        )
