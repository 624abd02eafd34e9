"""Error tracking: off by default; with a DSN, an unhandled error reaches Sentry, tagged."""

import sys

import pytest
import sentry_sdk
from conftest import serve
from pydantic import SecretStr
from sentry_sdk.transport import Transport

from neodyme import __version__
from neodyme.core.config import ConfigurationError
from neodyme.main import create_app

DSN = SecretStr("https://public@sentry.example.com/1")


class CapturingTransport(Transport):
    """Keeps the events Sentry would send, instead of sending them over the network."""

    def __init__(self) -> None:
        super().__init__()
        self.events: list[dict] = []

    def capture_envelope(self, envelope) -> None:
        if event := envelope.get_event():
            self.events.append(event)


@pytest.fixture
def sentry_events(monkeypatch):
    """The events sent to Sentry during the test; Sentry is switched off again afterwards."""
    transport = CapturingTransport()
    real_init = sentry_sdk.init
    monkeypatch.setattr(
        sentry_sdk, "init", lambda **options: real_init(transport=transport, **options)
    )
    yield transport.events
    real_init()  # no DSN: a disabled client


def test_error_tracking_is_off_without_a_dsn(settings, monkeypatch):
    calls = []
    monkeypatch.setattr(sentry_sdk, "init", lambda **options: calls.append(options))

    create_app(settings)

    assert calls == []


async def test_an_unhandled_error_is_reported_with_its_request_id(settings, sentry_events):
    app = create_app(settings.model_copy(update={"sentry_dsn": DSN}))

    @app.get("/boom")
    async def boom():
        raise RuntimeError("a bug")

    async with serve(app, raise_app_exceptions=False) as client:
        response = await client.get("http://test/boom", headers={"X-Request-ID": "bug-report-19"})
    sentry_sdk.flush()

    assert response.status_code == 500
    [event] = sentry_events
    [exception] = event["exception"]["values"]
    assert (exception["type"], exception["value"]) == ("RuntimeError", "a bug")
    assert event["tags"]["request_id"] == "bug-report-19"
    assert event["tags"]["route"] == "/boom"
    assert (event["release"], event["environment"]) == (f"neodyme@{__version__}", "testing")


async def test_client_errors_are_not_reported(settings, sentry_events):
    async with serve(create_app(settings.model_copy(update={"sentry_dsn": DSN}))) as client:
        await client.get("/no/such/page")
        await client.post("/users", json={})
    sentry_sdk.flush()

    assert sentry_events == []


def test_a_dsn_without_the_package_is_one_clear_error(settings, monkeypatch):
    monkeypatch.setitem(sys.modules, "sentry_sdk", None)  # "import sentry_sdk" now fails

    with pytest.raises(ConfigurationError) as error:
        create_app(settings.model_copy(update={"sentry_dsn": DSN}))

    assert str(error.value) == (
        'NEODYME_SENTRY_DSN is set but sentry-sdk is not installed: pip install "neodyme[sentry]"'
    )
