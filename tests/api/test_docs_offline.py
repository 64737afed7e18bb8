"""The API docs UI works with no internet: every asset the docs pages reference is served by the app
itself (no CDN), and in a real browser that can reach nothing but the app, the page lists the API's
operations."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urlsplit

from litestar import Litestar
from litestar.testing import AsyncTestClient
from playwright.async_api import async_playwright

from tests.console.browser import launch_chromium

Client = AsyncTestClient[Litestar]
# Every page of the docs UI; the UIs Litestar offers besides (each from a CDN) are not served.
DOCS_PAGES = ("/schema", "/schema/swagger")
NOT_SERVED = ("/schema/redoc", "/schema/elements", "/schema/rapidoc", "/schema/scalar")


class _Assets(HTMLParser):
    """The URLs a page loads: scripts, stylesheets and icons, images."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        url = found.get("src") if tag in ("script", "img") else found.get("href") if tag == "link" else None
        if url:
            self.urls.append(url)


async def test_every_asset_of_the_docs_pages_is_served_by_the_app(client: Client) -> None:
    for page in DOCS_PAGES:
        response = await client.get(page)
        assert response.status_code == 200, page
        assert response.headers["content-type"].startswith("text/html")
        parser = _Assets()
        parser.feed(response.text)
        kinds = {urlsplit(url).path.rsplit(".", 1)[-1] for url in parser.urls}
        assert {"js", "css", "png"} <= kinds, (page, parser.urls)
        for url in parser.urls:
            parts = urlsplit(url)
            assert (parts.scheme, parts.netloc) == ("", ""), f"{page} loads {url} from another host"
            asset = await client.get(url)
            assert asset.status_code == 200, url
            assert asset.content, url
        assert "SwaggerUIBundle" in response.text
    for page in NOT_SERVED:
        assert (await client.get(page)).status_code == 404, page
    # Swagger UI's licence is served with its files.
    licence = await client.get("/schema/assets/LICENSE")
    assert licence.status_code == 200
    assert "Apache License" in licence.text
    # Only the files the page needs: not the rest of the package, not a path out of its folder.
    for name in ("swagger-editor-bundle.js", "..%2F..%2F__init__.py", "oauth2-redirect.html"):
        assert (await client.get(f"/schema/assets/{name}")).status_code == 404, name


async def test_the_docs_list_the_operations_in_a_browser_that_reaches_only_the_app(app_base_url: str) -> None:
    app_host = urlsplit(app_base_url).netloc
    elsewhere: list[str] = []
    async with async_playwright() as playwright:
        browser = await launch_chromium(playwright)
        try:
            page = await browser.new_page()

            async def only_the_app(route: object) -> None:
                request = route.request  # type: ignore[attr-defined]
                if urlsplit(request.url).netloc != app_host:
                    elsewhere.append(request.url)
                    await route.abort()  # type: ignore[attr-defined]
                else:
                    await route.continue_()  # type: ignore[attr-defined]

            await page.route("**/*", only_the_app)
            await page.goto(f"{app_base_url}/schema", wait_until="load")
            await page.wait_for_selector(".opblock", timeout=30_000)
            operations = await page.locator(".opblock").count()
            paths = await page.locator(".opblock-summary-path").all_inner_texts()
        finally:
            await browser.close()
    assert elsewhere == []
    assert operations >= 100, operations
    assert any(p.replace("\u200b", "") == "/api/v1/employees" for p in paths), paths[:10]
