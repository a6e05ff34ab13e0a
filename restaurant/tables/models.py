import secrets

from django.db import models


def new_table_token() -> str:
    # 18 random bytes = 144 bits, URL-safe: unguessable, short enough for a QR code.
    return secrets.token_urlsafe(18)


class Table(models.Model):
    number = models.PositiveIntegerField(unique=True)
    label = models.CharField(max_length=40, blank=True)
    token = models.CharField(max_length=64, unique=True, default=new_table_token, editable=False)
    token_rotated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["number"]

    def __str__(self) -> str:
        return self.label or f"Table {self.number}"
