"""Virtual environments for the apps under test: built once, rebuilt when their inputs change."""

from shared.bench import envs


def record_uv(monkeypatch) -> list[tuple[str, ...]]:
    calls = []

    def fake_uv(*args: str) -> str:
        calls.append(args)
        return ""

    monkeypatch.setattr(envs, "uv", fake_uv)
    return calls


def test_an_environment_is_built_then_reused_while_its_inputs_stay_the_same(tmp_path, monkeypatch):
    calls = record_uv(monkeypatch)
    directory = tmp_path / "ch10"
    directory.mkdir()
    first = envs.ensure_environment(directory, "inputs v1", ["-e", "chapters/ch10"])
    assert [call[:2] for call in calls] == [("venv", "--clear"), ("pip", "install")]
    assert calls[1][-2:] == ("-e", "chapters/ch10")
    assert first.python == str(directory / "bin" / "python")

    calls.clear()
    envs.ensure_environment(directory, "inputs v1", ["-e", "chapters/ch10"])
    assert calls == []

    envs.ensure_environment(directory, "inputs v2", ["-e", "chapters/ch10"])
    assert [call[0] for call in calls] == ["venv", "pip"]


def test_the_reference_environment_is_pinned_to_the_subjects_versions(tmp_path, monkeypatch):
    calls = record_uv(monkeypatch)
    subject = envs.Environment("ch10", tmp_path / "ch10")
    monkeypatch.setattr(
        envs.Environment, "pinned", lambda self: "fastapi==0.165.0\nuvicorn==0.54.0\n"
    )
    (tmp_path / "reference").mkdir()
    envs.reference_environment(tmp_path, subject)
    constraints = tmp_path / "reference-constraints.txt"
    assert constraints.read_text() == "fastapi==0.165.0\nuvicorn==0.54.0\n"
    install = calls[-1]
    assert install[install.index("--constraint") + 1] == str(constraints)
    assert {"fastapi", "uvicorn", "asyncpg", "pydantic"} <= set(install)
