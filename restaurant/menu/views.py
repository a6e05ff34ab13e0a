"""`GET /r/<slug>/api/menu/`: a restaurant's menu, public (the table page reads it). The
contract's `GET /api/menu/` serves the deployment's only restaurant, else the signed-in staff
member's (their only one or the one they picked), else 404 `restaurant_required`."""

from django.conf import settings
from django.http import JsonResponse
from django.utils.cache import patch_vary_headers
from django.views.decorators.gzip import gzip_page
from django.views.decorators.http import require_GET

from restaurant.menu.selectors import menu_in_language, menu_payload
from restaurant.venues.models import Restaurant
from restaurant.venues.scope import picked_id_of, staff_restaurant


def _json(body: dict, status: int = 200) -> JsonResponse:
    # Compact: no space after "," and ":". The menu is part of every phone's first load (the
    # table page's 150 KB budget, tests/e2e/test_page_weight.py): spaces were 1 byte in 12.
    params = {"ensure_ascii": False, "separators": (",", ":")}
    return JsonResponse(body, status=status, json_dumps_params=params)


def _unprefixed_restaurant(request) -> Restaurant | None:
    restaurant = Restaurant.sole()
    if restaurant is None and request.user.is_authenticated:
        restaurant = staff_restaurant(
            request.user, slug=None, picked_id=picked_id_of(request.session)
        )
    return restaurant


LANGUAGES = [code for code, _ in settings.LANGUAGES]


@require_GET
@gzip_page  # the menu is public and echoes nothing secret: compressing it is safe from BREACH
def menu_api(request, slug: str | None = None):
    """`?lang=zh-hans|en`: for a page in that language (`menu_in_language`); without it, the
    whole menu."""
    language = request.GET.get("lang")
    if language is not None and language not in LANGUAGES:
        detail = f"lang: {' or '.join(LANGUAGES)}"
        return _json({"error": "bad_request", "detail": detail}, 400)
    if slug is not None:
        restaurant = Restaurant.objects.filter(slug=slug).first()
        if restaurant is None:
            return _json({"error": "not_found", "detail": "no such restaurant"}, 404)
    else:
        restaurant = _unprefixed_restaurant(request)
        if restaurant is None:
            detail = "this deployment has several restaurants: ask /r/<slug>/api/menu/"
            return _json({"error": "restaurant_required", "detail": detail}, 404)
    menu = menu_payload(restaurant=restaurant)
    response = _json(menu_in_language(menu, language=language) if language else menu)
    if slug is None:
        patch_vary_headers(response, ["Cookie"])  # which restaurant may depend on who asks
    return response
