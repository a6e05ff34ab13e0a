"""The chaos scenarios of issue 5 by name (`SCENARIOS`), in the order `python -m bench.chaos`
runs them, each one function of its family's module, all driven by one
`bench.chaos_base.Chaos`.

Each returns a dict of figures with a list of `Check`s (the issue's pass marks) under "checks".
Servers are started in the scenario and stopped in a `finally` (and by
`servers.Fleet.stop_all()` after every scenario, whatever happened). The families import
`bench.chaos_base` and `bench.chaos_figures`, none of each other; this registry imports them all
and the runner (`bench/chaos.py`) imports it.
"""

from bench.chaos_abuse import big_frames, same_address
from bench.chaos_connections import churn, storm
from bench.chaos_database import db_connections
from bench.chaos_failover import kill9, redis_restart
from bench.chaos_overload import overload, slow_reader

SCENARIOS = {
    "kill9": kill9,
    "redis_restart": redis_restart,
    "overload": overload,
    "churn": churn,
    "slow_reader": slow_reader,
    "storm": storm,
    "db_connections": db_connections,
    "same_address": same_address,
    "big_frames": big_frames,
}
