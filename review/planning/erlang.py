"""Erlang C: the fewest people who answer a share of arrivals within a target time, and what that costs.

The M/M/N queue (Poisson arrivals, exponential handle times, no
abandonment, first come first served). With traffic ``A = λ·h`` (erlangs)
and ``N`` people:

* Erlang B by the recursion ``B(0) = 1``, ``B(n) = A·B(n−1) / (n + A·B(n−1))``
  — never factorials or powers, so 10,000 erlangs is as stable as 10;
* probability of waiting ``C = N·B / (N − A·(1 − B))`` (needs ``N > A``);
* service level ``SL = 1 − C·exp(−(N − A)·t / h)``;
* average wait ``ASA = C·h / (N − A)``; occupancy ``A / N``.

:func:`staffing` takes the smallest ``N`` whose service level meets the
target *and* whose occupancy stays at or under the cap (people run at
100 % burn out and the queue explodes at the first spike), then rosters
``ceil(N / (1 − shrinkage))`` to cover breaks, training and meetings.
docs/operations.md has the method and its limits.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from review.errors import VeilError


class StaffingError(VeilError, ValueError):
    """Inputs the formula cannot take (a negative rate, no handle time, a target outside (0, 1))."""


@dataclass(frozen=True)
class Staffing:
    """People needed on the floor (*agents*), what they achieve, and people to roster (*rostered*)."""

    agents: int
    service_level: float  # share answered within the target time
    wait_probability: float  # share that waits at all (Erlang C)
    average_wait_seconds: float  # over all arrivals (ASA)
    occupancy: float  # share of the agents' time spent handling
    rostered: int


def erlang_b(traffic: float, agents: int) -> float:
    """Blocking probability of *agents* servers offered *traffic* erlangs, by the stable recursion."""
    blocking = 1.0
    for n in range(1, agents + 1):
        blocking = traffic * blocking / (n + traffic * blocking)
    return blocking


def measures(traffic: float, agents: int, handle_seconds: float, within_seconds: float) -> tuple[float, float, float]:
    """(service level, probability of waiting, average wait in seconds) for *agents* > *traffic*."""
    if agents <= traffic:
        return 0.0, 1.0, math.inf
    blocking = erlang_b(traffic, agents)
    waits = agents * blocking / (agents - traffic * (1 - blocking))
    level = 1 - waits * math.exp(-(agents - traffic) * within_seconds / handle_seconds)
    return level, waits, waits * handle_seconds / (agents - traffic)


def check(arrivals_per_hour: float, handle_seconds: float, target: float, within_seconds: float,
          shrinkage: float, max_occupancy: float) -> None:
    """StaffingError naming the first input the formula cannot take."""
    if not math.isfinite(arrivals_per_hour) or arrivals_per_hour < 0:
        raise StaffingError(f"arrivals per hour must be 0 or more, not {arrivals_per_hour:g}")
    if not math.isfinite(handle_seconds) or handle_seconds <= 0:
        raise StaffingError(f"the handle time must be more than 0 seconds, not {handle_seconds:g}")
    if not 0 < target < 1:
        raise StaffingError(f"the service-level target is a share between 0 and 1 (0.8 for 80 %), not {target:g}")
    if not math.isfinite(within_seconds) or within_seconds < 0:
        raise StaffingError(f"the target time must be 0 seconds or more, not {within_seconds:g}")
    if not 0 <= shrinkage < 1:
        raise StaffingError(f"shrinkage is a share from 0 up to (not including) 1, not {shrinkage:g}")
    if not 0 < max_occupancy <= 1:
        raise StaffingError(f"the occupancy cap is a share above 0 and at most 1, not {max_occupancy:g}")


def rostered(agents: float, shrinkage: float) -> int:
    """People to roster so that *agents* are working once *shrinkage* of rostered time is lost."""
    return math.ceil(agents / (1 - shrinkage) - 1e-9)  # 7 / 0.7 is 10.000000000000002, not 11


def staffing(arrivals_per_hour: float, handle_seconds: float, target: float, within_seconds: float, *,
             shrinkage: float = 0.3, max_occupancy: float = 0.85) -> Staffing:
    """The smallest team meeting *target* within *within_seconds* with occupancy ≤ *max_occupancy*.

    No arrivals need nobody (service level 1). StaffingError on inputs the
    formula cannot take.
    """
    check(arrivals_per_hour, handle_seconds, target, within_seconds, shrinkage, max_occupancy)
    traffic = arrivals_per_hour * handle_seconds / 3600
    if traffic == 0:
        return Staffing(0, 1.0, 0.0, 0.0, 0.0, 0)
    # Start where both the stability (N > A) and the occupancy cap hold; service level only rises from there.
    agents = max(math.floor(traffic) + 1, math.ceil(traffic / max_occupancy - 1e-12))
    while True:
        level, waits, wait_s = measures(traffic, agents, handle_seconds, within_seconds)
        if level >= target:
            return Staffing(agents, level, waits, wait_s, traffic / agents, rostered(agents, shrinkage))
        agents += 1
