"""Alembic across the control schema and every tenant schema.

Two trees: `migrations/control` (the control schema) and `migrations/tenant` (the same for every
tenant schema; each schema keeps its own `alembic_version`). The tenant tree's scripts name no schema:
a transaction-scoped `search_path` points them at one tenant's schema at a time.

Speed matters at a thousand schemas, so:
- the script directory is read once per process, not once per schema;
- which schemas are behind is found with one query over all version tables, so a no-op run costs one
  round trip per few hundred schemas;
- behind schemas are migrated in a bounded pool of processes (Alembic's `op` and `context` proxies are
  process-global, so threads or coroutines could cross-talk), each schema in its own transaction, so an
  interrupted run resumes where it stopped.
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from alembic.config import Config
from alembic.migration import MigrationContext, MigrationInfo
from alembic.operations import Operations
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import URL

from tenants.base import CONTROL_SCHEMA
from tenants.sql import quote_identifier, quote_literal

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
CONTROL_TREE = MIGRATIONS_DIR / "control"
TENANT_TREE = MIGRATIONS_DIR / "tenant"
VERSION_TABLE = "alembic_version"
_VERSION_QUERY_BATCH = 500


def alembic_config(tree: Path, extra_version_locations: Sequence[Path] = ()) -> Config:
    config = Config()
    config.set_main_option("script_location", str(tree))
    locations = [str(tree / "versions"), *(str(p) for p in extra_version_locations)]
    config.set_main_option("version_locations", " ".join(locations))
    config.set_main_option("path_separator", "space")
    return config


@lru_cache(maxsize=8)
def script_directory(tree: Path, extra_version_locations: tuple[Path, ...] = ()) -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config(tree, extra_version_locations))


# Told after each revision an upgrade applies: (revisions applied so far, revisions to apply, the
# revision's id and title).
RevisionCallback = Callable[[int, int, str], None]


def upgrade_in_schema(
    connection: Connection,
    script: ScriptDirectory,
    schema: str,
    destination: str = "head",
    *,
    on_revision: RevisionCallback | None = None,
) -> tuple[str | None, str | None]:
    """Upgrade one schema inside the caller's transaction; returns (revision before, after)."""
    connection.execute(text("SELECT set_config('search_path', :schema, true)"), {"schema": schema})
    before: list[str | None] = []
    total: list[int] = []

    def _steps(heads: Any, context: MigrationContext) -> Any:
        before.append(context.get_current_revision())
        steps = script._upgrade_revs(destination, heads)
        total.append(len(steps))
        return steps

    opts: dict[str, Any] = {
        "version_table_schema": schema,
        "fn": _steps,
        "script": script,
        "destination_rev": destination,
    }
    if on_revision is not None:
        applied = 0

        def _applied(*, step: MigrationInfo, **_: Any) -> None:
            nonlocal applied
            applied += 1
            revision = step.up_revision_id or ""
            found = script.get_revision(revision)
            title = " ".join(found.doc.split()) if found is not None else ""
            on_revision(applied, total[0], f"{revision} {title}".strip())

        opts["on_version_apply"] = [_applied]
    context = MigrationContext.configure(connection, opts=opts)
    with Operations.context(context):
        context.run_migrations()
    return before[0] if before else None, context.get_current_revision()


def schema_versions(connection: Connection, schemas: Iterable[str]) -> dict[str, str | None]:
    """The Alembic revision of each schema (None: no version table yet), in few round trips."""
    wanted = list(schemas)
    with_table = set(
        connection.execute(
            text(
                "SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE c.relname = :table AND c.relkind = 'r' AND n.nspname = ANY(:schemas)"
            ),
            {"table": VERSION_TABLE, "schemas": wanted},
        ).scalars()
    )
    versions: dict[str, str | None] = dict.fromkeys(wanted)
    present = [s for s in wanted if s in with_table]
    for start in range(0, len(present), _VERSION_QUERY_BATCH):
        batch = present[start : start + _VERSION_QUERY_BATCH]
        # Schema names come from control.tenants, where provisioning validated them; quoting them
        # anyway keeps this safe even if a row were edited by hand.
        union = " UNION ALL ".join(
            f"SELECT {quote_literal(s)} AS schema, version_num FROM {quote_identifier(s)}.{VERSION_TABLE}"  # noqa: S608
            for s in batch
        )
        for schema, version in connection.execute(text(union)):
            versions[schema] = version
    return versions


