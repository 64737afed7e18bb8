"""Assertions shared by the API tests."""

from __future__ import annotations

from typing import Any


def problem(response: Any, status: int) -> dict[str, Any]:
    """Assert an RFC 9457 problem response with `status` and return its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json"), response.headers
    body = response.json()
    assert body["status"] == status
    assert body["title"]
    return dict(body)
