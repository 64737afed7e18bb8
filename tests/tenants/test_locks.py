"""Advisory locks: a tenant's lock is its own, a global one is everyone's, and the code takes no other."""

from __future__ import annotations

import re

import pytest

from tenants.locks import global_lock_key, lock_global, lock_tenant, tenant_lock_key
from tenants.sessions import Database, TenantNotPinnedError
from tests.conftest import REPO, TenantFactory


async def test_a_tenants_lock_is_its_own_and_a_global_lock_is_everyones(
    make_tenant: TenantFactory, database: Database
) -> None:
    first, second = make_tenant(), make_tenant()
    assert tenant_lock_key(first, "x") != tenant_lock_key(second, "x") != global_lock_key("x")
    async with database.tenant_session(first) as a, a.begin():
        assert await lock_tenant(a, "catalogue")
        async with database.tenant_session(second) as b, b.begin():
            # The same name in another tenant is another lock, free.
            assert await lock_tenant(b, "catalogue", wait=False)
        async with database.tenant_session(first) as again, again.begin():
            # The same name in the same tenant is taken; shared or exclusive, it waits.
            assert not await lock_tenant(again, "catalogue", wait=False)
            assert not await lock_tenant(again, "catalogue", shared=True, wait=False)
            # A global lock of that name is another lock as well.
            assert await lock_global(again, "catalogue", wait=False)
            async with database.tenant_session(second) as b, b.begin():
                assert not await lock_global(b, "catalogue", wait=False)
    async with database.tenant_session(first) as after, after.begin():
        # Transaction-level locks ended with their transactions.
        assert await lock_tenant(after, "catalogue", wait=False)
        assert await lock_global(after, "catalogue", wait=False)


async def test_a_tenants_lock_needs_a_session_pinned_to_it(database: Database) -> None:
    async with database.control_session() as control, control.begin():
        with pytest.raises(TenantNotPinnedError):
            await lock_tenant(control, "catalogue")


def test_every_advisory_lock_goes_through_the_helper() -> None:
    """One way to take a lock: raw advisory-lock calls anywhere else would bypass the tenant's key."""
    raw = re.compile(r"pg_(try_)?advisory|hashtext\(")
    offenders = [
        f"{path.relative_to(REPO)}:{number}"
        for folder in ("backend", "tenants", "worker", "admin", "infra", "bench")
        for path in sorted((REPO / folder).rglob("*.py"))
        if path != REPO / "tenants" / "locks.py"
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if raw.search(line)
    ]
    assert offenders == []
