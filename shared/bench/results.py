"""A scenario's outcome: both sides' rounds, their medians, the ratio and the target check.

The JSON written here is the record (``benchmarks/results.json``); the Markdown table is
rendered from that JSON, so the book's appendix can be rebuilt from committed results alone.
"""

from dataclasses import dataclass

from shared.bench.measurement import Measurement, median_measurement
from shared.bench.stats import ratio


@dataclass(frozen=True)
class Target:
    """What a ratio should reach, and the chapter the goal was set for.

    A login storm also bounds the ``/health`` p99 measured while it runs.
    """

    minimum_ratio: float
    chapter: str
    max_health_p99_ms: float | None = None

    def describe(self) -> str:
        text = f"≥ {self.minimum_ratio:g}"
        if self.max_health_p99_ms is not None:
            text += f", /health p99 < {self.max_health_p99_ms:g} ms"
        return f"{text} ({self.chapter})"

    def is_met(self, measured_ratio: float, a: Measurement) -> bool:
        if measured_ratio < self.minimum_ratio:
            return False
        if self.max_health_p99_ms is None:
            return True
        probed = a.extra.get("health_p99_ms")
        return probed is not None and probed < self.max_health_p99_ms

    def to_json(self) -> dict:
        data = {"minimum_ratio": self.minimum_ratio, "chapter": self.chapter}
        if self.max_health_p99_ms is not None:
            data["max_health_p99_ms"] = self.max_health_p99_ms
        return data


@dataclass(frozen=True)
class ScenarioResult:
    name: str
    title: str
    subject: str
    a_label: str
    b_label: str
    unit: str
    a_rounds: list[Measurement]
    b_rounds: list[Measurement]
    target: Target | None = None

    @property
    def a(self) -> Measurement:
        return median_measurement(self.a_rounds)

    @property
    def b(self) -> Measurement:
        return median_measurement(self.b_rounds)

    @property
    def ratio(self) -> float:
        """The ratio of the medians (not the median of per-round ratios)."""
        return ratio(self.a.value, self.b.value)

    @property
    def met(self) -> bool | None:
        """Whether the target is reached; None when there is none for this chapter."""
        if self.target is None or self.target.chapter != self.subject:
            return None
        return self.target.is_met(self.ratio, self.a)

    def to_json(self) -> dict:
        return {
            "name": self.name,
            "title": self.title,
            "subject": self.subject,
            "unit": self.unit,
            "a": self.side_json(self.a_label, self.a_rounds, self.a),
            "b": self.side_json(self.b_label, self.b_rounds, self.b),
            "ratio": round(self.ratio, 3),
            "target": self.target.to_json() if self.target else None,
            "target_text": self.target.describe() if self.target else None,
            "met": self.met,
        }

    @staticmethod
    def side_json(label: str, rounds: list[Measurement], median: Measurement) -> dict:
        return {
            "label": label,
            "rounds": [measurement.to_json() for measurement in rounds],
            "median": median.to_json(),
        }
