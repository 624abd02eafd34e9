"""One virtual environment per app under test, made with uv and reused between runs.

Every chapter installs the package ``neodyme``, so two chapters cannot share an environment.
A chapter is installed editable (its code is read from the chapter folder) without its test
extra, as production would; the environment is rebuilt only when its inputs change (the
chapter's ``pyproject.toml``, or the pinned versions of the reference apps).
"""

import hashlib
import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from shared.bench.errors import BenchmarkError
from shared.chapters import Chapter

STAMP = "bench-inputs.sha256"

REFERENCE_REQUIREMENTS = ["fastapi", "uvicorn", "asyncpg", "pydantic"]
"""What the reference apps need; their versions are pinned to the subject chapter's."""


@dataclass(frozen=True)
class Environment:
    name: str
    path: Path

    @property
    def python(self) -> str:
        return str(self.path / "bin" / "python")

    def run_python(self, code: str, *args: str) -> str:
        """Run ``code`` with this environment's Python; its standard output."""
        completed = subprocess.run(
            [self.python, "-c", code, *args], capture_output=True, text=True, check=False
        )
        if completed.returncode != 0:
            last = (completed.stderr.strip().splitlines() or ["no output"])[-1]
            raise BenchmarkError(f"{self.name}: {last}")
        return completed.stdout

    def versions(self, distributions: list[str]) -> dict[str, str]:
        """The installed version of each distribution that is installed here."""
        code = (
            "import importlib.metadata as m, json, sys\n"
            "found = {}\n"
            "for name in sys.argv[1:]:\n"
            "    try:\n"
            "        found[name] = m.version(name)\n"
            "    except m.PackageNotFoundError:\n"
            "        pass\n"
            "print(json.dumps(found))"
        )
        return json.loads(self.run_python(code, *distributions))

    def pinned(self) -> str:
        """Every installed distribution as ``name==version`` (a constraints file's text)."""
        frozen = uv("pip", "freeze", "--python", self.python)
        return "".join(line + "\n" for line in frozen.splitlines() if "==" in line)


def uv(*args: str) -> str:
    executable = shutil.which("uv")
    if executable is None:
        raise BenchmarkError("uv is not installed: python -m pip install uv")
    completed = subprocess.run([executable, *args], capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise BenchmarkError(f"uv {' '.join(args[:2])} failed: {completed.stderr.strip()}")
    return completed.stdout


def ensure_environment(directory: Path, inputs: str, install: list[str]) -> Environment:
    """The environment in ``directory``, (re)built with ``uv pip install *install`` if needed."""
    environment = Environment(directory.name, directory)
    digest = hashlib.sha256(inputs.encode()).hexdigest()
    stamp = directory / STAMP
    if stamp.is_file() and stamp.read_text() == digest:
        return environment
    print(f"bench: building the environment {directory.name}", flush=True)
    uv("venv", "--clear", "--quiet", "--python", sys.executable, str(directory))
    uv("pip", "install", "--quiet", "--python", environment.python, *install)
    stamp.write_text(digest)
    return environment


def chapter_environment(envs_dir: Path, chapter: Chapter) -> Environment:
    pyproject = (chapter.path / "pyproject.toml").read_text()
    return ensure_environment(envs_dir / chapter.name, pyproject, ["-e", str(chapter.path)])


def reference_environment(envs_dir: Path, pinned_like: Environment) -> Environment:
    """The reference apps' environment, with the same library versions as ``pinned_like``."""
    constraints = pinned_like.pinned()
    constraints_file = envs_dir / "reference-constraints.txt"
    constraints_file.parent.mkdir(parents=True, exist_ok=True)
    constraints_file.write_text(constraints)
    return ensure_environment(
        envs_dir / "reference",
        constraints + " ".join(REFERENCE_REQUIREMENTS),
        [*REFERENCE_REQUIREMENTS, "--constraint", str(constraints_file)],
    )
