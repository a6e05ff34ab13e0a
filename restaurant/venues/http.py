"""The one gate of every staff view: who is asking, for which restaurant, and may their role
there do this (`staff_view`).

The restaurant comes from the URL (``/r/<slug>/...``) or, for the contract's unprefixed forms
(``/kitchen/``, ``/staff/``...), from `venues.scope.staff_restaurant`: the person's only
restaurant or the one they picked. A restaurant the person has no role at is a 404 (raised by
the scope), a role that may not do this a 403; someone signed out is sent to sign in.
"""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from restaurant.venues.language import restaurant_language_activate
from restaurant.venues.models import Restaurant
from restaurant.venues.roles import KITCHEN, Action, role_at, role_may
from restaurant.venues.scope import picked_id_of, staff_restaurant, staff_restaurants


def staff_view(action: Action):
    """Decorate a staff view with the ``action`` it does. The view is called without the URL's
    ``slug``; ``request.restaurant`` and ``request.staff_role`` say where and as whom."""
    action = Action(action)  # a typo fails at import, not as a refusal

    def decorate(view):
        @wraps(view)
        def gated(request, *args, slug: str | None = None, **kwargs):
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path(), reverse("staff-login"))
            restaurant = staff_restaurant(
                user, slug=slug, picked_id=picked_id_of(request.session)
            )  # Http404 for a slug the person has no role at
            if restaurant is None:
                if not staff_restaurants(user):
                    raise PermissionDenied("no role at any restaurant")
                # Several restaurants and none picked: pick one, then come back.
                return redirect_to_login(request.get_full_path(), reverse("staff-restaurants"))
            role = role_at(user, restaurant)
            if not role_may(role, action, restaurant):
                raise PermissionDenied(f"a {role} may not do {action}")
            restaurant_language_activate(request, restaurant)
            request.restaurant = restaurant
            request.staff_role = role
            # What the page may offer: `request.staff_can.table_rotate`, ... (no query).
            request.staff_can = {a.name.lower(): role_may(role, a, restaurant) for a in Action}
            # For the pages' "switch restaurant" link: asked only where a page shows it.
            request.staff_several = lambda: len(staff_restaurants(user)) > 1
            return view(request, *args, **kwargs)

        gated.staff_action = action
        return gated

    return decorate


def staff_url(name: str, restaurant: Restaurant, **kwargs) -> str:
    """The per-restaurant form of a staff URL (``/r/<slug>/...``): what pages link to and
    redirect to, so that a tab keeps its restaurant whatever is picked in another."""
    return reverse(name, kwargs={"slug": restaurant.slug, **kwargs})


def staff_home(restaurant: Restaurant, role: str | None) -> str:
    """Where a person starts at ``restaurant``: the kitchen display for the kitchen, the floor
    for the others (who may all see it)."""
    if role == KITCHEN or not role_may(role, Action.FLOOR_VIEW, restaurant):
        return staff_url("kitchen", restaurant)
    return staff_url("staff-floor", restaurant)


def staff_home_of(user, session) -> str:
    """Where ``user`` starts after signing in: their restaurant's home, or the picker when they
    work at several and picked none (or at none: it says so)."""
    restaurant = staff_restaurant(user, slug=None, picked_id=picked_id_of(session))
    if restaurant is None:
        return reverse("staff-restaurants")
    return staff_home(restaurant, role_at(user, restaurant))
