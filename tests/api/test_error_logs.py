"""What the server logs when it refuses a request: one line per refusal (status, route, fields named),
at info or warning, never a traceback; a traceback is for unexpected errors only."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx

from backend.auth.principal import UserRole
from backend.settings import Settings
from tests.conftest import TenantFactory, TokenFactory, serve_app


def test_refused_requests_are_logged_in_one_line_without_a_traceback(
    settings: Settings, tmp_path: Path, make_tenant: TenantFactory, auth: TokenFactory
) -> None:
    tenant = make_tenant()
    hr, employee = auth(tenant), auth(tenant, UserRole.EMPLOYEE)
    with serve_app(settings, tmp_path, extra_env={"LOG_LEVEL": "INFO"}) as served:
        api = f"{served.base_url}/api/v1"
        person = {"email": "dup@example.com", "full_name": "Dup"}
        assert httpx.post(f"{api}/employees", json=person, headers=hr).status_code == 201
        refusals = [
            httpx.get(f"{api}/employees?bogus=1", headers=hr),  # 400, an unknown parameter
            httpx.post(f"{api}/employees", json={"email": "x"}, headers=hr),  # 400, invalid fields
            httpx.get(f"{api}/employees/{uuid.uuid4()}", headers=hr),  # 404
            httpx.post(f"{api}/employees", json=person, headers=hr),  # 409, a duplicate
            httpx.post(f"{api}/org-units", json={"name": "X", "kind": "team"}, headers=employee),  # 403
            httpx.post(
                f"{api}/employees",
                json={**person, "email": "m@example.com", "manager_id": str(uuid.uuid4())},
                headers=hr,
            ),  # 422
            httpx.get(f"{api}/employees"),  # 401
        ]
        assert [r.status_code for r in refusals] == [400, 400, 404, 409, 403, 422, 401]
    log = served.log.read_text()
    assert "Traceback" not in log, log
    lines = [line for line in log.splitlines() if "request_refused" in line]
    assert len(lines) == len(refusals), log
    for line, response in zip(lines, refusals, strict=True):
        assert f"status={response.status_code}" in line, line
        assert "[info" in line or "[warning" in line, line
    assert "fields=['bogus']" in lines[0]
    # The detail, which can quote what was sent, stays out of the log.
    assert "dup@example.com" not in "\n".join(lines)
