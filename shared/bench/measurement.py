"""What one side of one round measured, and the medians over the rounds."""

from collections.abc import Sequence
from dataclasses import dataclass, field

from shared.bench.stats import median


@dataclass(frozen=True)
class Measurement:
    """One measurement: ``value`` is the figure compared (requests per second, or logins per
    second for the bcrypt ceiling); latencies are those of the same requests, when there are
    any; ``extra`` holds side figures such as the ``/health`` p99 probed during a login storm.
    """

    value: float
    p50_ms: float | None = None
    p99_ms: float | None = None
    requests: int | None = None
    extra: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict:
        data = {"value": round(self.value, 3)}
        for name in ("p50_ms", "p99_ms", "requests"):
            if (figure := getattr(self, name)) is not None:
                data[name] = round(figure, 3)
        data.update({name: round(figure, 3) for name, figure in self.extra.items()})
        return data


def median_measurement(rounds: Sequence[Measurement]) -> Measurement:
    """The median of every figure over the rounds, each figure on its own."""

    def median_of(name: str) -> float | None:
        figures = [getattr(m, name) for m in rounds if getattr(m, name) is not None]
        return median(figures) if figures else None

    extras = {name for m in rounds for name in m.extra}
    return Measurement(
        value=median([m.value for m in rounds]),
        p50_ms=median_of("p50_ms"),
        p99_ms=median_of("p99_ms"),
        requests=median_of("requests"),
        extra={
            name: median([m.extra[name] for m in rounds if name in m.extra])
            for name in sorted(extras)
        },
    )
