"""The admin per restaurant: a manager sees, picks and edits only rows of the restaurants they
manage (`managed_restaurant_ids`); a superuser sees all.

Every `ModelAdmin` and inline of a restaurant-owned model mixes in `RestaurantScoped`:

- its rows (list, change, delete, history, actions) are filtered by restaurant, and a row of
  another restaurant addressed by its id in the URL is a 404, not a redirect that says it
  exists;
- every foreign-key choice is filtered the same way (a dish cannot be filed under another
  restaurant's category, a member added to another restaurant), and a ``restaurant`` field
  offers only the one restaurant of someone who manages one;
- the object permissions (`RoleBackend`) are asked about the row's restaurant, found through
  its path for the rows that do not carry it (an option: its group's);
- a saved row stays with its restaurant, for a superuser too: its ``restaurant`` is read-only
  on its change page, and a change that would file it under another restaurant's row (a
  dish under another restaurant's category) is refused. Moving a table with its meals, or a
  category with its dishes, is no edit (the models refuse it too:
  `restaurant.venues.models.StaysWithItsRestaurant`).
"""

from functools import cache

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db import models
from django.http import Http404

from restaurant.venues.models import Restaurant
from restaurant.venues.roles import managed_restaurant_ids


@cache
def restaurant_lookup(model: type[models.Model]) -> str | None:
    """The ORM path from ``model`` to its restaurant: ``"pk"`` for a restaurant,
    ``"restaurant"`` for a row that carries it, else through its foreign keys (an option:
    ``"group__restaurant"``). None for a model no restaurant owns."""
    return _lookup(model, depth=3)


def _lookup(model, depth: int) -> str | None:
    if model is Restaurant:
        return "pk"
    fields = [f for f in model._meta.concrete_fields if f.many_to_one]
    for field in fields:
        if field.related_model is Restaurant:
            return field.name
    if depth == 0:
        return None
    user_model = get_user_model()
    for field in fields:
        if field.related_model is user_model:
            continue  # who did it, not whose it is
        sub = _lookup(field.related_model, depth - 1)
        if sub is not None:
            return field.name if sub == "pk" else f"{field.name}__{sub}"
    return None


def scoped(queryset: models.QuerySet, user) -> models.QuerySet:
    """``queryset`` cut to the rows of the restaurants ``user`` manages (all for a superuser,
    none for anyone else)."""
    path = restaurant_lookup(queryset.model)
    ids = managed_restaurant_ids(user)
    if path is None or ids is None:
        return queryset
    return queryset.filter(**{f"{path}__in": ids})


def restaurant_of(obj) -> Restaurant | None:
    """The restaurant that owns ``obj``, following its path."""
    if obj is None or isinstance(obj, Restaurant):
        return obj
    path = restaurant_lookup(type(obj))
    if path is None:
        return None
    for step in path.split("__"):
        obj = getattr(obj, step, None)
        if obj is None:
            return None
    return obj


class RestaurantScoped:
    """Mix into a ModelAdmin or an InlineModelAdmin (before it) of a restaurant-owned model."""

    def get_queryset(self, request):
        return scoped(super().get_queryset(request), request.user)

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            # Another restaurant's row is as unknown as one that never was: a 404 (Django's
            # own answer, a redirect "... doesn't exist", would be the same for both, but it
            # also names the id back).
            raise Http404("no such object")
        return obj

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        related = db_field.remote_field.model
        ids = managed_restaurant_ids(request.user)
        path = restaurant_lookup(related)
        if path is not None and ids is not None:
            queryset = kwargs.get("queryset")
            if queryset is None:
                queryset = self.get_field_queryset(None, db_field, request)
            if queryset is None:
                queryset = related._default_manager.all()
            kwargs["queryset"] = queryset.filter(**{f"{path}__in": ids})
            if related is Restaurant and len(ids) == 1:
                # Someone who manages one restaurant: it is the only choice, already chosen.
                kwargs.setdefault("empty_label", None)
                kwargs.setdefault("initial", next(iter(ids)))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        fields = tuple(super().get_readonly_fields(request, obj))
        if obj is not None and isinstance(self, admin.ModelAdmin) and "restaurant" not in fields:
            field = next((f for f in obj._meta.concrete_fields if f.name == "restaurant"), None)
            if field is not None and field.editable:
                fields = (*fields, "restaurant")
        return fields

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        owner = restaurant_of(obj) if obj is not None else None
        return form if owner is None else _staying_at(form, owner)

    # Django asks `user.has_perm(perm, obj)`; `RoleBackend` answers for the object's restaurant,
    # which rows such as options do not carry: they are asked about it.
    def _perm_obj(self, obj):
        if obj is None or hasattr(obj, "restaurant_id") or isinstance(obj, Restaurant):
            return obj
        return restaurant_of(obj) or obj

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, self._perm_obj(obj))

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, self._perm_obj(obj))

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, self._perm_obj(obj))


def _staying_at(form_class, owner: Restaurant):
    """``form_class`` refusing any choice of another restaurant's row than ``owner``'s (a
    dish's category, an option's group): the row would move with it."""

    class StayingAt(form_class):
        def clean(self):
            data = super().clean()
            for name, value in list(data.items()):
                if not isinstance(value, models.Model) or restaurant_lookup(type(value)) is None:
                    continue
                other = restaurant_of(value)
                if other is not None and other.pk != owner.pk:
                    self.add_error(name, f"This belongs to {other}; a row stays with its "
                                         f"restaurant ({owner}).")  # fmt: skip
            return data

    StayingAt.__name__ = form_class.__name__
    return StayingAt
