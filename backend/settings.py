"""Settings from environment variables; the README's settings table documents every one."""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

import limits
from pydantic import AfterValidator, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import URL, make_url

from tenants.provisioning import RoleNames

MAX_PARTNER_TOKEN_TTL_SECONDS = 3600


def _rate(value: str) -> str:
    """A rate in the `limits` notation ("60/minute", "1000 per hour"), refused at start-up if unreadable."""
    try:
        limits.parse(value)
    except ValueError as exc:
        raise ValueError(f"{value!r} is not a rate such as '60/minute'") from exc
    return value


def _networks(value: str) -> str:
    for entry in filter(None, (part.strip() for part in value.split(","))):
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError as exc:
            raise ValueError(f"{entry!r} is not an IP address or network") from exc
    return value


Rate = Annotated[str, AfterValidator(_rate)]


# A tenant's jobs on the broker at once (see `job_tenant_in_flight`).
DEFAULT_JOB_TENANT_IN_FLIGHT = 4
# How long a sent job may wait to start before the relay sends it again (see `job_resend_after_seconds`).
DEFAULT_JOB_RESEND_AFTER_SECONDS = 600.0


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=None, extra="ignore", case_sensitive=False)

    environment: Literal["dev", "test", "prod"] = "dev"
    # The owner connection: migrations, provisioning and the CLI. Unset means "start the embedded
    # PostgreSQL in DATA_DIR" (the one-command local run).
    database_url: str | None = None
    # The serving connection. Unset: the owner URL with the user swapped for the app role, which
    # `crosswalk migrate` creates; traffic is then served by a role that owns no table.
    app_database_url: str | None = None
    app_database_password: SecretStr | None = None
    redis_url: str | None = None
    # The job broker: unset means Redis at REDIS_URL; an amqp:// URL selects RabbitMQ.
    broker_url: str | None = None
    # Prefix of the broker's Redis keys, so several deployments (or test runs) can share one Redis.
    broker_namespace: str = Field(default="crosswalk", pattern=r"^[A-Za-z0-9_.:-]{1,64}$")
    # The scheduler re-sends jobs that committed but never reached the broker this often.
    outbox_relay_seconds: float = Field(default=15.0, gt=0, le=3600)
    # A job sent but not started this long after is sent again (a Redis that lost its data lost the
    # message); each further re-send of the same job waits twice as long. Longer than a job's normal
    # wait in the queue and than the retry backoff (5 minutes), so that a job merely waiting its turn
    # is not sent twice (which is harmless, the job record runs it once, but wasteful).
    job_resend_after_seconds: float = Field(default=DEFAULT_JOB_RESEND_AFTER_SECONDS, ge=1, le=86400)
    # A tenant has at most this many jobs on the broker at once (sent, not finished); the rest wait in
    # its outbox and go out as its jobs finish. So one tenant's flood never queues ahead of another
    # tenant's job by more than this many jobs.
    job_tenant_in_flight: int = Field(default=DEFAULT_JOB_TENANT_IN_FLIGHT, ge=1, le=1000)
    # Current skills not confirmed for this long get a reminder in the nightly run.
    skill_stale_days: int = Field(default=365, ge=30, le=3650)
    # Matches are recomputed once changes have been quiet this long, or at the latest this long after
    # the first change waiting, so a burst of edits costs one recompute and none waits forever.
    matching_debounce_seconds: float = Field(default=30.0, ge=0, le=3600)
    matching_max_wait_seconds: float = Field(default=300.0, ge=0, le=86400)
    # The longest wait between a scheduler's attempts to reach Postgres again, and between restarts of
    # a child of `crosswalk run` (or of `crosswalk worker --processes N`) that exited on its own.
    process_backoff_max_seconds: float = Field(default=30.0, ge=0.1, le=3600)
    # How long a worker told to stop (SIGTERM, Ctrl-C) waits for the jobs in hand before it exits anyway.
    # Unset: the longest time limit of its job kinds plus a few seconds, by which the time limit has
    # interrupted any job.
    worker_stop_seconds: float | None = Field(default=None, gt=0, le=86400)
    data_dir: Path = Path(".crosswalk")

    db_pool_size: int = Field(default=10, ge=1, le=200)
    db_max_overflow: int = Field(default=10, ge=0, le=200)
    # Postgres caches catalog entries per backend for every schema it touched (~0.6 MiB a tenant);
    # a connection that has served this many tenants is replaced at its next checkout.
    db_max_tenants_per_connection: int = Field(default=100, ge=1)
    db_pool_recycle_seconds: int = Field(default=1800, ge=60)
    # Bounds on the serving connections (the API's, not migrations' nor jobs'): a statement running
    # longer, a lock waited for longer, a transaction left idle longer is cancelled by Postgres, and a
    # connection not opened in time is given up. A request that meets one answers 503 + Retry-After.
    db_statement_timeout_seconds: float = Field(default=30.0, gt=0, le=3600)
    db_lock_timeout_seconds: float = Field(default=10.0, gt=0, le=3600)
    db_idle_in_transaction_timeout_seconds: float = Field(default=60.0, gt=0, le=3600)
    db_connect_timeout_seconds: float = Field(default=5.0, gt=0, le=300)
    # What a 503 tells clients to wait before retrying, when the database is unreachable or too slow.
    db_unavailable_retry_after_seconds: int = Field(default=5, ge=1, le=3600)
    migrate_jobs: int = Field(default=4, ge=1, le=64)

    # ES256 private key (PEM) that signs access tokens. Unset outside prod: a key is generated
    # once into DATA_DIR so tokens survive restarts of the local run.
    token_signing_key: SecretStr | None = None
    token_issuer: str = "crosswalk"  # noqa: S105 - an issuer name, not a secret
    token_ttl_seconds: int = Field(default=3600, ge=60, le=86400)

    # Fernet key(s), comma-separated, that encrypt stored secrets such as an IdP's client secret; the
    # first encrypts, every one decrypts (rotation). Unset outside prod: generated once into DATA_DIR.
    secrets_key: SecretStr | None = None
    # Where browsers and partners reach this API; the SSO redirect URI is built from it.
    # Unset: http://HOST:PORT.
    public_url: str | None = None
    # A portal session (cookie) lasts this long after an SSO login; logout ends it at once.
    session_ttl_seconds: int = Field(default=8 * 3600, ge=300, le=7 * 86400)
    # Partner access tokens are short-lived: a revoked client loses access within this time at worst,
    # and at once for tokens checked against the revocation list.
    partner_token_ttl_seconds: int = Field(default=900, ge=60, le=MAX_PARTNER_TOKEN_TTL_SECONDS)
    # After a rotation, the previous partner secret keeps working this long unless told otherwise.
    partner_secret_grace_seconds: int = Field(default=86400, ge=0, le=30 * 86400)

    # The consultants' console (/admin). Platform staff sign in through the platform's own OpenID
    # provider (the issuer is discovered; its redirect URI is PUBLIC_URL/admin/auth/callback) ...
    console_oidc_issuer: str | None = None
    console_oidc_client_id: str | None = None
    console_oidc_client_secret: SecretStr | None = None
    # The platform's provider issues verified addresses only, so an id_token without `email_verified`
    # counts as verified; off, the console needs `email_verified: true` (as a tenant's SSO does).
    console_oidc_provider_verifies_emails: bool = False
    # ... or with a password and a TOTP code: on by default outside production, for the dev run.
    console_password_sign_in: bool | None = None
    # A console session ends after this long without a request, and at the latest this long after
    # sign-in, whatever the activity.
    console_session_idle_seconds: int = Field(default=1800, ge=60, le=86400)
    console_session_max_seconds: int = Field(default=12 * 3600, ge=300, le=7 * 86400)

    # Plain http to an identity provider on loopback (127.0.0.0/8, ::1), and only there: for the tests'
    # and the local run's own provider. Off, every provider URL is https to a public address.
    sso_allow_loopback_http: bool = False
    # Failed console sign-ins (password or TOTP) before the account, or the address, is locked out; the
    # lock lasts CONSOLE_LOCKOUT_SECONDS, doubled at each further failure up to the maximum.
    console_lockout_failures: int = Field(default=5, ge=1, le=1000)
    console_lockout_address_failures: int = Field(default=20, ge=1, le=100000)
    console_lockout_seconds: int = Field(default=60, ge=1, le=86400)
    console_lockout_max_seconds: int = Field(default=3600, ge=1, le=7 * 86400)

    # Rate limits (README, "Rate limits"), counted in Redis over a moving window, so that every API
    # process shares one count. Who the caller is: the address the connection comes from, or, when
    # that is one of TRUSTED_PROXIES, the address those proxies put in X-Forwarded-For.
    trusted_proxies: Annotated[str, AfterValidator(_networks)] = ""
    rate_limit_token_per_address: Rate = Field(default="60/minute")
    rate_limit_token_per_client: Rate = Field(default="30/minute")
    rate_limit_token_failures_per_client: Rate = Field(default="10/minute")
    rate_limit_sso_login_per_address: Rate = Field(default="30/minute")
    rate_limit_sso_login_per_tenant: Rate = Field(default="600/minute")
    rate_limit_console_sign_in_per_address: Rate = Field(default="30/minute")
    rate_limit_console_sign_in_per_account: Rate = Field(default="10/minute")
    rate_limit_scim_per_token: Rate = Field(default="1200/minute")
    rate_limit_scim_per_address: Rate = Field(default="1200/minute")
    rate_limit_api_per_token: Rate = Field(default="600/minute")
    rate_limit_api_per_tenant: Rate = Field(default="6000/minute")
    # In-flight API requests of one tenant per API process (backend/api/concurrency.py); the next ones
    # wait up to API_TENANT_QUEUE_SECONDS for a slot, then get 429. It also caps the tenant's share of
    # the process's database pool (DB_POOL_SIZE + DB_MAX_OVERFLOW).
    api_tenant_concurrency: int = Field(default=4, ge=1, le=1000)
    api_tenant_queue_seconds: float = Field(default=3.0, ge=0, le=60)

    # The local OpenID provider that `crosswalk run` starts for the demo company's SSO.
    demo_idp_port: int = Field(default=8001, ge=1, le=65535)

    # The edges of HTTP, held by the server (backend/server.py) and the app (backend/api/bounds.py): a
    # request line and headers larger than this are a 431; a connection that has not sent a whole
    # request head this long after it opened (or after its last response) is closed, with a 408 if it
    # sent part of one; a body not received whole this long after its head is a 408; JSON nested
    # deeper than this is a 400.
    http_max_head_bytes: int = Field(default=65536, ge=4096, le=16 * 1024 * 1024)
    http_head_timeout_seconds: float = Field(default=10.0, gt=0, le=3600)
    http_body_timeout_seconds: float = Field(default=60.0, gt=0, le=3600)
    http_json_max_depth: int = Field(default=64, ge=8, le=500)

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    tenant_cache_seconds: float = Field(default=5.0, ge=0)

    @property
    def base_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def trusted_proxy_networks(self) -> list[str]:
        return [part.strip() for part in self.trusted_proxies.split(",") if part.strip()]

    @property
    def console_password_enabled(self) -> bool:
        if self.console_password_sign_in is None:
            return self.environment != "prod"
        return self.console_password_sign_in

    @property
    def owner_url(self) -> URL:
        if self.database_url is None:
            raise RuntimeError("DATABASE_URL is not set and the embedded database was not started")
        return as_asyncpg_url(self.database_url)

    @property
    def database_name(self) -> str:
        name = self.owner_url.database
        if not name:
            raise RuntimeError("DATABASE_URL must name a database")
        return name

    @property
    def role_prefix(self) -> str:
        # Roles are cluster-wide while schemas are per database: prefixing roles with the database
        # name lets several Crosswalk databases (dev, test, bench) share one server.
        return f"{self.database_name}_"

    @property
    def app_role(self) -> str:
        return RoleNames(self.role_prefix).app

    @property
    def serving_url(self) -> URL:
        if self.app_database_url:
            return as_asyncpg_url(self.app_database_url)
        password = self.app_database_password.get_secret_value() if self.app_database_password else None
        return self.owner_url.set(username=self.app_role, password=password)


def as_asyncpg_url(url: str) -> URL:
    parsed = make_url(url)
    return parsed.set(drivername="postgresql+asyncpg")


def as_psycopg_url(url: URL) -> URL:
    return url.set(drivername="postgresql+psycopg")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
