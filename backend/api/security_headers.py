"""Security headers on every response the app sends: API JSON, problem+json errors (404s of the router
included), the console's pages and static files, the sign-in pages and redirects, SCIM, health.

Litestar has no security-headers feature of its own, and app middleware runs per route (a 404 for an
unknown path never reaches it), so this is a `before_send` hook: Litestar calls it for every message
any part of the app sends. The headers are constants chosen by the kind of response:

- JSON and everything else that is not a page: `default-src 'none'`, since nothing in an API answer
  may load or run anything, even when a browser is tricked into rendering it.
- HTML pages (the console, the sign-in pages): scripts, styles, images and fonts from this origin
  only. Styles may be inline (SQLAdmin's Tabler markup and pygal's SVG charts carry `style`), scripts
  never. There is no `form-action`: signing out posts a form whose answer redirects to the identity
  provider's end-session page, and browsers hold such redirects to `form-action` too.
- The API docs UI under /schema: the same, except that its page starts the self-hosted viewer with an
  inline script and the viewer runs its search in a worker from a `blob:` URL. Nothing from another
  origin (no CDN) loads there either.

Every response also forbids framing (`frame-ancestors 'none'` and `X-Frame-Options: DENY` for older
browsers), MIME sniffing (`nosniff`), and sends the origin alone as referrer to other sites. HSTS only
in production, where the app is served over https: on a plain-http development host it would be
ignored, and on `localhost` it would pin every other local service to https.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from litestar.types import Message, Scope

_FRAMING = "frame-ancestors 'none'"
_NOT_A_PAGE = f"default-src 'none'; {_FRAMING}"
_PAGE = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    f"font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; {_FRAMING}"
)
_DOCS_PAGE = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; "
    f"object-src 'none'; base-uri 'none'; {_FRAMING}"
)
DOCS_PATH = "/schema"
_COMMON = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
)
# Two years, subdomains included: what the HSTS preload list asks for.
_HSTS = (b"strict-transport-security", b"max-age=63072000; includeSubDomains")

SecurityHeadersHook = Callable[[Message, Scope], Awaitable[None]]


def content_security_policy(path: str, content_type: str) -> str:
    """The policy for a response to `path` of this content type."""
    if not content_type.lower().startswith("text/html"):
        return _NOT_A_PAGE
    if path == DOCS_PATH or path.startswith(DOCS_PATH + "/"):
        return _DOCS_PAGE
    return _PAGE


def security_headers(*, production: bool) -> SecurityHeadersHook:
    """The `before_send` hook adding the headers; a header a response set itself is left as it is."""
    fixed = (*_COMMON, _HSTS) if production else _COMMON

    async def add_headers(message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        headers = list(message.get("headers") or [])
        present = {name.lower() for name, _ in headers}
        content_type = next((value.decode("latin-1") for name, value in headers if name.lower() == b"content-type"), "")
        wanted = [*fixed, (b"content-security-policy", content_security_policy(scope["path"], content_type).encode())]
        headers.extend((name, value) for name, value in wanted if name not in present)
        message["headers"] = headers

    return add_headers
