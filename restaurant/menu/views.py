from django.http import JsonResponse
from django.views.decorators.gzip import gzip_page
from django.views.decorators.http import require_GET

from restaurant.menu.selectors import menu_payload


@require_GET
@gzip_page  # the menu is public and echoes nothing secret: compressing it is safe from BREACH
def menu_api(request):
    return JsonResponse(menu_payload(), json_dumps_params={"ensure_ascii": False})
