"""What a worker logs when a job fails: a job whose input is at fault (arguments that do not fit, a
value the domain refuses) fails at once with one line and no traceback; only an unexpected error logs
its traceback."""

from __future__ import annotations

import logging

import pytest

from backend.core.jobs.models import JobStatus
from tenants.sessions import Database
from tests.conftest import TenantFactory
from tests.worker.conftest import Enqueue, wait_for_job

pytestmark = pytest.mark.usefixtures("worker")


def _about(caplog: pytest.LogCaptureFixture, job_id: object, kind: str) -> list[logging.LogRecord]:
    """The records about the job: Dramatiq names a message by its id or by its actor and arguments."""
    return [r for r in caplog.records if str(job_id) in r.getMessage() or f"{kind}(" in r.getMessage()]


@pytest.mark.parametrize(
    ("kind", "arguments", "error"),
    [
        ("test.write_marker", {"wrong": "argument"}, "PoisonMessageError: the arguments do not fit"),
        ("test.refuses_input", {"level": 9}, "InvalidInputError: level 9 is not between 1 and 5"),
    ],
)
async def test_a_job_failing_on_its_input_logs_one_line_without_a_traceback(
    make_tenant: TenantFactory,
    submit: Enqueue,
    database: Database,
    caplog: pytest.LogCaptureFixture,
    kind: str,
    arguments: dict[str, object],
    error: str,
) -> None:
    caplog.set_level(logging.INFO, logger="dramatiq")
    tenant = make_tenant()
    job_id = await submit(tenant, kind, arguments)
    job = await wait_for_job(database, tenant, job_id)
    assert job.status == JobStatus.FAILED
    assert job.error is not None
    assert job.error.startswith(error)
    assert job.attempts == 1
    logged = _about(caplog, job_id, kind)
    assert logged, "the failure is logged"
    for record in logged:
        assert record.exc_info is None, f"{record.getMessage()} carries a traceback"
        assert record.levelno <= logging.WARNING, record.getMessage()
    assert "Traceback" not in caplog.text


async def test_an_unexpected_error_still_logs_its_traceback(
    make_tenant: TenantFactory, submit: Enqueue, database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="dramatiq")
    tenant = make_tenant()
    job_id = await submit(tenant, "test.broken")
    assert (await wait_for_job(database, tenant, job_id)).status == JobStatus.FAILED
    assert any(r.exc_info is not None and r.levelno == logging.ERROR for r in _about(caplog, job_id, "test.broken"))
