"""A chapter as it was at another git revision, to benchmark a change against what it replaced."""

import io
import subprocess
import tarfile
from pathlib import Path

from shared.bench.errors import BenchmarkError
from shared.chapters import REPOSITORY_ROOT, Chapter


def git(*args: str) -> bytes:
    result = subprocess.run(["git", *args], cwd=REPOSITORY_ROOT, capture_output=True, check=False)
    if result.returncode != 0:
        raise BenchmarkError(result.stderr.decode(errors="replace").strip())
    return result.stdout


def chapter_at(revision: str, chapter: Chapter, directory: Path) -> Chapter:
    """``chapter``'s tracked files at ``revision`` (``git archive``), unpacked under
    ``directory`` as a chapter of its own: ``ch12-at-f8df254``."""
    try:
        commit = git("rev-parse", "--short", "--verify", f"{revision}^{{commit}}").decode().strip()
    except BenchmarkError:
        raise BenchmarkError(f"--against: no revision {revision!r} in this repository") from None
    name = f"{chapter.name}-at-{commit}"
    target = directory / name
    if not (target / "pyproject.toml").is_file():
        folder = chapter.path.relative_to(REPOSITORY_ROOT).as_posix()
        try:  # REV:folder archives the folder's contents, without the path to it
            archive = git("archive", "--format=tar", f"{commit}:{folder}")
        except BenchmarkError:
            raise BenchmarkError(f"--against: {folder} does not exist at {commit}") from None
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(target, filter="data")
    return Chapter(name=name, number=chapter.number, path=target, track=chapter.track)
