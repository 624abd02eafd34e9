"""The 10,000-users arithmetic: demand in requests per second over one replica's share."""

import pytest

from shared.load.capacity import Assumptions, demand, plan, replicas

ASSUMED = Assumptions(active_fraction=0.1, actions_per_minute=4, headroom=0.7)


def test_demand_is_people_times_actions_per_minute_over_sixty():
    assert demand(1000, ASSUMED) == pytest.approx(66.67, abs=0.01)


def test_replicas_round_up_and_never_fall_below_two():
    assert replicas(666.7, ceiling_rps=100, assumptions=ASSUMED) == 10  # 666.7 / 70 = 9.5
    assert replicas(1, ceiling_rps=1000, assumptions=ASSUMED) == 2


def test_the_plan_answers_both_questions_with_its_figures():
    answer = plan(ceiling_rps=120.0, users=400, assumptions=ASSUMED)

    assert answer["simulated_actions_per_minute"] == 18.0
    assert answer["registered"] == {
        "people_active": 1000.0,
        "demand_rps": 66.7,
        "replica_rps": 84.0,
        "replicas": 2,
    }
    assert answer["concurrent"]["demand_rps"] == 666.7
    assert answer["concurrent"]["replicas"] == 8  # 666.7 / 84 = 7.9
    assert answer["assumptions"]["active_fraction"] == 0.1
