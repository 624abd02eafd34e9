from pathlib import Path

import pytest

from shared.chapters import Chapter, discover_chapters


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A test that takes a ``chapter`` argument runs once for every chapter folder."""
    if "chapter" in metafunc.fixturenames:
        chapters = discover_chapters()
        metafunc.parametrize("chapter", chapters, ids=[chapter.name for chapter in chapters])


@pytest.fixture(scope="session")
def chapters() -> list[Chapter]:
    return discover_chapters()


def write(root: Path, files: dict[str, str]) -> Path:
    """A folder tree under ``root``: ``{relative path: text}``; returns ``root``."""
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    return root
