"""``nox -s load`` exists and, like ``bench``, is run by hand: never by a bare ``nox``."""

import subprocess
import sys
from pathlib import Path

from shared.chapters import REPOSITORY_ROOT


def test_the_load_session_is_listed_but_not_run_by_default():
    listing = subprocess.run(
        [Path(sys.executable).with_name("nox"), "--list"],
        cwd=REPOSITORY_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()

    assert any(line.startswith("- load -> ") for line in listing)
    assert not any(line.startswith("* load") for line in listing)
