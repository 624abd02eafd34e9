"""Which number of simulated users to try next, and whether a step held.

Double from a small number until a step fails (p95 over the limit, or any failed request),
then halve the gap between the largest count that held and the smallest that failed a few
times. Doubling finds the order of magnitude in a handful of steps; the halving refines it
without measuring every count in between. When even the first step fails (a slow or busy
machine), halve the users until a step holds, then refine the same way.
"""

from dataclasses import dataclass

ROUND_TO = 5
"""Counts between the doubling steps are rounded to this: 375 users reads better than 373."""


@dataclass(frozen=True)
class Plan:
    first: int
    ceiling: int
    refinements: int


def held(p95_ms: float, failures: int, requests: int, limit_ms: float) -> bool:
    """A step holds when requests went through, none failed, and p95 is within the limit."""
    return requests > 0 and failures == 0 and p95_ms <= limit_ms


def ladder(plan: Plan) -> list[int]:
    """The doubling counts: first, 2 × first, … up to the ceiling."""
    counts = [plan.first]
    while counts[-1] * 2 <= plan.ceiling:
        counts.append(counts[-1] * 2)
    return counts


def halving(plan: Plan) -> list[int]:
    """Below the first step: first ÷ 2, first ÷ 4, … down to one user."""
    counts = []
    while (counts[-1] if counts else plan.first) > 1:
        counts.append((counts[-1] if counts else plan.first) // 2)
    return counts


def next_users(tried: dict[int, bool], plan: Plan) -> int | None:
    """The next count to try, given each count tried so far and whether it held; None: done."""
    doubling = ladder(plan)
    failed = [users for users, ok in tried.items() if not ok]
    if not failed:
        untried = [users for users in doubling if users not in tried]
        return untried[0] if untried else None
    lowest_failed = min(failed)
    passed = [users for users, ok in tried.items() if ok and users < lowest_failed]
    if not passed:
        lower = [users for users in halving(plan) if users < lowest_failed]
        return lower[0] if lower else None
    refined = [users for users in tried if users not in doubling + halving(plan)]
    if len(refined) >= plan.refinements:
        return None
    highest_passed = max(passed)
    middle = round((highest_passed + lowest_failed) / 2 / ROUND_TO) * ROUND_TO
    if highest_passed < middle < lowest_failed:
        return middle
    return None


def sustained(steps: list[dict]) -> dict | None:
    """The step with the most users that held, or None when none did."""
    held_steps = [step for step in steps if step["held"]]
    return max(held_steps, key=lambda step: step["users"]) if held_steps else None


def first_failure_above(steps: list[dict], users: int) -> dict | None:
    """The smallest step above ``users`` that did not hold: where the machine saturated."""
    above = [step for step in steps if not step["held"] and step["users"] > users]
    return min(above, key=lambda step: step["users"]) if above else None
