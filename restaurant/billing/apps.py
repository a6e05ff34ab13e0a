from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "restaurant.billing"
    label = "billing"

    def ready(self) -> None:
        # The diner's split ops (who pays for a dish, a dish shared) are the till's, an app
        # above dining: handed to the table socket here.
        from restaurant.billing import ops

        ops.register()
