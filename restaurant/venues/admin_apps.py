"""Django's admin with our site as its default (restaurant/venues/admin_site.py). Kept apart:
INSTALLED_APPS imports this module before any model can be, the site's module needs them."""

from django.contrib.admin.apps import AdminConfig as DjangoAdminConfig


class AdminConfig(DjangoAdminConfig):
    default_site = "restaurant.venues.admin_site.StaffAdminSite"
