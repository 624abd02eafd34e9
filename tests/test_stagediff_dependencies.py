"""Dependencies between the two pyproject.toml files, and Alembic revisions between stages."""

from pathlib import Path
from textwrap import dedent

from shared.stagediff import compare
from shared.stagediff.dependencies import DependencyStatus
from shared.stagediff.migrations import MigrationStatus


def pyproject(dependencies: list[str], test: list[str]) -> str:
    listed = ", ".join(f'"{item}"' for item in dependencies)
    extra = ", ".join(f'"{item}"' for item in test)
    return (
        f'[project]\nname = "neodyme"\ndependencies = [{listed}]\n\n'
        f"[project.optional-dependencies]\ntest = [{extra}]\n"
    )


def stage(root: Path, files: dict[str, str]) -> Path:
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    return root


def test_dependencies_added_removed_and_re_pinned_per_group(tmp_path):
    old = stage(
        tmp_path / "old",
        {
            "pyproject.toml": pyproject(
                ["fastapi>=0.110", "Email_Validator>=2.0", "gone"], ["pytest"]
            )
        },
    )
    new = stage(
        tmp_path / "new",
        {
            "pyproject.toml": pyproject(
                ["fastapi >= 0.110", "email-validator>=2.2", "pydantic-settings>=2.7"],
                ["pytest", "httpx>=0.28"],
            )
        },
    )

    changes = [
        (change.status, change.group, change.name, change.old, change.new)
        for change in compare(old, new).dependencies
    ]

    assert changes == [
        (
            DependencyStatus.REPINNED,
            "dependencies",
            "email-validator",
            "Email_Validator>=2.0",
            "email-validator>=2.2",
        ),
        (DependencyStatus.REMOVED, "dependencies", "gone", "gone", None),
        (
            DependencyStatus.ADDED,
            "dependencies",
            "pydantic-settings",
            None,
            "pydantic-settings>=2.7",
        ),
        (DependencyStatus.ADDED, "test", "httpx", None, "httpx>=0.28"),
    ]


def test_a_stage_without_pyproject_has_no_dependencies(tmp_path):
    old = stage(tmp_path / "old", {"README.md": "hi\n"})
    new = stage(tmp_path / "new", {"pyproject.toml": pyproject(["fastapi"], [])})

    [change] = compare(old, new).dependencies

    assert (change.status, change.name) == (DependencyStatus.ADDED, "fastapi")


def revision(number: str, down: str | None, message: str, extra: str = "") -> str:
    return dedent(
        f'''
        """{message}

        Revision ID: {number}
        """

        from alembic import op

        revision: str = "{number}"
        down_revision: str | None = {down!r}


        def upgrade() -> None:
            op.execute("SELECT {number}"){extra}


        def downgrade() -> None:
            pass
        '''
    ).lstrip()


def test_migrations_added_removed_and_edited_with_the_head(tmp_path):
    versions = "alembic/versions"
    old = stage(
        tmp_path / "old",
        {
            f"{versions}/0001_create_user.py": revision("0001", None, "Create user."),
            f"{versions}/0002_add_flag.py": revision("0002", "0001", "Add a flag."),
            f"{versions}/0003_dropped.py": revision("0003", "0002", "Later dropped."),
        },
    )
    new = stage(
        tmp_path / "new",
        {
            f"{versions}/0001_create_user.py": revision("0001", None, "Create user."),
            f"{versions}/0002_add_flag.py": revision("0002", "0001", "Add a flag.", "  # fixed"),
            f"{versions}/0003_create_todo.py": revision("0003b", "0002", "Create todo."),
            f"{versions}/0004_create_token.py": revision("0004", "0003b", "Create token."),
        },
    )

    diff = compare(old, new)
    changes = [
        (change.status, change.revision.revision, change.revision.message)
        for change in diff.migrations.changes
    ]

    assert changes == [
        (MigrationStatus.ADDED, "0003b", "Create todo."),
        (MigrationStatus.ADDED, "0004", "Create token."),
        (MigrationStatus.REMOVED, "0003", "Later dropped."),
        (MigrationStatus.EDITED, "0002", "Add a flag."),
    ]
    assert (diff.migrations.old_heads, diff.migrations.new_heads) == (["0003"], ["0004"])


def test_revision_files_are_migrations_not_symbols(tmp_path):
    old = stage(tmp_path / "old", {"alembic/versions/0001_a.py": revision("0001", None, "A.")})
    new = stage(
        tmp_path / "new",
        {
            "alembic/versions/0001_a.py": revision("0001", None, "A."),
            "alembic/versions/0002_b.py": revision("0002", "0001", "B."),
        },
    )

    diff = compare(old, new)

    assert diff.symbols == []
    assert [change.revision.revision for change in diff.migrations.changes] == ["0002"]
