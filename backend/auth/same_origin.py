"""Cross-site request forgery on what a cookie authenticates (the portal session): a write is taken
only from a page of our own origin, and only with a JSON body.

A browser sends the session cookie with requests that another site's page starts, but it always says
where such a request comes from: `Origin` on every POST, PUT, PATCH and DELETE (our pages' Referrer-Policy,
strict-origin-when-cross-origin, keeps it a real origin rather than `null`), else a `Referer`. A request
that names no origin, or another one, is refused. The JSON requirement is the second wall: the bodies
another site can send without asking (a form's urlencoded, multipart or text/plain) are never JSON.

Framework-free, so the API's middleware and the sign-in routes share it.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_of(url: str) -> str | None:
    """`scheme://host[:port]` of an absolute http(s) URL, in the form a browser's `Origin` header
    has (lower case, default port left out); None for anything else."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    return f"{scheme}://{host}" if port in (None, _DEFAULT_PORTS[scheme]) else f"{scheme}://{host}:{port}"


def cross_site_refusal(headers: Mapping[str, str], public_url: str) -> str | None:
    """Why a cookie-authenticated write does not come from our own origin (PUBLIC_URL's), or None
    when it does."""
    expected = origin_of(public_url)
    declared = headers.get("origin")
    referer = headers.get("referer")
    source = origin_of(declared) if declared is not None else origin_of(referer) if referer is not None else None
    if source is None or source != expected:
        return f"a write with the session cookie must come from a page of {expected}, with its Origin header"
    return None


def is_json(content_type: str) -> bool:
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type == "application/json" or (media_type.startswith("application/") and media_type.endswith("+json"))


def body_refusal(headers: Mapping[str, str]) -> str | None:
    """Why the body of a cookie-authenticated write is not acceptable (it is not JSON), or None. A
    write without a body (no Content-Type, no length) is fine: some actions take no input."""
    content_type = headers.get("content-type")
    if content_type is None:
        has_body = headers.get("content-length", "0").strip() not in ("", "0") or "transfer-encoding" in headers
        return "a body sent with the session cookie must be JSON (Content-Type: application/json)" if has_body else None
    if not is_json(content_type):
        return f"a body sent with the session cookie must be JSON (Content-Type: application/json), not {content_type}"
    return None
