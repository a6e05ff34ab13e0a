from django.conf import settings
from django.http import HttpResponse

from restaurant.core.access import is_staff
from restaurant.core.health import channel_layer_ok, database_ok
from restaurant.realtime.metrics import render as render_metrics


def healthz(request):
    if database_ok() and channel_layer_ok():
        return HttpResponse("ok", content_type="text/plain")
    return HttpResponse("unavailable", status=503, content_type="text/plain")


def metrics(request):
    """Prometheus scrape endpoint: for the loopback (a local Prometheus or agent) and staff."""
    allowed = request.META.get("REMOTE_ADDR") in settings.METRICS_ALLOWED_IPS
    if not (allowed or is_staff(request.user)):
        return HttpResponse("forbidden", status=403, content_type="text/plain")
    body, content_type = render_metrics()
    return HttpResponse(body, content_type=content_type)
