"""The API's docs UI at /schema (Swagger UI), served whole by the app.

Litestar's UI pages load their scripts, style, fonts and icon from CDNs, so on a closed network (an
on-premises install, CI) the docs are a blank page. Here the page is Swagger UI only, and every asset it
references is served from /schema/assets, out of the `swagger-ui-py` package: Swagger UI's own
distribution files (Apache-2.0, its LICENSE served beside them), used as files only; the package's
framework glue is never imported.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from litestar import get
from litestar.datastructures import CacheControlHeader
from litestar.exceptions import NotFoundException
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.params import FromPath
from litestar.response import File

ASSETS_PATH = "/schema/assets"
# What the page loads, and the licence that comes with it; nothing else of the package is served.
_ASSETS = {
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui-standalone-preset.js": "text/javascript",
    "swagger-ui.css": "text/css",
    "favicon-32x32.png": "image/png",
    "LICENSE": "text/plain",
}


def _assets_folder() -> Path:
    # Found without importing the package (its import pulls in its framework adapters).
    spec = importlib.util.find_spec("swagger_ui")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the swagger-ui-py package is missing: the docs UI's assets come from it")
    return Path(next(iter(spec.submodule_search_locations))) / "static"


ASSETS_FOLDER = _assets_folder()


@get(
    f"{ASSETS_PATH}/{{name:str}}",
    opt={"exclude_from_auth": True},
    include_in_schema=False,
    # The files change only with the package's version.
    cache_control=CacheControlHeader(public=True, max_age=86400),
)
async def docs_asset(name: FromPath[str]) -> File:
    media_type = _ASSETS.get(name)
    if media_type is None:
        raise NotFoundException(f"no docs asset {name!r}")
    return File(path=ASSETS_FOLDER / name, media_type=media_type, content_disposition_type="inline")


def docs_ui() -> SwaggerRenderPlugin:
    """Swagger UI at /schema (and /schema/swagger), its every asset from the app."""
    return SwaggerRenderPlugin(
        js_url=f"{ASSETS_PATH}/swagger-ui-bundle.js",
        css_url=f"{ASSETS_PATH}/swagger-ui.css",
        standalone_preset_js_url=f"{ASSETS_PATH}/swagger-ui-standalone-preset.js",
        path=["/", "/swagger"],
        favicon=f"<link rel='icon' type='image/png' href='{ASSETS_PATH}/favicon-32x32.png'>",
    )
