"""`bench/portal.py` times every GET page of the portal: a page added to backend/portal without its
line in the benchmark's `PAGES` fails here (add `Page("/your/path")`, and an `IDS` entry for the id
of a detail page)."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

from litestar import Litestar
from litestar.handlers import HTTPRouteHandler
from litestar.testing import AsyncTestClient

BENCH = Path(__file__).resolve().parents[2] / "bench" / "portal.py"
_PARAMETER = re.compile(r"\\\{\w+(:\w+)?\\\}")


def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_portal", BENCH)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # Its dataclasses look their module up while they are made.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def portal_pages(app: Litestar) -> set[str]:
    """The paths of the portal's GET pages (not its public ones: `/`, `/company`)."""
    pages = set()
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            if (
                isinstance(handler, HTTPRouteHandler)
                and "GET" in handler.http_methods
                and handler.fn.__module__.startswith("backend.portal.")
                and "scope" in handler.opt
            ):
                pages.add(route.path)
    return pages


def test_the_benchmark_times_every_portal_page(client: AsyncTestClient[Litestar]) -> None:
    module = bench()
    timed = {page.path.split("?")[0] for page in module.PAGES}
    named = {name for page in module.PAGES for name in re.findall(r"\{(\w+)\}", page.path)}
    assert named <= module.IDS.keys(), f"ids without a way to find them: {named - module.IDS.keys()}"
    pages = portal_pages(client.app)
    assert "/notifications" in pages
    assert "/board/{opportunity_id:uuid}" in pages
    for path in pages:
        pattern = re.compile("^" + _PARAMETER.sub(r"\\{\\w+\\}", re.escape(path)) + "$")
        assert any(pattern.match(t) for t in timed), f"{path} is not in bench/portal.py's PAGES"
