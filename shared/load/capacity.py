"""From a measured ceiling to replicas: what "10,000 users" needs, with the arithmetic shown.

The simulated users are busy people: 1 to 5 seconds between actions. Real people using a todo
app act far less often, and most registered people are not using it at a given moment. So the
measured figure is converted through requests per second, the one quantity both share:

    demand (req/s)   = people active at once × actions per minute ÷ 60
    one replica      = measured req/s at the ceiling × headroom
    replicas         = demand ÷ one replica, rounded up (at least 2, so one can fail)

The headroom keeps each replica below the load where its p95 reached the limit: traffic comes
in bursts, and a replica must absorb another's share while it restarts.
"""

import math
from dataclasses import asdict, dataclass

THINK_TIME_S = (1, 5)
"""A simulated user's pause between two actions, drawn evenly from this range (locustfile)."""
MIN_REPLICAS = 2
"""One replica is a single point of failure: a deploy or a crash would take the app down."""


@dataclass(frozen=True)
class Assumptions:
    active_fraction: float = 0.10
    """Of the registered people, those using the app in the busiest minute."""
    actions_per_minute: float = 4.0
    """Requests one active person causes a minute: a click every 15 seconds."""
    headroom: float = 0.70
    """The share of a replica's measured ceiling it is run at."""


def demand(people_at_once: float, assumptions: Assumptions) -> float:
    """Requests per second that many active people cause."""
    return people_at_once * assumptions.actions_per_minute / 60


def replicas(demand_rps: float, ceiling_rps: float, assumptions: Assumptions) -> int:
    usable = ceiling_rps * assumptions.headroom
    return max(MIN_REPLICAS, math.ceil(demand_rps / usable))


def plan(ceiling_rps: float, users: int, assumptions: Assumptions) -> dict:
    """Both questions, 10,000 registered and 10,000 at once, for a replica measured at
    ``ceiling_rps`` with ``users`` simulated users."""
    registered_active = 10_000 * assumptions.active_fraction
    cases = {"registered": registered_active, "concurrent": 10_000.0}
    answers = {}
    for name, people in cases.items():
        needed = demand(people, assumptions)
        answers[name] = {
            "people_active": people,
            "demand_rps": round(needed, 1),
            "replica_rps": round(ceiling_rps * assumptions.headroom, 1),
            "replicas": replicas(needed, ceiling_rps, assumptions),
        }
    return {
        "assumptions": asdict(assumptions),
        "ceiling_rps": ceiling_rps,
        "simulated_users": users,
        "simulated_actions_per_minute": round(ceiling_rps / users * 60, 1) if users else 0.0,
        **answers,
    }
