"""Each chapter run writes one small JSON file; the summary reads them all into one table.

A chapter passes when every section it must run is there, tried at least one case and failed
none. A missing file or section is a failure: a battery that did not run proves nothing. An
*expected* failure is a known gap (a protection the chapter lacks, reported to be planned): it
does not fail the chapter, but the table names it so that nobody mistakes it for a pass.

Cases marked ``defends(name)`` are also counted by class of defect, in a second table. With
PostgreSQL (the configuration CI runs, where every class can be provoked) a class the chapter
should cover but did not try is a failure too.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from shared.verify.plan import SECTIONS, ChapterPlan


@dataclass
class SectionResult:
    tried: int = 0
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    expected_failures: int = 0

    @property
    def ok(self) -> bool:
        accounted = self.passed + self.skipped + self.expected_failures
        return self.tried > 0 and self.failed == 0 and accounted == self.tried


@dataclass
class ChapterResult:
    chapter: str
    database: str = "sqlite"
    seconds: float = 0.0
    sections: dict[str, SectionResult] = field(default_factory=dict)
    defences: dict[str, SectionResult] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def section(self, name: str) -> SectionResult:
        return self.sections.setdefault(name, SectionResult())

    def defence(self, name: str) -> SectionResult:
        return self.defences.setdefault(name, SectionResult())

    def missing(self, plan: ChapterPlan) -> list[str]:
        sections = [name for name in plan.sections if name not in self.sections]
        if self.database != "postgresql":
            return sections
        return sections + [
            name
            for name in plan.defences
            if name not in self.defences or self.defences[name].passed == 0
        ]

    def ok(self, plan: ChapterPlan) -> bool:
        """Every case is also counted in its section, so the sections' verdicts suffice."""
        return not self.missing(plan) and all(s.ok for s in self.sections.values())

    def write(self, directory: Path) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{self.chapter}.json"
        path.write_text(json.dumps(asdict(self), indent=2) + "\n")
        return path

    @classmethod
    def read(cls, path: Path) -> ChapterResult:
        data = json.loads(path.read_text())
        sections = {name: SectionResult(**counts) for name, counts in data["sections"].items()}
        defences = {
            name: SectionResult(**counts) for name, counts in data.get("defences", {}).items()
        }
        return cls(
            chapter=data["chapter"],
            database=data["database"],
            seconds=data["seconds"],
            sections=sections,
            defences=defences,
            notes=data.get("notes", []),
        )


def load_results(directory: Path, plans: list[ChapterPlan]) -> dict[str, ChapterResult | None]:
    """The result of each planned chapter, ``None`` where its run left no file."""
    results: dict[str, ChapterResult | None] = {}
    for plan in plans:
        path = directory / f"{plan.name}.json"
        results[plan.name] = ChapterResult.read(path) if path.is_file() else None
    return results


def _cell(result: ChapterResult | None, name: str, plan: ChapterPlan) -> str:
    if name not in plan.sections:
        return "-"
    if result is None or name not in result.sections:
        return "MISSING"
    counts = result.sections[name]
    cell = f"{counts.tried} / {counts.passed} / {counts.failed}"
    extras = [
        f"{count} {label}"
        for count, label in [
            (counts.skipped, "skipped"),
            (counts.expected_failures, "EXPECTED FAIL"),
        ]
        if count
    ]
    return cell + (f" ({', '.join(extras)})" if extras else "")


def render_table(results: dict[str, ChapterResult | None], plans: list[ChapterPlan]) -> str:
    """A Markdown table, readable as plain text in a CI log: tried / passed / failed."""
    header = ["chapter", "database", *(f"{s} (tried / passed / failed)" for s in SECTIONS)]
    rows = [header, ["---"] * len(header)]
    for plan in plans:
        result = results.get(plan.name)
        verdict = "PASS" if result is not None and result.ok(plan) else "FAIL"
        timing = f"{result.seconds:.0f} s" if result else "no result"
        rows.append(
            [
                f"{plan.name} {verdict} ({timing})",
                result.database if result else "-",
                *(_cell(result, s, plan) for s in SECTIONS),
            ]
        )
    return _markdown(rows)


def _defence_cell(result: ChapterResult | None, name: str, plan: ChapterPlan) -> str:
    if name not in plan.defences:
        return "-"
    counts = result.defences.get(name) if result else None
    if counts is None or counts.tried == 0:
        return "not run"
    cell = f"{counts.passed} / {counts.tried}"
    return cell + (f" ({counts.failed} FAILED)" if counts.failed else "")


def render_defences(results: dict[str, ChapterResult | None], plans: list[ChapterPlan]) -> str:
    """One row per class of defect, one column per chapter: cases passed / tried."""
    covered = [plan for plan in plans if plan.defences]
    if not covered:
        return ""
    rows = [["defends (passed / tried)", *(plan.name for plan in covered)]]
    rows.append(["---"] * len(rows[0]))
    names = dict.fromkeys(name for plan in covered for name in plan.defences)
    for name in names:
        rows.append([name, *(_defence_cell(results.get(p.name), name, p) for p in covered)])
    return _markdown(rows)


def _markdown(rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = [
            ("-" * width if cell == "---" else cell.ljust(width))
            for cell, width in zip(row, widths, strict=True)
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def all_passed(results: dict[str, ChapterResult | None], plans: list[ChapterPlan]) -> bool:
    return all((r := results.get(p.name)) is not None and r.ok(p) for p in plans)


def render_notes(results: dict[str, ChapterResult | None]) -> str:
    """What the runs measured or flagged without passing judgement (timings, known gaps)."""
    return "\n".join(
        f"- {name}: {note}" for name, result in results.items() if result for note in result.notes
    )
