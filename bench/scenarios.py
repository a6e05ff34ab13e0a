"""The scenarios of `python -m bench`, by name (`SCENARIOS`), each one function of its family's
module, all driven by one `bench.harness.Bench` context.

Every run starts its own server process(es) on a free loopback port, pinned to core 0, opens
fresh tables, measures, and stops the servers again; the generator runs in this process on
core 1. Each scenario returns a list of result rows (dicts) for the report. The families
import `bench.harness` and none of each other; this registry imports them all.
"""

from bench.capacity import w1, w2, w5
from bench.idle_sockets import w3
from bench.kitchen_load import w4
from bench.multihost import w7
from bench.platform_load import w6
from bench.print_load import print_tickets
from bench.profiling import profile

SCENARIOS = {
    "W1": w1,
    "W2": w2,
    "W3": w3,
    "W4": w4,
    "W5": w5,
    "W6": w6,
    # Past one machine: network namespaces, so root (bench/hosts.py).
    "W7": w7,
    "profile": profile,
    # Issue 15's printing figure; named, not in the default run (bench/__main__.py).
    "print": print_tickets,
}
