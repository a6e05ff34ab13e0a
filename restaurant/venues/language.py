"""Each restaurant its own default language (`Restaurant.language`).

A person's own choice comes first (the language cookie that `/i18n/setlang/` sets), then what
their browser asks for (Accept-Language, as Django's LocaleMiddleware reads it), and only when
they ask for nothing this deployment offers, the restaurant's language: a Hong Kong shop whose
pages open in English for a French phone, a Sichuan one in Chinese.
"""

from django.conf import settings
from django.utils import translation
from django.utils.translation.trans_real import parse_accept_lang_header

from restaurant.venues.models import Restaurant


def asks_for_a_language(request) -> bool:
    """Whether the person chose, or their browser asks for, a language this deployment has."""
    offered = dict(settings.LANGUAGES)
    if request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) in offered:
        return True
    for code, _quality in parse_accept_lang_header(request.headers.get("Accept-Language", "")):
        if code == "*":
            continue
        try:
            translation.get_supported_language_variant(code)
        except LookupError:
            continue
        return True
    return False


def restaurant_language_activate(request, restaurant: Restaurant) -> None:
    """Answer this request in ``restaurant``'s language unless the person asks for one."""
    if not restaurant.language or asks_for_a_language(request):
        return
    translation.activate(restaurant.language)
    request.LANGUAGE_CODE = translation.get_language()
