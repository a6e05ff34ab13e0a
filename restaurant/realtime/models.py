from django.db import models


class ServerHeartbeat(models.Model):
    """One row per live ASGI process, refreshed every few seconds. A process that stops
    beating is dead (killed, or its machine gone): its sockets no longer count as online."""

    server_id = models.CharField(max_length=100, primary_key=True)
    seen_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.server_id} @ {self.seen_at:%H:%M:%S}"
