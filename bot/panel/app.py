"""The coordinators' panel: a Starlette app served beside the bot (see server.py).

    GET  /                                   the page shell (public: it holds no data)
    GET  /static/...                         CSS and the one script
    GET  /api/view/{page}?filters            a page's HTML, for the member behind initData
                                             (pages: bot/panel/views)
    POST /api/contributions/{id}/status      move a card (JSON: {"status", "reason"})
    POST /api/downloads/{kind}[/{id}]        a five-minute link to a file (bot/panel/downloads.py)
    GET  /download/{token}                   the file, checked again (the token signs the member)

Every /api request carries Telegram's signed initData (`Authorization: tma <initData>`):
the signature and its age are checked, then the member and their role are loaded from the
database on every request, and the chat's permission rules (`permissions.can`) decide.
No valid signature: 401 and nothing else. A download link (which a browser opens without the
header) carries a signed, short-lived token instead, and the member is checked again.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any, cast

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.config import SUPPORTED_LANGUAGES
from bot.context import BotApplication, BotContext
from bot.i18n import gettext as _
from bot.i18n import resolve_language, use_language
from bot.panel import views
from bot.panel.auth import InitDataError, WebAppUser, verify
from bot.panel.cache import Caches, StatsCache
from bot.panel.downloads import Downloads
from bot.runtime import runtime
from bot.services import contributions as contributions_service
from bot.services import members as members_service
from bot.services.errors import DomainError, InvalidInput, NotAllowed, NotFound
from models import ContributionStatus

log = logging.getLogger(__name__)
HERE = Path(__file__).parent
TELEGRAM_JS = "https://telegram.org/js/telegram-web-app.js"


def content_security_policy(telegram_js: bool) -> str:
    scripts = "'self' https://telegram.org" if telegram_js else "'self'"
    return (
        f"default-src 'self'; script-src {scripts}; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
        "frame-ancestors 'self' https://web.telegram.org"
    )


class SecurityHeaders:
    """On every response: the CSP, no caching, no sniffing, no referrer."""

    def __init__(self, app: ASGIApp, telegram_js: bool) -> None:
        self.app = app
        self.headers = [
            (b"content-security-policy", content_security_policy(telegram_js).encode()),
            (b"cache-control", b"no-store"),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"no-referrer"),
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [
                    (k, v)
                    for k, v in message.get("headers", [])
                    if k.lower() not in {h for h, _v in self.headers}
                ] + self.headers
            await send(message)

        await self.app(scope, receive, sending)


class RateLimit:
    """A token bucket per Telegram user: `rate` requests a second, bursts of `burst`."""

    def __init__(self, rate: float = 10.0, burst: float = 20.0) -> None:
        self.rate, self.burst = rate, burst
        self.buckets: dict[int, tuple[float, float]] = {}

    def allow(self, user_id: int, now: float | None = None) -> bool:
        moment = time.monotonic() if now is None else now
        tokens, last = self.buckets.get(user_id, (self.burst, moment))
        tokens = min(self.burst, tokens + (moment - last) * self.rate)
        if len(self.buckets) > 10_000:  # forget idle people rather than grow without end
            self.buckets = {k: v for k, v in self.buckets.items() if moment - v[1] < 60}
        if tokens < 1:
            self.buckets[user_id] = (tokens, moment)
            return False
        self.buckets[user_id] = (tokens - 1, moment)
        return True


STATUS_ERRORS: dict[type[DomainError], int] = {NotAllowed: 403, NotFound: 404, InvalidInput: 409}


class Panel:
    def __init__(
        self, application: BotApplication, *, telegram_js: bool, rate_limit: RateLimit
    ) -> None:
        self.application = application
        self.telegram_js = telegram_js
        self.limit = rate_limit
        self.caches = Caches(StatsCache(runtime(application).db))
        self.templates = Environment(
            loader=FileSystemLoader(HERE / "templates"),
            autoescape=select_autoescape(default=True, default_for_string=True),
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=False,  # the templates do not change while the bot runs
        )

    async def warm(self) -> None:
        """At start, beside the bot's first updates (server.py): the templates compiled and
        the overview's figures in every language, so that the first visitors do not wait for
        scans of the whole database."""
        for name in self.templates.list_templates():
            self.templates.get_template(name)
        await self.caches.stats.warm(SUPPORTED_LANGUAGES)

    @property
    def token(self) -> str:
        return runtime(self.application).settings.token

    # --- who is asking ----------------------------------------------------------------

    def web_user(self, request: Request) -> WebAppUser | None:
        scheme, _sep, data = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "tma":
            return None
        try:
            return verify(data.strip(), self.token)
        except InitDataError:
            return None

    def authenticate(self, request: Request) -> WebAppUser | Response:
        """The signed Telegram user, within their request limit; else 401 (or 429)."""
        user = self.web_user(request)
        if user is None:
            return Response(status_code=401)
        if not self.limit.allow(user.id):
            return Response(status_code=429, headers={"retry-after": "1"})
        return user

    async def viewer(self, session: Any, user: WebAppUser) -> views.Viewer | Response:
        """The member behind the request, loaded now (their role as stored now); or 403."""
        member = await members_service.get_by_telegram_id(session, user.id)
        language = resolve_language(member.language if member else None, user.language_code)
        if member is None or not member.is_registered:
            with use_language(language):
                text = _(
                    "First let me get to know you: send /start, accept the privacy terms and "
                    "tell me your name. It takes a minute."
                )
            return HTMLResponse(f"<p class='notice'>{_escape(text)}</p>", status_code=403)
        return views.Viewer(member, language)

    # --- pages ------------------------------------------------------------------------

    async def shell(self, request: Request) -> Response:
        accepted = request.headers.get("accept-language", "").split(",")[0].strip()
        with use_language(resolve_language(None, accepted or None)) as language:
            html = self.templates.get_template("shell.html").render(
                t=views.labels(),
                language=language,
                telegram_js=self.telegram_js,
                telegram_js_url=TELEGRAM_JS,
            )
        return HTMLResponse(html)

    async def view(self, request: Request) -> Response:
        page = request.path_params["page"]
        if page not in views.VIEWS:
            return Response(status_code=404)
        user = self.authenticate(request)
        if isinstance(user, Response):
            return user
        rt = runtime(self.application)
        async with rt.db.session() as session:
            viewer = await self.viewer(session, user)
            if isinstance(viewer, Response):
                return viewer
            with use_language(viewer.language):
                asked = views.PageRequest(viewer, request.query_params, self.caches, rt.profile)
                try:
                    data = await views.VIEWS[page](session, asked)
                except views.Forbidden as refusal:
                    text = f"<p class='notice'>{_escape(str(refusal))}</p>"
                    return HTMLResponse(text, status_code=403)
        with use_language(viewer.language):
            html = self.templates.get_template(f"{page}.html").render(
                t=views.labels(),
                nav=views.nav(viewer),
                tab=views.TABS.get(page, page),
                language=viewer.language,
                **data,
            )
        return HTMLResponse(html)

    async def move(self, request: Request) -> Response:
        """A card to its next status (or rejected, with a reason): the chat's own service
        call, audit and notification to the author. Checked like a button press."""
        user = self.authenticate(request)
        if isinstance(user, Response):
            return user
        # Only a script of this origin can send JSON with the initData header (CSRF).
        if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
            return Response(status_code=415)
        try:
            body = json.loads(await request.body())
            status = ContributionStatus(body["status"])
            reason = body.get("reason")
            if reason is not None and not isinstance(reason, str):
                raise TypeError
        except (ValueError, KeyError, TypeError):
            return Response(status_code=400)
        contribution_id: int = request.path_params["contribution_id"]
        rt = runtime(self.application)
        language = None
        try:
            async with rt.db.session() as session:
                viewer = await self.viewer(session, user)
                if isinstance(viewer, Response):
                    return viewer
                language = viewer.language
                await contributions_service.set_status(
                    session, viewer.member, contribution_id, status, reason
                )
        except DomainError as error:
            with use_language(language):
                message = _(error.message).format(**error.params)
            code = next((c for t, c in STATUS_ERRORS.items() if isinstance(error, t)), 409)
            return JSONResponse({"ok": False, "message": message}, status_code=code)
        self.caches.stats.expire()
        with use_language(language):
            message = _("Status: {status}").format(status=views.status_name(status))
        await self.tell_author(contribution_id)
        return JSONResponse({"ok": True, "message": message})

    async def tell_author(self, contribution_id: int) -> None:
        """What the chat's status buttons do after the change: tell the author."""
        from handlers.contributions.cards import tell_author

        try:
            await tell_author(BotContext(self.application), contribution_id)
        except Exception:  # the change is saved; a failed notice must not turn it into a 500
            log.warning("could not tell the author of contribution %s", contribution_id)