def upgrade_control(engine: Engine) -> tuple[str | None, str | None]:
    script = script_directory(CONTROL_TREE)
    with engine.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA IF NOT EXISTS {CONTROL_SCHEMA}"))
        return upgrade_in_schema(connection, script, CONTROL_SCHEMA)


@dataclass
class SchemaResult:
    schema: str
    before: str | None
    after: str | None
    seconds: float
    error: str | None = None


@dataclass
class MigrationSummary:
    head: str
    total: int
    already_current: int
    upgraded: list[SchemaResult] = field(default_factory=list)
    failed: list[SchemaResult] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failed


ProgressCallback = Callable[[int, int, SchemaResult], None]

# One engine per worker process, made by the pool's initializer.
_worker_engine: Engine | None = None
_worker_tree: tuple[Path, ...] = ()


def _init_worker(url: URL, extra_version_locations: tuple[Path, ...]) -> None:
    global _worker_engine, _worker_tree
    _worker_engine = create_engine(url, pool_size=1, max_overflow=0, hide_parameters=True)
    _worker_tree = extra_version_locations


def _upgrade_one(schema: str) -> SchemaResult:
    assert _worker_engine is not None
    return upgrade_tenant_schema(_worker_engine, schema, _worker_tree)


def upgrade_tenant_schema(engine: Engine, schema: str, extra_version_locations: tuple[Path, ...] = ()) -> SchemaResult:
    script = script_directory(TENANT_TREE, extra_version_locations)
    started = time.perf_counter()
    try:
        with engine.begin() as connection:
            before, after = upgrade_in_schema(connection, script, schema)
    except Exception as exc:  # one schema's failure must not stop the others; it is reported
        return SchemaResult(schema, None, None, time.perf_counter() - started, _one_line(exc))
    return SchemaResult(schema, before, after, time.perf_counter() - started)


def _one_line(exc: BaseException) -> str:
    # The database's message without the SQL and its parameters, which may hold personal data.
    cause = getattr(exc, "orig", None) or exc
    first = (str(cause).strip().splitlines() or [""])[0]
    return f"{type(cause).__name__}: {first}"


def upgrade_tenant_schemas(
    engine: Engine,
    schemas: Sequence[str],
    *,
    jobs: int = 4,
    extra_version_locations: tuple[Path, ...] = (),
    on_progress: ProgressCallback | None = None,
) -> MigrationSummary:
    started = time.perf_counter()
    head = script_directory(TENANT_TREE, extra_version_locations).get_current_head()
    assert head is not None
    with engine.connect() as connection:
        versions = schema_versions(connection, schemas)
    behind = [s for s in schemas if versions.get(s) != head]
    summary = MigrationSummary(head=head, total=len(schemas), already_current=len(schemas) - len(behind))

    def record(done: int, result: SchemaResult) -> None:
        (summary.failed if result.error else summary.upgraded).append(result)
        if on_progress is not None:
            on_progress(done, len(behind), result)

    if len(behind) <= 1 or jobs <= 1:
        for done, schema in enumerate(behind, start=1):
            record(done, upgrade_tenant_schema(engine, schema, extra_version_locations))
    else:
        # forkserver: children start from a clean process, not a fork of one that holds pooled sockets
        # or runs threads (the CLI's progress bar).
        engine.dispose()
        context = multiprocessing.get_context("forkserver")
        with ProcessPoolExecutor(
            max_workers=min(jobs, len(behind)),
            mp_context=context,
            initializer=_init_worker,
            initargs=(engine.url, extra_version_locations),
        ) as pool:
            futures = {pool.submit(_upgrade_one, schema): schema for schema in behind}
            for done, future in enumerate(as_completed(futures), start=1):
                try:
                    result = future.result()
                except Exception as exc:  # a worker that died: its schema is reported, the run goes on
                    result = SchemaResult(futures[future], None, None, 0.0, _one_line(exc))
                record(done, result)
    summary.seconds = time.perf_counter() - started
    return summary
