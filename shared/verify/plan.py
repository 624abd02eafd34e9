"""What the battery runs against one chapter: which sections apply and how to reach the app."""

from __future__ import annotations

from dataclasses import dataclass

FUZZ, ATTACKS, FAULTS = "fuzz", "attacks", "faults"
SECTIONS = (FUZZ, ATTACKS, FAULTS)

FIRST_CHAPTER = 3
"""ch01 has no data and ch02 no validation: fuzzing starts where the API has a contract."""
SECTION_FROM = {FUZZ: 3, ATTACKS: 7, FAULTS: 10}
API_PREFIX_FROM = 8
CORS_SETTING_FROM = 8
BCRYPT_SETTING_FROM = 8
MIGRATIONS_FROM = 4
SERVE_COMMAND_FROM = 10

DEFENCE_FROM = {
    "forwarded headers through the proxy": SERVE_COMMAND_FROM,
    "limiter key bounds and NAT behaviour": SECTION_FROM[ATTACKS],
    "amplification": SECTION_FROM[ATTACKS],
    "refresh-token theft": SECTION_FROM[ATTACKS],
    "input 500s": SECTION_FROM[ATTACKS],
    "races": SECTION_FROM[ATTACKS],
    "connection-time database errors": SECTION_FROM[ATTACKS],
    "connect black-hole": SECTION_FROM[ATTACKS],
}
"""Classes of defect an outside attack found (issue 14), each guarded by cases marked
``@pytest.mark.defends(name)``, and the first chapter with the code they attack."""

TRACK_DEFENCES = {"graph": ("cycles, depth bombs and other users' ids",)}
"""What a side track adds to attack, beyond everything of the chapter it starts from."""


@dataclass(frozen=True)
class ChapterPlan:
    """The battery's view of chapter ``number``, or of a side track that starts from it."""

    number: int
    track: str = ""

    @classmethod
    def named(cls, name: str) -> ChapterPlan:
        """``ch07`` -> chapter 7; ``ch12-graph`` -> the graph track of chapter 12."""
        number, _, track = name.removeprefix("ch").partition("-")
        return cls(int(number), track)

    @property
    def name(self) -> str:
        return f"ch{self.number:02d}-{self.track}" if self.track else f"ch{self.number:02d}"

    @property
    def sections(self) -> tuple[str, ...]:
        """The sections this chapter must pass, in the order they run."""
        return tuple(s for s in SECTIONS if self.number >= SECTION_FROM[s])

    @property
    def defences(self) -> tuple[str, ...]:
        """The classes of defect this chapter's cases must cover (see ``DEFENCE_FROM``)."""
        inherited = tuple(name for name, first in DEFENCE_FROM.items() if self.number >= first)
        return inherited + TRACK_DEFENCES.get(self.track, ())

    @property
    def api_prefix(self) -> str:
        """Where the resources live: at the root until ch08 moves them under ``/api/v1``."""
        return "/api/v1" if self.number >= API_PREFIX_FROM else ""

    @property
    def has_auth(self) -> bool:
        return self.number >= SECTION_FROM[ATTACKS]

    @property
    def has_cors_setting(self) -> bool:
        """From ch08 ``NEODYME_CORS_ORIGINS`` allows origins; before, no origin is allowed."""
        return self.number >= CORS_SETTING_FROM

    @property
    def hashes_at_production_cost(self) -> bool:
        """ch07 has passwords but no settings yet: every hash the battery causes costs 2^12."""
        return self.has_auth and self.number < BCRYPT_SETTING_FROM

    @property
    def has_migrations(self) -> bool:
        return self.number >= MIGRATIONS_FROM

    @property
    def has_serve_command(self) -> bool:
        """From ch10 the app is started as production starts it: ``python -m neodyme serve``."""
        return self.number >= SERVE_COMMAND_FROM


def verified_chapters(names: list[str]) -> list[ChapterPlan]:
    """The chapters and side tracks the battery covers, among those that exist, in order."""
    plans = [ChapterPlan.named(name) for name in names]
    return sorted(
        (plan for plan in plans if plan.number >= FIRST_CHAPTER),
        key=lambda plan: (plan.number, plan.track),
    )


def documented_settings(env_example: str) -> set[str]:
    """The ``NEODYME_*`` settings a chapter's ``.env.example`` lists (commented examples aside).

    Features that come and go with settings (Redis, from ch12) are detected this way rather
    than by chapter number: the battery checks what the chapter says it supports.
    """
    names = set()
    for line in env_example.splitlines():
        name, equals, _ = line.strip().partition("=")
        if equals and name.startswith("NEODYME_"):
            names.add(name)
    return names
