"""Prometheus metrics (prometheus_client). With several processes (daphne workers, uwsgi),
set PROMETHEUS_MULTIPROC_DIR to one directory for all of them: `/metrics` then sums them."""

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

SOCKETS_OPEN = Gauge(
    "restaurant_sockets_open", "WebSocket connections open", ["kind"], multiprocess_mode="livesum"
)
OPS = Counter(
    "restaurant_ops_total", "Ops received, by type and result", ["kind", "type", "result"]
)
OP_SECONDS = Histogram(
    "restaurant_op_seconds",
    "Time from receiving an op to sending its ack or error",
    ["kind"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)
BROADCAST_FAILURES = Counter(
    "restaurant_broadcast_failures_total", "Group sends that raised (events lost to resync)"
)
TOKEN_GUESSERS = Counter(
    "restaurant_token_guessers_total", "Addresses that passed the unknown-token limit"
)
GROUP_COMMITS = Counter(
    "restaurant_group_commits_total",
    "Batches of ops of several sockets in one transaction: committed, or fell back to one by one",
    ["result"],
)
GROUP_COMMIT_OPS = Counter(
    "restaurant_group_commit_ops_total", "Ops committed in batches of two or more"
)
OPS_QUEUED = Gauge(
    "restaurant_ops_queued",
    "Cart ops waiting for a database thread (group commit)",
    multiprocess_mode="livesum",
)
OPS_SHED = Counter(
    "restaurant_ops_shed_total", "Ops refused with `busy`: they waited too long for the database"
)
CLOSES = Counter("restaurant_socket_closes_total", "Sockets closed by the server", ["code"])


def render() -> tuple[bytes, str]:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    return generate_latest(registry), CONTENT_TYPE_LATEST