def _escape(text: str) -> str:
    from html import escape

    return escape(text)


def create_app(
    application: BotApplication,
    *,
    telegram_js: bool = True,
    rate_limit: RateLimit | None = None,
) -> ASGIApp:
    """The panel for `application` (its settings, database and bot). `telegram_js=False`
    leaves out telegram.org's script (tests, offline use): the page then reads initData from
    the URL's `#tgWebAppData=` fragment."""
    panel = Panel(application, telegram_js=telegram_js, rate_limit=rate_limit or RateLimit())
    downloads = Downloads(panel)
    app = Starlette(
        routes=[
            Route("/", panel.shell, methods=["GET"]),
            Route("/api/view/{page:str}", panel.view, methods=["GET"]),
            Route("/api/contributions/{contribution_id:int}/status", panel.move, methods=["POST"]),
            Route("/api/downloads/{kind:str}/{object_id:int}", downloads.link, methods=["POST"]),
            Route("/api/downloads/{kind:str}", downloads.link, methods=["POST"]),
            Route("/download/{token:str}", downloads.file, methods=["GET"]),
            Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
        ]
    )
    app.state.panel = panel
    return SecurityHeaders(app, telegram_js)


def panel_of(app: ASGIApp) -> Panel:
    """The `Panel` behind an app made by `create_app` (to warm it at start)."""
    inner = cast(SecurityHeaders, app).app
    return cast(Panel, cast(Starlette, inner).state.panel)
