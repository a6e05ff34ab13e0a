"""Which restaurant a staff request or socket is for: the one place that decides.

The per-restaurant forms name it (``/r/<slug>/kitchen/``, ``/ws/r/<slug>/kitchen/``). The
contract's unprefixed forms (``/kitchen/``, ``/staff/``, ``/ws/kitchen/``...) mean the one
restaurant the person works at, or the one they picked on ``/staff/restaurants/`` (kept in
their session), so a deployment or a person with one restaurant never has to say which.

A restaurant the person has no role at is answered as if it did not exist (404): staff of one
restaurant learn nothing about another, not even that its slug is taken.
"""

from django.http import Http404

from restaurant.venues.models import Restaurant, StaffMember
from restaurant.venues.roles import MANAGER

# The session key of the restaurant a person of several picked (its id).
PICKED = "venues.restaurant"


def staff_restaurants(user) -> list[tuple[Restaurant, str]]:
    """The restaurants ``user`` works at with their role there, in restaurant order. A
    superuser is a manager at every restaurant."""
    if not (user and user.is_authenticated and user.is_active):
        return []
    if user.is_superuser:
        return [(restaurant, MANAGER) for restaurant in Restaurant.objects.order_by("pk")]
    members = StaffMember.objects.filter(user_id=user.pk).select_related("restaurant")
    return [(m.restaurant, m.role) for m in members.order_by("restaurant_id")]


def staff_restaurant(user, *, slug: str | None, picked_id: int | None) -> Restaurant | None:
    """The restaurant a staff entry point is for.

    ``slug``: the URL names it; the user must work there, else Http404. Without one: the user's
    only restaurant, else the one they picked (``picked_id``, from their session) if they
    still work there; None when they must pick (or work nowhere: then
    ``staff_restaurants(user)`` is empty)."""
    if slug is not None:
        for restaurant, _role in staff_restaurants(user):
            if restaurant.slug == slug:
                return restaurant
        raise Http404("no such restaurant")
    choices = [restaurant for restaurant, _role in staff_restaurants(user)]
    if len(choices) == 1:
        return choices[0]
    return next((r for r in choices if r.pk == picked_id), None)


def picked_id_of(session) -> int | None:
    value = session.get(PICKED) if session is not None else None
    return value if isinstance(value, int) else None


def restaurant_pick(session, restaurant: Restaurant) -> None:
    """Remember the picked restaurant for the unprefixed forms (the caller checked the role)."""
    session[PICKED] = restaurant.pk
