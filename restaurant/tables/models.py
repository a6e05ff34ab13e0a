import secrets

from django.db import models

from restaurant.venues.models import Restaurant, StaysWithItsRestaurant


def new_table_token() -> str:
    # 18 random bytes = 144 bits, URL-safe: unguessable, short enough for a QR code.
    return secrets.token_urlsafe(18)


class Table(StaysWithItsRestaurant, models.Model):
    restaurant = models.ForeignKey(Restaurant, on_delete=models.PROTECT, related_name="tables")
    # Numbers are the restaurant's own (each has its table 1); the token is unique across all
    # restaurants, so a printed QR code names one table of one restaurant.
    number = models.PositiveIntegerField()
    label = models.CharField(max_length=40, blank=True)
    token = models.CharField(max_length=64, unique=True, default=new_table_token, editable=False)
    token_rotated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["restaurant", "number"]
        constraints = [
            models.UniqueConstraint(fields=["restaurant", "number"], name="table_number_unique")
        ]

    def __str__(self) -> str:
        return self.label or f"Table {self.number}"
