"""Shared fixtures: a fresh database on a real Postgres, real Redis, the app, tenants and tokens.

With DATABASE_URL and REDIS_URL set (CI), the tests use those servers; unset, they start the embedded
ones in .crosswalk/test-services, as the README's test command does on a fresh machine. Every run
creates its own database (and roles prefixed with its name) and drops both at the end.
"""

from __future__ import annotations

import dataclasses
import os
import secrets
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet
from joserfc.jwk import ECKey
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from backend.app import AppCollaborators, build_collaborators, create_app
from backend.auth.principal import UserRole
from backend.auth.ratelimits import Limit
from backend.auth.tokens import TokenSigner, user_claims
from backend.settings import Settings, as_psycopg_url
from backend.skills.catalog import import_catalog
from backend.skills.esco import BUNDLED_SKILLS
from backend.skills.models import CatalogKind
from tenants.migrator import upgrade_control
from tenants.provisioning import RoleNames, create_tenant, ensure_platform_roles
from tenants.sessions import Database, TenantRef

REPO = Path(__file__).resolve().parent.parent
# The suite's requests all come from one address (and many from a few tokens): its app would trip the
# production rate limits and the console's address lock-out. The tests of those build apps with small
# limits of their own (tests/*/test_rate_limits.py).
OUT_OF_REACH_LIMITS: dict[str, str] = {
    **{f"rate_limit_{limit.value}": "1000000/minute" for limit in Limit},
    "console_lockout_address_failures": "100000",
}


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto` (the default, pyproject.toml): most tests wait on servers, browsers and processes rather
    than on a core, so two workers pay even on one core. At most three: each worker holds up to about
    25 Postgres connections at its peak (served apps, browsers' sessions, pools), and a default Postgres
    allows 100."""
    return min(max(os.cpu_count() or 1, 2), 3)


def pytest_configure(config: pytest.Config) -> None:
    """Without DATABASE_URL and REDIS_URL, start the embedded servers once, in the process that runs
    pytest, and hand them to the test workers (pytest-xdist) through the environment they inherit: a
    worker that started them would stop them under the others when it finished first."""
    if hasattr(config, "workerinput") or (os.environ.get("DATABASE_URL") and os.environ.get("REDIS_URL")):
        return
    from backend.embedded import start_embedded_services

    embedded = start_embedded_services(REPO / ".crosswalk" / "test-services")
    config.add_cleanup(embedded.stop)
    os.environ.setdefault("DATABASE_URL", embedded.database_url)
    os.environ.setdefault("REDIS_URL", embedded.redis_url)


@pytest.fixture(scope="session")
def server_urls() -> tuple[str, str]:
    """The servers of the run: the environment's, or the embedded ones `pytest_configure` started."""
    return os.environ["DATABASE_URL"], os.environ["REDIS_URL"]


def _admin_engine(url: str) -> Engine:
    return create_engine(as_psycopg_url(make_url(url)), isolation_level="AUTOCOMMIT", pool_size=1)


@pytest.fixture(scope="session")
def settings(server_urls: tuple[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    server_url, redis_url = server_urls
    name = f"cwt_{secrets.token_hex(4)}"
    admin = _admin_engine(server_url)
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    database_url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    key = ECKey.generate_key("P-256", private=True)
    test_settings = Settings(
        secrets_key=Fernet.generate_key().decode(),
        environment="test",
        database_url=database_url,
        redis_url=redis_url,
        data_dir=tmp_path_factory.mktemp("data"),
        token_signing_key=key.as_pem(private=True).decode(),
        tenant_cache_seconds=0,
        # The tests' OpenID providers are plain http on loopback.
        sso_allow_loopback_http=True,
        # The run's own broker keys: jobs of parallel test runs on one Redis never meet.
        broker_namespace=name,
        **OUT_OF_REACH_LIMITS,
    )
    owner = create_engine(as_psycopg_url(test_settings.owner_url))
    upgrade_control(owner)
    ensure_platform_roles(owner, RoleNames(test_settings.role_prefix))
    import_catalog(owner, BUNDLED_SKILLS, CatalogKind.SKILL)
    owner.dispose()
    yield test_settings
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        roles = connection.execute(
            text("SELECT rolname FROM pg_roles WHERE rolname LIKE :p"), {"p": f"{name}\\_%"}
        ).scalars()
        for role in list(roles):
            connection.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
    admin.dispose()


@pytest.fixture(scope="session")
def owner_engine(settings: Settings) -> Iterator[Engine]:
    engine = create_engine(as_psycopg_url(settings.owner_url), pool_size=2)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def roles(settings: Settings) -> RoleNames:
    return RoleNames(settings.role_prefix)


TenantFactory = Callable[..., TenantRef]


@pytest.fixture(scope="session")
def make_tenant(owner_engine: Engine, roles: RoleNames) -> TenantFactory:
    def make(slug: str | None = None, name: str | None = None) -> TenantRef:
        slug = slug or f"co_{secrets.token_hex(4)}"
        return create_tenant(owner_engine, roles, slug, name or slug.replace("_", " ").title())

    return make


@pytest.fixture(scope="session")
async def collaborators(settings: Settings) -> AppCollaborators:
    """What the session's app is built with, for tests that use one of them (its signer, its key box)."""
    return build_collaborators(settings)


@pytest.fixture(scope="session")
async def app(settings: Settings, collaborators: AppCollaborators) -> AsyncIterator[Litestar]:
    return create_app(settings, collaborators)


@pytest.fixture(scope="session")
async def client(app: Litestar) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with AsyncTestClient(app) as test_client:
        yield test_client


@pytest.fixture(scope="session")
async def database(settings: Settings) -> AsyncIterator[Database]:
    """The serving database for tests that read or write as a tenant directly (the app's own pool
    belongs to the test client's event loop)."""
    database = Database(settings.serving_url, pool_size=4)
    yield database
    await database.dispose()


@pytest.fixture(scope="session")
def signer(collaborators: AppCollaborators) -> TokenSigner:
    signer = collaborators.signer
    assert isinstance(signer, TokenSigner)
    return signer


def process_env(settings: Settings, data_dir: Path) -> dict[str, str]:
    """The environment of a `crosswalk` process (server or CLI) that shares the test run's database,
    Redis and keys."""
    assert settings.token_signing_key is not None
    assert settings.secrets_key is not None
    return {
        **os.environ,
        "ENVIRONMENT": "test",
        "DATABASE_URL": settings.owner_url.render_as_string(hide_password=False),
        "REDIS_URL": str(settings.redis_url),
        "TOKEN_SIGNING_KEY": settings.token_signing_key.get_secret_value(),
        "SECRETS_KEY": settings.secrets_key.get_secret_value(),
        "DATA_DIR": str(data_dir),
        "BROKER_NAMESPACE": settings.broker_namespace,
        "SSO_ALLOW_LOOPBACK_HTTP": "true" if settings.sso_allow_loopback_http else "false",
        **{name.upper(): value for name, value in OUT_OF_REACH_LIMITS.items()},
    }


def free_port() -> int:
    """A TCP port on loopback that nothing listens on now (bound by the caller soon after)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def log_tail(log: Path, lines: int = 60) -> str:
    """The last `lines` lines of a process's log, for failure messages."""
    try:
        text_lines = log.read_text(errors="replace").splitlines()
    except FileNotFoundError:
        return f"({log} was not written)"
    return "\n".join(text_lines[-lines:])


@dataclasses.dataclass(frozen=True)
class ServedApp:
    base_url: str
    port: int
    log: Path


@contextmanager
def serve_app(
    settings: Settings,
    log_dir: Path,
    *,
    port: int | None = None,
    extra_env: Mapping[str, str] | None = None,
    # Generous: a loaded 2-core machine takes a while to import the app (scipy, OR-Tools, SQLAdmin).
    start_timeout: float = 120.0,
) -> Iterator[ServedApp]:
    """`crosswalk serve` in its own process on `port` (a free one if None) for the test database, with
    `extra_env` on top of the run's environment; stopped on exit. Fails the test with the tail of the
    server's log if it does not answer /health in time."""
    port = port or free_port()
    env = {
        **process_env(settings, log_dir),
        "TENANT_CACHE_SECONDS": "0",
        "LOG_LEVEL": "WARNING",
        **(extra_env or {}),
    }
    log_path = log_dir / "server.log"
    base = f"http://127.0.0.1:{port}"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [str(Path(sys.executable).parent / "crosswalk"), "serve", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + start_timeout
            while True:
                try:
                    if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    why = f"exited with {process.returncode}" if process.poll() is not None else "did not answer"
                    pytest.fail(f"the server {why} on {base}; the tail of {log_path}:\n{log_tail(log_path)}")
                time.sleep(0.1)
            yield ServedApp(base, port, log_path)
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


@pytest.fixture(scope="session")
def app_base_url(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The API served by `crosswalk serve` in its own process, on a free port, for the test database."""
    with serve_app(settings, tmp_path_factory.mktemp("server")) as served:
        yield served.base_url


TokenFactory = Callable[..., dict[str, str]]


@pytest.fixture(scope="session")
def auth(signer: TokenSigner) -> TokenFactory:
    """Authorization headers for a caller of `tenant` with `roles` (and optionally an employee id)."""

    def headers(
        tenant: TenantRef,
        *roles: UserRole,
        employee_id: uuid.UUID | None = None,
        scopes: tuple[str, ...] | None = None,
        ttl: int | None = None,
    ) -> dict[str, str]:
        subject = f"employee:{employee_id}" if employee_id else f"test:{uuid.uuid4()}"
        claims = user_claims(tenant, frozenset(roles or (UserRole.HR_ADMIN,)), subject=subject, employee_id=employee_id)
        if scopes is not None:
            claims = dataclasses.replace(claims, scopes=scopes)
        return {"Authorization": f"Bearer {signer.mint(claims, ttl)}"}

    return headers
