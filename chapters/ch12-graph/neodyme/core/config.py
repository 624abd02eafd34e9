"""Every setting in one place, read from ``NEODYME_*`` environment variables and ``.env``.

``Settings`` validates as it loads: a production configuration with a weak or missing secret,
a cheap bcrypt cost or debug output refuses to load, with a message naming the variable to fix.
"""

from functools import lru_cache
from typing import Annotated, Literal, Self

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEVELOPMENT_SECRET_KEY = "development-only-secret-key-never-use-it-in-production-0123456789"
MIN_SECRET_KEY_BYTES = 32
MIN_PRODUCTION_BCRYPT_ROUNDS = 12


class ConfigurationError(Exception):
    """The settings cannot be loaded; the message names each variable and what is wrong."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="NEODYME_",
        env_file=".env",
        env_file_encoding="utf-8",
        env_ignore_empty=True,
        extra="ignore",
    )

    environment: Literal["development", "testing", "production"] = "development"
    debug: bool = Field(False, description="Log every SQL statement. Never in production.")
    database_url: str = "sqlite+aiosqlite:///./neodyme.db"
    database_connect_timeout_seconds: float = Field(
        5.0, gt=0, le=30, description="How long opening a database connection may take (then 503)."
    )
    secret_key: SecretStr | None = Field(
        None, description="JWT signing key: required, at least 32 bytes, in production."
    )
    access_token_expire_minutes: int = Field(15, ge=1, le=24 * 60)
    refresh_token_expire_days: int = Field(7, ge=1, le=365)
    bcrypt_rounds: int = Field(12, ge=4, le=31)
    api_prefix: str = Field("/api/v1", pattern=r"^(/[a-z0-9_-]+)*$")
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Comma-separated origins allowed to call the API."
    )
    docs_enabled: bool | None = Field(
        None, description="Serve /docs, /redoc and /openapi.json; default: not in production."
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    login_failures_allowed: int = Field(
        5,
        ge=1,
        description="Failed logins (and wrong current passwords) for one account from one "
        "client within the window; the next try is a 429.",
    )
    login_failures_per_account: int = Field(
        20,
        ge=1,
        description="Failed logins for one account from any clients within the window: slows "
        "guessing spread over many addresses (80 an hour, under ASVS's 100). An attacker can "
        "use it to lock an account out for the window: the price of the limit.",
    )
    login_failures_per_client: int = Field(
        100,
        ge=1,
        description="Failed logins from one client for any accounts within the window: loose, "
        "because one address can be a whole office behind a NAT.",
    )
    email_claims_allowed: int = Field(
        10,
        ge=1,
        description="Sign-ups per client, and email changes per client and per account, within "
        "the window: each 409 tells whether an address has an account.",
    )
    login_failure_window_seconds: int = Field(
        15 * 60, ge=1, description="The window that every limit above counts in."
    )
    max_body_bytes: int = Field(
        1024 * 1024, ge=1, description="The largest request body accepted; larger is a 413."
    )
    host: str = Field("127.0.0.1", description="Address to listen on; 0.0.0.0 in a container.")
    port: int = Field(8000, ge=1, le=65535)
    workers: int = Field(1, ge=1, le=64)
    forwarded_allow_ips: str = Field(
        "127.0.0.1",
        description="Proxies whose X-Forwarded-* headers are trusted (comma-separated).",
    )
    graceful_shutdown_seconds: int = Field(
        30, ge=1, description="How long in-flight requests may finish after SIGTERM."
    )
    keep_alive_seconds: int = Field(
        75,
        ge=1,
        le=3600,
        description="How long an idle connection stays open; above the proxy's own (60 s).",
    )
    database_wait_seconds: int = Field(
        60, ge=0, description="How long start-up waits for the database to accept connections."
    )
    readiness_timeout_seconds: float = Field(2.0, gt=0, le=30)
    log_format: Literal["json", "text"] = Field(
        "json", description="json: one object a line, for machines; text: for a terminal."
    )
    slow_request_ms: float = Field(
        500, ge=0, description="Requests slower than this are also logged as slow_request."
    )
    metrics_enabled: bool = Field(True, description="Serve Prometheus metrics at GET /metrics.")
    sentry_dsn: SecretStr | None = Field(
        None, description='Report errors to Sentry; needs pip install "neodyme[sentry]".'
    )
    pool_size: int = Field(20, ge=1, le=1000, description="Database connections kept open.")
    pool_max_overflow: int = Field(
        0, ge=0, le=1000, description="Extra connections for a burst, closed as each is returned."
    )
    pool_timeout_seconds: float = Field(
        5.0, gt=0, le=300, description="How long a request waits for a free connection (then 503)."
    )
    pool_recycle_seconds: int = Field(
        1800, ge=-1, description="Replace connections older than this; -1 never does."
    )
    pool_pre_ping: bool = Field(
        False, description="Test each connection before use: safer, one round trip slower."
    )
    statement_timeout_ms: int = Field(
        5000, ge=0, description="PostgreSQL cancels a statement running longer; 0: no limit."
    )
    redis_url: str | None = Field(
        None, description="Redis for the cache and the rate limits; unset: in-process."
    )
    redis_key_prefix: str = Field("neodyme:", description="Prefix of every key Neodyme writes.")
    redis_timeout_seconds: float = Field(0.25, gt=0, le=10)
    cache_ttl_seconds: int = Field(
        30, ge=0, le=3600, description="How long a cached read may be served; 0: no cache."
    )
    cache_max_entries: int = Field(10_000, ge=1, description="Bound of the in-process cache.")
    graph_url: str | None = Field(
        None,
        description="Bolt URL of the graph that projects the todos' blockers "
        "(bolt://neo4j:7687); unset: every traversal is recursive SQL.",
    )
    graph_user: str = Field("neo4j", description="The user the app logs in to the graph as.")
    graph_password: SecretStr | None = Field(None, description="That user's password.")
    graph_database: str = Field("neo4j", description="The graph database that holds the todos.")
    graph_timeout_seconds: float = Field(
        2.0, gt=0, le=30, description="How long a graph call may take before SQL answers instead."
    )

    @field_validator("cors_origins", mode="before")
    @classmethod
    def split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def upper_case_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @model_validator(mode="after")
    def check_production_safety(self) -> Self:
        if self.environment == "production":
            key = self.secret_key.get_secret_value() if self.secret_key else ""
            if len(key.encode()) < MIN_SECRET_KEY_BYTES or key == DEVELOPMENT_SECRET_KEY:
                raise ValueError(
                    f"NEODYME_SECRET_KEY must be set to a random value of at least "
                    f"{MIN_SECRET_KEY_BYTES} bytes in production "
                    '(python -c "import secrets; print(secrets.token_urlsafe(48))")'
                )
            if self.debug:
                raise ValueError("NEODYME_DEBUG must be false in production")
        if self.environment != "testing" and self.bcrypt_rounds < MIN_PRODUCTION_BCRYPT_ROUNDS:
            raise ValueError(
                f"NEODYME_BCRYPT_ROUNDS must be at least {MIN_PRODUCTION_BCRYPT_ROUNDS} "
                "outside testing"
            )
        return self

    @property
    def signing_key(self) -> str:
        """The secret key, or the well-known development key outside production."""
        return self.secret_key.get_secret_value() if self.secret_key else DEVELOPMENT_SECRET_KEY

    @property
    def serve_docs(self) -> bool:
        if self.docs_enabled is not None:
            return self.docs_enabled
        return self.environment != "production"


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment (and ``overrides``), or one readable ConfigurationError."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            message = error["msg"].removeprefix("Value error, ")
            if error["loc"]:
                message = f"NEODYME_{str(error['loc'][0]).upper()}: {message}"
            problems.append(message)
        raise ConfigurationError("invalid configuration: " + "; ".join(problems)) from None


@lru_cache
def get_settings() -> Settings:
    """The process's settings, loaded once."""
    return load_settings()
