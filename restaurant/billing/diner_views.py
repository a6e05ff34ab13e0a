"""Being written."""

from django.http import Http404


def check_page(request, *args, **kwargs):
    raise Http404("not yet")


def check_api(request, *args, **kwargs):
    raise Http404("not yet")


def receipt_page(request, *args, **kwargs):
    raise Http404("not yet")
