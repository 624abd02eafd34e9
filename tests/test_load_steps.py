"""The load test's step search: double until a step fails, then halve the gap a few times."""

from shared.load.steps import (
    Plan,
    first_failure_above,
    halving,
    held,
    ladder,
    next_users,
    sustained,
)

PLAN = Plan(first=25, ceiling=3200, refinements=2)


def walk(capacity: int, plan: Plan = PLAN) -> list[int]:
    """The counts tried against a server that holds up to ``capacity`` users."""
    tried: dict[int, bool] = {}
    users = next_users(tried, plan)
    while users is not None:
        tried[users] = users <= capacity
        users = next_users(tried, plan)
    return list(tried)


def test_the_ladder_doubles_up_to_the_ceiling():
    assert ladder(PLAN) == [25, 50, 100, 200, 400, 800, 1600, 3200]
    assert ladder(Plan(first=5, ceiling=10, refinements=0)) == [5, 10]


def test_a_step_holds_only_with_requests_no_failure_and_p95_within_the_limit():
    assert held(p95_ms=200, failures=0, requests=10, limit_ms=200)
    assert not held(p95_ms=201, failures=0, requests=10, limit_ms=200)
    assert not held(p95_ms=20, failures=1, requests=10, limit_ms=200)
    assert not held(p95_ms=0, failures=0, requests=0, limit_ms=200)


def test_doubling_stops_at_the_first_failure_then_halves_the_gap():
    assert walk(capacity=500) == [25, 50, 100, 200, 400, 800, 600, 500]


def test_halving_goes_down_after_a_failed_middle_too():
    assert walk(capacity=420) == [25, 50, 100, 200, 400, 800, 600, 500]
    assert walk(capacity=650) == [25, 50, 100, 200, 400, 800, 600, 700]


def test_no_refinement_stops_at_the_first_failure():
    assert walk(capacity=120, plan=Plan(25, 3200, 0)) == [25, 50, 100, 200]


def test_a_first_step_that_fails_halves_the_users_until_one_holds_then_refines():
    assert halving(PLAN) == [12, 6, 3, 1]
    # 6 held and 12 did not: 9 rounds to 10, which holds; nothing rounds to between 10 and 12.
    assert walk(capacity=10) == [25, 12, 6, 10]
    assert walk(capacity=0) == [25, 12, 6, 3, 1]


def test_a_server_that_never_fails_stops_at_the_ceiling():
    assert walk(capacity=10**6) == ladder(PLAN)


def test_halving_stops_when_the_gap_is_one_rounding_step():
    plan = Plan(first=5, ceiling=40, refinements=5)
    assert walk(capacity=7, plan=plan) == [5, 10]  # 7.5 rounds to 10 or 5: nothing in between


def test_sustained_is_the_largest_count_that_held_and_saturation_the_next_failure():
    steps = [
        {"users": 100, "held": True},
        {"users": 200, "held": False},
        {"users": 150, "held": True},
        {"users": 175, "held": False},
    ]
    assert sustained(steps)["users"] == 150
    assert first_failure_above(steps, 150)["users"] == 175
    assert sustained([{"users": 25, "held": False}]) is None
    assert first_failure_above([{"users": 25, "held": True}], 25) is None
