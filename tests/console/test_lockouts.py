"""The console's password sign-in under attack: lock-outs with backoff (per account and per address),
rate limits, a Redis that is down, and argon2 off the event loop. Over HTTP in the test process, on
apps with small limits of their own; each client's requests come from an address the test chooses."""

from __future__ import annotations

import asyncio
import re
import secrets
from typing import Any

import httpx
import pyotp
import pytest
from sqlalchemy import Engine, select

from admin.models import ConsoleAuditEvent, PlatformRole
from admin.users import PlatformUserService
from backend.auth.secretbox import SecretBox
from backend.settings import Settings
from tenants.sessions import Database
from tests.conftest import free_port
from tests.ratelimits import holding_every_hashing_slot, in_loop, limited

PASSWORD = "correct horse battery staple"


class Staff:
    def __init__(self, email: str, seed: str) -> None:
        self.email = email
        self.totp = pyotp.TOTP(seed)


async def make_staff(secretbox: SecretBox, database: Database) -> Staff:
    email = f"lock-{secrets.token_hex(4)}@crosswalk.example"
    async with database.control_session() as session, session.begin():
        created = await PlatformUserService(session, secretbox).create(
            email, "Test Person", PlatformRole.CONSULTANT, PASSWORD
        )
    assert created.totp_uri is not None
    return Staff(email, pyotp.parse_uri(created.totp_uri).secret)


async def sign_in(tab: httpx.AsyncClient, email: str, password: str, code: str) -> httpx.Response:
    page = await tab.get("/admin/login")
    csrf = re.search(r'name="csrftoken"[^>]*value="([^"]+)"', page.text)
    assert csrf is not None, page.text
    form = {"email": email, "password": password, "code": code, "csrftoken": csrf.group(1)}
    return await tab.post("/admin/login", data=form)


def wrong_code(staff: Staff) -> str:
    return "000000" if staff.totp.now() != "000000" else "111111"


def locked_page(response: httpx.Response) -> int:
    """A sign-in page (HTML) that says the account or address is locked; the Retry-After seconds."""
    assert response.status_code == 429, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert "locked" in response.text
    assert "Try again in" in response.text
    assert "crosswalk_console" not in response.cookies
    return int(response.headers["retry-after"])


def failures_audited(owner_engine: Engine, email: str) -> list[dict[str, Any]]:
    with owner_engine.connect() as connection:
        rows = connection.execute(
            select(ConsoleAuditEvent.action, ConsoleAuditEvent.changes)
            .where(ConsoleAuditEvent.actor_email == email)
            .order_by(ConsoleAuditEvent.at, ConsoleAuditEvent.id)
        ).all()
    return [{"action": action, **changes} for action, changes in rows]


async def test_failures_lock_the_account_with_backoff_until_a_success_resets_it(
    settings: Settings, database: Database, owner_engine: Engine
) -> None:
    app, collaborators = limited(
        settings, console_lockout_failures=3, console_lockout_seconds=2, console_lockout_max_seconds=60
    )
    staff = await make_staff(collaborators.secretbox, database)
    async with in_loop(app) as tab:
        assert (await sign_in(tab, staff.email, "wrong password!", staff.totp.now())).status_code == 400
        assert (await sign_in(tab, staff.email, PASSWORD, wrong_code(staff))).status_code == 400
        first_lock = locked_page(await sign_in(tab, staff.email, "wrong password!", staff.totp.now()))
        assert 1 <= first_lock <= 2
        # Locked: even the right password and code are refused, and nothing is checked.
        assert locked_page(await sign_in(tab, staff.email, PASSWORD, staff.totp.now())) <= first_lock
        await asyncio.sleep(first_lock + 0.2)
        # The next failure after the lock doubles it.
        second_lock = locked_page(await sign_in(tab, staff.email, "wrong password!", staff.totp.now()))
        assert 3 <= second_lock <= 4
        await asyncio.sleep(second_lock + 0.2)
        signed_in = await sign_in(tab, staff.email, PASSWORD, staff.totp.now())
        assert signed_in.status_code == 303, signed_in.text
    # The success cleared the account's failures: one more is an ordinary refusal, not a lock.
    async with in_loop(app) as tab:
        assert (await sign_in(tab, staff.email, "wrong password!", staff.totp.now())).status_code == 400

    audited = failures_audited(owner_engine, staff.email)
    assert [(a["action"], a.get("outcome"), "locked_seconds" in a) for a in audited] == [
        ("sign_in_failed", "refused", False),
        ("sign_in_failed", "refused", False),
        ("sign_in_failed", "refused", True),
        ("sign_in_failed", "locked", True),
        ("sign_in_failed", "refused", True),
        ("sign_in", None, False),
        ("sign_in_failed", "refused", False),
    ]
    assert all(a["method"] == "password" for a in audited)


