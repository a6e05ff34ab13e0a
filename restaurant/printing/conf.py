"""The print worker's timings, in seconds. Each one is read from ``settings.PRINTING`` where
the deployment sets it there, else from the environment variable of the same name (so a
worker started by a test or by `serve` can be given its own), else the default."""

import os

from django.conf import settings

DEFAULTS = {
    # How long a worker's hold on a job lasts without being renewed; every socket wait of a
    # job is shorter, so a live worker never loses a job it is sending.
    "PRINT_LEASE_SECONDS": 30.0,
    "PRINT_CONNECT_TIMEOUT": 3.0,  # to open the printer's TCP connection
    "PRINT_REPLY_TIMEOUT": 5.0,  # for each status answer (DLE EOT), and to hand it the bytes
    # A printer without status (restaurant/printing/worker.py): how long the connection must
    # stay up after the ticket's bytes are acknowledged (one that drops the ticket hangs up).
    "PRINT_AFTER_TICKET_SECONDS": 0.3,
    # Retry of a printer that is off or out of paper: base, 2×base, 4×base... up to the cap.
    "PRINT_BACKOFF_SECONDS": 1.0,
    "PRINT_BACKOFF_MAX_SECONDS": 30.0,
    "PRINT_POLL_SECONDS": 0.2,  # how often an idle worker looks for due jobs
    # An idle printer is asked how it is this often (its state on the floor stays live).
    "PRINT_PROBE_SECONDS": 30.0,
}


def seconds(name: str) -> float:
    configured = getattr(settings, "PRINTING", {}) or {}
    if name in configured:
        return float(configured[name])
    return float(os.environ.get(name, DEFAULTS[name]))
