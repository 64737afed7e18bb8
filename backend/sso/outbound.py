"""HTTP to the URLs of identity providers, which the server fetches because a tenant's admin typed them.

An admin who could point these requests into the server's own networks (a metadata service, a
database's HTTP port, an internal admin page) would turn the server into their proxy (SSRF). So every
request here:

- goes to https, or to plain http on loopback only where `SSO_ALLOW_LOOPBACK_HTTP` says so (the tests'
  and the local run's own provider);
- resolves its host once, refuses it if any of its addresses is not a public unicast address (with the
  IPv4 address inside NAT64, 6to4 and IPv4-mapped forms checked too), and connects to the address it
  checked, so that a second resolution cannot hand it another one (DNS rebinding). TLS still names the
  host (SNI) and checks the certificate against it, and the Host header is the host's;
- is read with a size cap and a total time cap (headers and body together), so that a provider can
  neither exhaust memory nor hold a worker with a slow drip;
- never goes through a proxy from the environment (which would connect to an address we did not check)
  and never follows redirects (the caller does not ask it to).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx2

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[list[str]]]

KIB = 1024

# Not public whatever `is_global` says about them (Python's tables differ between versions and count
# some of these as global): relays, translators and ranges that lead somewhere other than the internet.
_NOT_PUBLIC_V4 = tuple(
    ipaddress.IPv4Network(n)
    for n in (
        "0.0.0.0/8",  # "this network"
        "100.64.0.0/10",  # carrier-grade NAT
        "192.0.0.0/24",  # IETF protocol assignments
        "192.88.99.0/24",  # 6to4 relay anycast (deprecated)
        "198.18.0.0/15",  # benchmarking
    )
)
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # RFC 6052: the last 32 bits are the IPv4 address reached
_NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")  # RFC 8215: local-use translators, never public
_NOT_PUBLIC_V6 = tuple(
    ipaddress.IPv6Network(n)
    for n in (
        "::/96",  # IPv4-compatible (deprecated)
        "100::/64",  # discard-only
        "2001::/32",  # Teredo
        "2001:db8::/32",  # documentation
        "fc00::/7",  # unique local
        "fec0::/10",  # site-local (deprecated)
    )
)


class OutboundError(Exception):
    """A request to a provider that was refused or failed; the message is safe to show to an admin."""


class RefusedUrlError(OutboundError):
    pass


class ResponseTooLargeError(OutboundError):
    def __init__(self, url: str, limit: int) -> None:
        super().__init__(f"the answer from {url} is larger than {limit // KIB} KiB")
        self.limit = limit


class ProviderTimeoutError(OutboundError):
    pass


def why_not_public(address: Address) -> str | None:
    """Why the server must not connect to `address`, or None for a public unicast address."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return why_not_public(address.ipv4_mapped)
        if address in _NAT64:
            # A translator reaches the IPv4 address in the last 32 bits: that address decides.
            return why_not_public(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
        if address in _NAT64_LOCAL:
            return "a local-use NAT64 address"
        if address.sixtofour is not None:
            inner = why_not_public(address.sixtofour)
            return f"6to4 of {address.sixtofour}: {inner}" if inner else None
        if any(address in network for network in _NOT_PUBLIC_V6):
            return "a special-purpose IPv6 range"
    elif any(address in network for network in _NOT_PUBLIC_V4):
        return "a special-purpose IPv4 range"
    for flag, reason in (
        ("is_unspecified", "the unspecified address"),
        ("is_loopback", "a loopback address"),
        ("is_link_local", "a link-local address"),
        ("is_multicast", "a multicast address"),
        ("is_private", "a private address"),
        ("is_reserved", "a reserved address"),
    ):
        if getattr(address, flag):
            return reason
    if isinstance(address, ipaddress.IPv6Address) and address.is_site_local:
        return "a site-local address"
    if not address.is_global:
        return "not a globally reachable address"
    return None


async def resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to, once."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    found: list[str] = []
    for *_, sockaddr in infos:
        address = str(sockaddr[0]).split("%", 1)[0]
        if address not in found:
            found.append(address)
    return found


class ProviderUrlPolicy:
    """Which provider URLs the server may fetch, and the addresses it then connects to."""

    def __init__(self, *, allow_loopback_http: bool, resolver: Resolver = resolve) -> None:
        self.allow_loopback_http = allow_loopback_http
        self._resolver = resolver

    async def addresses(self, url: str) -> tuple[httpx2.URL, list[Address]]:
        """The URL and the addresses it may be fetched from, checked; raises RefusedUrlError."""
        try:
            parsed = httpx2.URL(url)
        except (httpx2.InvalidURL, ValueError, TypeError) as exc:
            raise RefusedUrlError(f"{url!r} is not a valid URL") from exc
        host = parsed.host
        if parsed.scheme not in ("https", "http") or not host:
            raise RefusedUrlError(f"the provider's URLs must be https: {url}")
        try:
            literal: Address | None = ipaddress.ip_address(host)
        except ValueError:
            literal = None
        if parsed.scheme == "http" and not (
            self.allow_loopback_http and (host == "localhost" or (literal is not None and literal.is_loopback))
        ):
            raise RefusedUrlError(f"the provider's URLs must be https (plain http only on loopback): {url}")
        port = parsed.port or (443 if parsed.scheme == "https" else 80)
        if literal is not None:
            addresses: list[Address] = [literal]
        else:
            try:
                resolved = await self._resolver(host, port)
            except (OSError, UnicodeError) as exc:
                raise RefusedUrlError(f"the provider's host {host!r} cannot be resolved") from exc
            addresses = [ipaddress.ip_address(a) for a in resolved]
            if not addresses:
                raise RefusedUrlError(f"the provider's host {host!r} cannot be resolved")
        for address in addresses:
            if self.allow_loopback_http and address.is_loopback:
                continue
            reason = why_not_public(address)
            if reason is not None:
                raise RefusedUrlError(
                    f"the provider's host {host!r} is not on the public internet ({address}: {reason})"
                )
            if parsed.scheme == "http":
                raise RefusedUrlError(f"the provider's URLs must be https (plain http only on loopback): {url}")
        return parsed, addresses


class _CappedStream(httpx2.AsyncByteStream):
    """A response body read within `limit` bytes and before `deadline` (the event loop's clock)."""

    def __init__(self, inner: httpx2.AsyncByteStream, url: str, limit: int, deadline: float) -> None:
        self._inner = inner
        self._url = url
        self._limit = limit
        self._deadline = deadline

    async def __aiter__(self) -> AsyncIterator[bytes]:
        received = 0
        chunks = self._inner.__aiter__()
        while True:
            try:
                async with asyncio.timeout_at(self._deadline):
                    chunk = await anext(chunks)
            except StopAsyncIteration:
                return
            except TimeoutError:
                raise ProviderTimeoutError(f"{self._url} did not finish its answer in time") from None
            received += len(chunk)
            if received > self._limit:
                raise ResponseTooLargeError(self._url, self._limit)
            yield chunk

    async def aclose(self) -> None:
        await self._inner.aclose()


class GuardedTransport(httpx2.AsyncBaseTransport):
    """An httpx transport that applies a ProviderUrlPolicy, connects to the checked address and caps
    every answer's size and time."""

    def __init__(self, policy: ProviderUrlPolicy, *, max_bytes: int, timeout_seconds: float) -> None:
        self._policy = policy
        self._max_bytes = max_bytes
        self._timeout_seconds = timeout_seconds
        # trust_env=False: a proxy from the environment would connect to an address we never checked.
        self._inner = httpx2.AsyncHTTPTransport(trust_env=False)

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        url = str(request.url)
        deadline = asyncio.get_running_loop().time() + self._timeout_seconds
        try:
            async with asyncio.timeout_at(deadline):
                parsed, addresses = await self._policy.addresses(url)
                response = await self._send_pinned(request, parsed, addresses)
        except TimeoutError:
            raise ProviderTimeoutError(f"{url} did not answer within {self._timeout_seconds:g} s") from None
        length = response.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > self._max_bytes:
            await response.aclose()
            raise ResponseTooLargeError(url, self._max_bytes)
        assert isinstance(response.stream, httpx2.AsyncByteStream)
        return httpx2.Response(
            status_code=response.status_code,
            headers=response.headers,
            stream=_CappedStream(response.stream, url, self._max_bytes, deadline),
            extensions=response.extensions,
        )

    async def _send_pinned(
        self, request: httpx2.Request, parsed: httpx2.URL, addresses: list[Address]
    ) -> httpx2.Response:
        extensions: dict[str, Any] = dict(request.extensions)
        if parsed.scheme == "https":
            # TLS names the host and checks its certificate, though the connection goes to the address.
            extensions["sni_hostname"] = parsed.host
        failure: Exception | None = None
        for address in addresses:
            pinned = httpx2.Request(
                request.method,
                parsed.copy_with(host=str(address)),
                # The Host header was set from the URL when the request was built: it stays the host's.
                headers=request.headers,
                stream=request.stream,
                extensions=extensions,
            )
            try:
                return await self._inner.handle_async_request(pinned)
            except httpx2.ConnectError as exc:
                failure = exc
        assert failure is not None
        raise failure

    async def aclose(self) -> None:
        await self._inner.aclose()
