"""Staff sign-in and out, the restaurant picker, and pairing a shared tablet.

Each person signs in as themselves (`/staff/login/`, Django's LoginView: django-axes throttles
every password tried, restaurant/core/login.py); a device signs in through a one-time pairing
link (`/staff/pair/<secret>/`, restaurant/venues/devices.py). A person of several restaurants
picks the one the unprefixed pages serve (`/staff/restaurants/`).
"""

from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView, LogoutView
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from restaurant.venues.devices import DEVICE_SESSION_AGE, device_pair
from restaurant.venues.http import staff_home, staff_home_of, staff_url
from restaurant.venues.models import StaffMember
from restaurant.venues.roles import MANAGER, Action, role_may
from restaurant.venues.scope import picked_id_of, restaurant_pick, staff_restaurants

# A paired tablet's session is Django's own, signed in through this backend (no password).
DEVICE_BACKEND = "django.contrib.auth.backends.ModelBackend"


class StaffLoginView(LoginView):
    """After signing in: the page asked for (``next``), else the person's home."""

    template_name = "staff/login.html"

    def get_default_redirect_url(self):
        return staff_home_of(self.request.user, self.request.session)


class StaffLogoutView(LogoutView):
    next_page = reverse_lazy("staff-login")


def _safe_next(request) -> str | None:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None


@login_required
@require_http_methods(["GET", "POST"])
def restaurants(request):
    """GET: the person's restaurants with their role and links. POST ``restaurant`` (an id):
    the one the unprefixed pages (`/staff/`, `/kitchen/`...) serve from now on; one they have
    no role at is a 404."""
    mine = staff_restaurants(request.user)
    if request.method == "POST":
        wanted = request.POST.get("restaurant", "")
        chosen = next(((r, role) for r, role in mine if str(r.pk) == wanted), None)
        if chosen is None:
            raise Http404("no such restaurant")
        restaurant, role = chosen
        restaurant_pick(request.session, restaurant)
        return redirect(_safe_next(request) or staff_home(restaurant, role))
    picked = picked_id_of(request.session)
    roles = dict(StaffMember.Role.choices)
    rows = [
        {
            "restaurant": restaurant,
            "role": role,
            "role_name": roles.get(role, role),
            "picked": restaurant.pk == picked,
            "floor": staff_url("staff-floor", restaurant)
            if role_may(role, Action.FLOOR_VIEW, restaurant) else None,
            "kitchen": staff_url("kitchen", restaurant)
            if role_may(role, Action.KITCHEN_VIEW, restaurant) else None,
            "admin": role == MANAGER,
        }
        for restaurant, role in mine
    ]  # fmt: skip
    context = {"rows": rows, "next": _safe_next(request) or ""}
    return render(request, "staff/restaurants.html", context)


@require_http_methods(["GET", "POST"])
def device_pair_view(request, secret: str):
    """GET: a page with one button, so that a link preview or a scanner fetching the link
    does not use it up. POST: pairs this browser as the device (signed in for
    `DEVICE_SESSION_AGE`) and opens its role's page; a used, expired or revoked link: 404."""
    if request.method == "GET":
        return render(request, "staff/pair.html")
    user = device_pair(secret=secret)
    if user is None:
        return render(request, "staff/pair_refused.html", status=404)
    login(request, user, backend=DEVICE_BACKEND)
    request.session.set_expiry(DEVICE_SESSION_AGE)
    return redirect(staff_home_of(user, request.session))
