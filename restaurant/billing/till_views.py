"""Being written."""

from django.http import Http404


def check_page(request, *args, **kwargs):
    raise Http404("not yet")


def check_api(request, *args, **kwargs):
    raise Http404("not yet")


def discount_add(request, *args, **kwargs):
    raise Http404("not yet")


def discount_remove(request, *args, **kwargs):
    raise Http404("not yet")


def owners_set(request, *args, **kwargs):
    raise Http404("not yet")


def payment_add(request, *args, **kwargs):
    raise Http404("not yet")


def payment_refund(request, *args, **kwargs):
    raise Http404("not yet")


def check_print(request, *args, **kwargs):
    raise Http404("not yet")
