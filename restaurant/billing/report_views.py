"""Being written."""

from django.http import Http404


def report_page(request, *args, **kwargs):
    raise Http404("not yet")


def report_csv(request, *args, **kwargs):
    raise Http404("not yet")


def report_xlsx(request, *args, **kwargs):
    raise Http404("not yet")


def day_close(request, *args, **kwargs):
    raise Http404("not yet")
