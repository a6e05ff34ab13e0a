from django.conf import settings
from django.http import HttpResponse

from restaurant.core.health import channel_layer_ok, database_ok
from restaurant.realtime.metrics import render as render_metrics


def healthz(request):
    if database_ok() and channel_layer_ok():
        return HttpResponse("ok", content_type="text/plain")
    return HttpResponse("unavailable", status=503, content_type="text/plain")


def _operator(user) -> bool:
    """Whoever runs the deployment: its figures are every restaurant's together, so a
    restaurant's own staff (its managers too) do not read them."""
    return bool(user and user.is_authenticated and user.is_active and user.is_superuser)


def metrics(request):
    """Prometheus scrape endpoint: for the loopback (a local Prometheus or agent) and the
    deployment's superusers."""
    allowed = request.META.get("REMOTE_ADDR") in settings.METRICS_ALLOWED_IPS
    if not (allowed or _operator(request.user)):
        return HttpResponse("forbidden", status=403, content_type="text/plain")
    body, content_type = render_metrics()
    return HttpResponse(body, content_type=content_type)
