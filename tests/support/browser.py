"""Debian's Chromium for the browser tests: where it is, how it starts here, the screens."""

from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
# No sandbox as root; no background networking (this machine's network is closed).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
}
TABLET = {"viewport": {"width": 1024, "height": 768}, "has_touch": True}
TIMEOUT_MS = 10_000
RESULTS = Path(__file__).resolve().parents[2] / "test-results"