async def test_an_address_that_fails_on_many_accounts_is_locked_and_others_are_not(
    settings: Settings, database: Database
) -> None:
    app, collaborators = limited(settings, console_lockout_failures=100, console_lockout_address_failures=3)
    victims = [await make_staff(collaborators.secretbox, database) for _ in range(4)]
    async with in_loop(app, "198.51.100.7") as attacker, in_loop(app, "198.51.100.8") as colleague:
        for victim in victims[:2]:
            assert (await sign_in(attacker, victim.email, "a guess, a guess", victim.totp.now())).status_code == 400
        locked_page(await sign_in(attacker, victims[2].email, "a guess, a guess", victims[2].totp.now()))
        # From that address, no account signs in, not even with the right password and code...
        locked_page(await sign_in(attacker, victims[3].email, PASSWORD, victims[3].totp.now()))
        # ... while from another address the same person signs in.
        assert (await sign_in(colleague, victims[3].email, PASSWORD, victims[3].totp.now())).status_code == 303


async def test_sign_in_attempts_are_rate_limited_per_account_and_per_address(
    settings: Settings, database: Database
) -> None:
    app, collaborators = limited(
        settings,
        rate_limit_console_sign_in_per_account="2/minute",
        rate_limit_console_sign_in_per_address="5/minute",
    )
    one, two, three = [await make_staff(collaborators.secretbox, database) for _ in range(3)]
    async with in_loop(app, "198.51.100.9") as tab, in_loop(app, "198.51.100.10") as elsewhere:
        for _ in range(2):
            assert (await sign_in(tab, one.email, "not the password", one.totp.now())).status_code == 400
        refused = await sign_in(tab, one.email, PASSWORD, one.totp.now())
        assert refused.status_code == 429
        assert "Too many sign-in attempts" in refused.text
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        # Another account from the same address is not affected, until the address's own limit.
        assert (await sign_in(tab, two.email, PASSWORD, two.totp.now())).status_code == 303
        assert (await sign_in(tab, three.email, "not the password", three.totp.now())).status_code == 400
        assert (await sign_in(tab, three.email, PASSWORD, three.totp.now())).status_code == 429
        assert (await sign_in(elsewhere, three.email, PASSWORD, three.totp.now())).status_code == 303


async def test_without_redis_password_sign_in_is_refused_with_a_page_not_an_error(
    settings: Settings, database: Database
) -> None:
    app, collaborators = limited(settings)
    staff = await make_staff(collaborators.secretbox, database)
    async with in_loop(app) as tab:
        page = await tab.get("/admin/login")
        assert page.status_code == 200
        # Redis goes away: the limits' and lock-outs' client now points at a port nobody listens on.
        pool = collaborators.rate_limiter.redis.connection_pool
        pool.connection_kwargs["port"] = free_port()
        await pool.disconnect()
        csrf = re.search(r'name="csrftoken"[^>]*value="([^"]+)"', page.text)
        assert csrf is not None
        form = {"email": staff.email, "password": PASSWORD, "code": staff.totp.now(), "csrftoken": csrf.group(1)}
        refused = await tab.post("/admin/login", data=form)
    assert refused.status_code == 503, refused.text
    assert "unavailable for a moment" in refused.text


@pytest.mark.parametrize("password", [PASSWORD, "not the password"])
async def test_the_password_check_waits_for_a_hashing_slot_off_the_event_loop(
    settings: Settings, database: Database, password: str
) -> None:
    """argon2 runs on a worker thread within the bounded hashing slots: while they are all taken, the
    sign-in waits and the console's other pages keep answering."""
    app, collaborators = limited(settings)
    staff = await make_staff(collaborators.secretbox, database)
    async with in_loop(app) as tab:
        page = await tab.get("/admin/login")
        csrf = re.search(r'name="csrftoken"[^>]*value="([^"]+)"', page.text)
        assert csrf is not None
        form = {"email": staff.email, "password": password, "code": staff.totp.now(), "csrftoken": csrf.group(1)}
        async with holding_every_hashing_slot():
            pending = asyncio.create_task(tab.post("/admin/login", data=form))
            for _ in range(3):
                assert (await tab.get("/admin/login")).status_code == 200
                await asyncio.sleep(0.2)
            assert not pending.done()
        answer = await asyncio.wait_for(pending, timeout=20)
    assert answer.status_code == (303 if password == PASSWORD else 400), answer.text
