"""Every saved or deleted category, dish, option group or option, and every option group
attached to or taken off a dish, bumps its restaurant's menu version, in the transaction that
changes it: readers that see the change see the new version
with it. And every open menu of that restaurant hears of it once that transaction commits
(`menu.changed`, once however many rows it changed): phones fetch the menu again, so a dish
added, an option group made required or a category renamed reaches them without a reload.
Other restaurants' versions and menus are left alone.
(`QuerySet.update()` and `bulk_create()` send no signals: callers that use them call
`menu_version_bump()` themselves, as the demo loader does.)"""

from django.db.models import F
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save

from restaurant.menu.hours import ordering_announce
from restaurant.menu.models import Category, Dish, Option, OptionGroup, ServiceHours, Tag
from restaurant.menu.services import menu_changed_announce
from restaurant.venues.models import Restaurant

# A dish saved with only these fields is the sold-out switch (`dish_set_sold_out`), which
# announces itself as `menu.dish`: a whole-menu refetch on every phone would be waste.
ANNOUNCED_AS_DISH = frozenset({"sold_out"})


def menu_version_bump(*, restaurant_id: int, announce: bool = True) -> None:
    Restaurant.objects.filter(pk=restaurant_id).update(menu_version=F("menu_version") + 1)
    if announce:
        menu_changed_announce(restaurant_id=restaurant_id)


def restaurant_id_of(row) -> int | None:
    """The restaurant of a menu row. Options reach it through their group; None when that
    is gone (deleted with it: the group's own delete bumps the version)."""
    if isinstance(row, Category | Dish | OptionGroup | ServiceHours | Tag):
        return row.restaurant_id
    groups = OptionGroup.objects.filter(pk=row.group_id)
    return groups.values_list("restaurant_id", flat=True).first()


def _links_changed(sender, instance, action, pk_set=None, **kwargs) -> None:
    """Groups attached to or taken off a dish (from either side: `dish.option_groups` or
    `group.dishes`): the dish's menu changed. A dish deleted takes its links with it unsaid;
    its own delete bumps the version."""
    if (action in ("post_add", "post_remove") and pk_set) or action == "post_clear":
        menu_version_bump(restaurant_id=instance.restaurant_id)


def _changed(sender, instance, update_fields=None, **kwargs) -> None:
    if kwargs.get("raw"):  # loading fixtures
        return
    restaurant_id = restaurant_id_of(instance)
    if restaurant_id is None:
        return
    dish_switch = sender is Dish and update_fields and set(update_fields) <= ANNOUNCED_AS_DISH
    menu_version_bump(restaurant_id=restaurant_id, announce=not dish_switch)
    # Hours added, changed or gone, a category paused or back: phones hear `ordering`. Only
    # then: a category renamed is `menu.changed` alone.
    if sender is ServiceHours or (sender is Category and _pause_changed(instance, kwargs)):
        ordering_announce(restaurant_id=restaurant_id)


# What the pause switch read before a save (`pre_save`), to tell whether the save changed it.
PAUSE_FIELDS = {Category: ("ordering_paused",), Restaurant: ("ordering_paused", "pause_note")}


def _pause_before(sender, instance, raw=False, **kwargs) -> None:
    if raw or instance.pk is None:
        return
    instance._pause_before = (
        sender.objects.filter(pk=instance.pk).values_list(*PAUSE_FIELDS[sender]).first()
    )


def _pause_changed(instance, kwargs) -> bool:
    """Whether this save or delete changed the row's pause switch: a paused row deleted, a
    new row born paused, or the stored values before the save not the ones saved."""
    now = tuple(getattr(instance, field) for field in PAUSE_FIELDS[type(instance)])
    if kwargs.get("signal") is post_delete:
        return bool(now[0])
    before = getattr(instance, "_pause_before", None)
    return any(now) if before is None else before != now


def _restaurant_saved(sender, instance, created=False, **kwargs) -> None:
    """A restaurant's settings saved (the admin): where the pause switch or its note changed,
    its ordering rules did (read per menu version), and its phones and staff hear it."""
    if kwargs.get("raw") or created or not _pause_changed(instance, kwargs):
        return
    menu_version_bump(restaurant_id=instance.pk, announce=False)
    ordering_announce(restaurant_id=instance.pk)


def connect() -> None:
    for model in PAUSE_FIELDS:
        pre_save.connect(_pause_before, sender=model, dispatch_uid=f"pause-{model.__name__}")
    post_save.connect(_restaurant_saved, sender=Restaurant, dispatch_uid="ordering-restaurant")
    for model in (Category, Dish, OptionGroup, Option, ServiceHours, Tag):
        post_save.connect(_changed, sender=model, dispatch_uid=f"menu-version-{model.__name__}")
        post_delete.connect(
            _changed, sender=model, dispatch_uid=f"menu-version-del-{model.__name__}"
        )
    m2m_changed.connect(
        _links_changed, sender=Dish.option_groups.through, dispatch_uid="menu-version-groups"
    )
    # A dish's tags, set on the dish or on the tag (the admin, the demo): phones filter by them.
    m2m_changed.connect(_links_changed, sender=Dish.tags.through, dispatch_uid="menu-version-tags")
