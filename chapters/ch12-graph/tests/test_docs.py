"""/docs and /redoc load everything from the app itself: they work without internet."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from processes import API_PREFIX, environment, free_port, serving

CHAPTER = Path(__file__).resolve().parents[1]
REMOTE = re.compile(r"""(?:src|href)=["']?(?:https?:)?//""")


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
async def test_docs_pages_reference_only_local_assets(client, path):
    response = await client.get(f"http://test{path}")

    assert response.status_code == 200
    assert REMOTE.findall(response.text) == []
    assets = re.findall(r"/static/docs/[\w.-]+", response.text)
    assert assets
    for asset in assets:
        assert (await client.get(f"http://test{asset}")).status_code == 200


@pytest.fixture
def chromium() -> str:
    path = shutil.which("chromium")
    if path is None:
        if os.environ.get("NEODYME_REQUIRE_SERVICES") == "1":
            pytest.fail("chromium is required (apt-get install chromium) but not installed")
        pytest.skip("Debian's chromium is not installed")
    return path


@pytest.fixture
def live_server(database_url):
    """uvicorn serving the app on a free port (the docs need no data, only the app)."""
    port = free_port()
    settings = environment(environment="testing", bcrypt_rounds="4", database_url=database_url)
    argv = [sys.executable, "-m", "uvicorn", "neodyme.main:app", "--port", str(port)]
    with serving(argv, CHAPTER, settings, port) as base_url:
        yield base_url


def test_swagger_ui_renders_every_operation_with_the_network_cut_off(
    chromium, live_server, tmp_path
):
    """Headless Chromium may resolve no host but 127.0.0.1: a CDN asset would fail to load."""
    result = subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            "--virtual-time-budget=15000",
            "--dump-dom",
            f"{live_server}/docs",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )

    dom = result.stdout
    assert 'class="swagger-ui' in dom
    for path in ("/users/me", "/auth/token", "/todos/{todo_id}"):
        assert f'data-path="{API_PREFIX}{path}"' in dom, path
