from django.apps import AppConfig


class SiteConfig(AppConfig):
    """The composition root: the landing page, `manage.py serve` and the demo data. It may
    import every other app; none imports it."""

    name = "restaurant.site"
    label = "site"
