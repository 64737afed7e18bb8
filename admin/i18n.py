"""The console's languages: English and Dutch catalogues (admin/locales, compiled in memory when the app
starts, through backend/languages.py as the portal's), and the consultant's language for a request.

The language is the consultant's choice on the switch in the top bar (a cookie), else the browser's
Accept-Language, else English. The Dutch catalogue holds the console's own strings and those of
SQLAdmin's templates the console shows (SQLAdmin ships no Dutch): one gettext serves both, installed in
the templates' Jinja environment and set as SQLAdmin's own for the request (its Python compares the
submitted button labels with their translation). `messages.pot` is what `pybabel extract -F babel.cfg`
finds in admin/ (docs/console.md says how to update the catalogues).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from pathlib import Path

from babel.support import Translations
from sqladmin import i18n as sqladmin_i18n
from starlette.requests import HTTPConnection, Request
from starlette.responses import RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from backend import languages
from backend.languages import DEFAULT_LANGUAGE, N_, Language

__all__ = ["DEFAULT_LANGUAGE", "LANGUAGES", "LANGUAGE_COOKIE", "N_", "ConsoleLanguages", "gettext", "ngettext"]

LOCALES_DIR = Path(__file__).parent / "locales"
# Every language the console speaks, in the order the switch offers them, each named in itself.
LANGUAGES = {"en": "English", "nl": "Nederlands"}
# The console's own cookie (the portal's is another app's choice, on another path).
LANGUAGE_COOKIE = "crosswalk_console_language"
LANGUAGE_COOKIE_MAX_AGE = 365 * 24 * 3600


def po_path(language: str) -> Path:
    return languages.po_path(LOCALES_DIR, language)


def _with_sqladmin(code: str, translations: Translations) -> Language:
    """A language of the console: its own catalogue, then (for SQLAdmin's templates' strings) the Dutch
    of SQLAdmin's that admin/locales/nl/LC_MESSAGES/sqladmin.po supplies; English needs none."""
    sqladmin_po = LOCALES_DIR / code / "LC_MESSAGES" / "sqladmin.po"
    if sqladmin_po.exists():
        translations.add_fallback(languages.load_po(sqladmin_po, code))
    return Language(code, translations)


class ConsoleLanguages(languages.Catalogues[Language]):
    def __init__(self) -> None:
        super().__init__(LOCALES_DIR, LANGUAGES, _with_sqladmin)

    def choose(self, chosen: str | None, accept_language: str | None) -> Language:
        """The language chosen on the console's switch, else the browser's Accept-Language, else English."""
        return self.first(chosen, accept_language=accept_language)


_english = Language(DEFAULT_LANGUAGE, Translations())
current_language: ContextVar[Language] = ContextVar("console_language", default=_english)


def gettext(message: str) -> str:
    return current_language.get().gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return current_language.get().ngettext(singular, plural, n)


class ConsoleLanguage:
    """Sets the request's language: for the console's templates and code (`gettext` here) and for
    SQLAdmin's Python (its gettext reads its own context variable)."""

    def __init__(self, app: ASGIApp, catalogues: ConsoleLanguages) -> None:
        self.app, self.catalogues = app, catalogues

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        connection = HTTPConnection(scope)
        language = self.catalogues.choose(
            connection.cookies.get(LANGUAGE_COOKIE), connection.headers.get("accept-language")
        )
        token = current_language.set(language)
        sqladmin_token = sqladmin_i18n._current_translation.set(language.translations)
        try:
            await self.app(scope, receive, send)
        finally:
            sqladmin_i18n._current_translation.reset(sqladmin_token)
            current_language.reset(token)


def language_switch(base_path: str) -> Callable[[Request], Awaitable[Response]]:
    """The switch's form posts here (with its CSRF token): the choice is kept in a cookie for a year,
    and the consultant goes back to the page they were on."""

    async def switch(request: Request) -> Response:
        form = await request.form()
        code = languages.supported(str(form.get("language", "")), LANGUAGES) or DEFAULT_LANGUAGE
        back = str(form.get("next", ""))
        # Only a page of the console: never somewhere else.
        if not back.startswith(base_path + "/") or back.startswith("//"):
            back = base_path + "/"
        response = RedirectResponse(back, status_code=303)
        response.set_cookie(
            LANGUAGE_COOKIE, code, max_age=LANGUAGE_COOKIE_MAX_AGE, path=base_path, samesite="lax", httponly=True
        )
        return response

    return switch
