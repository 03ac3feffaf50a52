"""The Starlette application: routes, lifespan resources, error handlers."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import ClientDisconnect
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Message, Receive, Scope, Send

from rating import api, logs, metrics_web, observe, openapi, public
from rating.admin import dashboard
from rating.admin.errorpage import error_page_if_admin
from rating.admin.routes import admin_routes
from rating.bodycap import BodyCap
from rating.cases.background import Background
from rating.crypto import Keys
from rating.domain_errors import DomainError
from rating.errors import (
    HTTPError,
    handle_domain_error,
    handle_http_error,
    handle_starlette_http,
    handle_unexpected,
)
from rating.kiosk.views import kiosk_routes
from rating.mailbox import views as mailbox_views
from rating.mailbox.api import letter_api_routes
from rating.mailbox.places import place_routes
from rating.mailbox.views import mailbox_routes
from rating.observe import RequestObserver
from rating.pages import STATIC, Pages, favicon
from rating.service import Services
from rating.settings import Settings
from rating.store import make_store
from rating.supervisors.views import supervisor_routes

log = logging.getLogger("pingjing")


class PingjingApp(Starlette):
    """Starlette, except that rating POSTs go straight to their endpoint (api.CreateRating).

    Every other request, including any other method on the ratings path (405), takes the
    usual way through the middleware and the router.
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["path"] == api.RATINGS_PATH
            and scope["method"] == "POST"
        ):
            scope["app"] = self
            await api.create_rating(scope, receive, send)
            return
        if scope["type"] == "http" and scope["path"] == "/mailbox" and scope["method"] == "POST":
            # A letter without photos: stored and answered before the middleware and the
            # router when it can be (mailbox/views.take_quickly), else the usual way.
            scope["app"] = self
            try:
                rest = await mailbox_views.take_quickly(scope, receive, send)
            except ClientDisconnect:
                return  # gone before the body arrived: nothing was stored
            if rest is None:
                return
            receive = rest
        if scope["type"] == "http" and scope["path"].startswith("/r/"):
            # The citizen's page: served from the page cache when it can be, also before
            # the middleware (it is compressed already) and the router.
            scope["app"] = self
            started = time.perf_counter()
            status = 0

            async def sent(message: Message) -> None:
                nonlocal status
                if message["type"] == "http.response.start":
                    status = message["status"]
                await send(message)

            try:
                if await public.serve_cached_page(scope, receive, sent):
                    # Bypassed the RequestObserver too: log and count it here, as the
                    # rating POST does.
                    settings = scope["state"]["svc"].settings
                    if settings.metrics or settings.access_log:
                        rid = logs.request_id(dict(scope["headers"]))
                        observe.finished(
                            settings.metrics, rid, "/r/{token}", "GET", status, started
                        )
                    return
            except Exception:  # the usual way below answers it properly
                log.exception("page cache failed on %s; rendering afresh", scope["path"])
        await super().__call__(scope, receive, send)


def serve_app() -> Starlette:
    """The app of one `pingjing serve --workers N` worker process: logs set up, then the app."""
    settings = Settings.load()
    logs.configure(settings)
    return create_app(settings)


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings.load()
    pages = Pages(settings)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Services]]:
        store = make_store(settings)
        await store.open()
        services = Services(
            settings=settings,
            store=store,
            keys=Keys(settings.resolved_secret()),
            pages=pages,
            trusted=settings.trusted_proxy_set(),
        )
        background = Background(services)  # purge, webhook (issue 5)
        await background.start()
        # The dashboard's past weeks read now, beside serving, not at the first view.
        warming = asyncio.create_task(
            dashboard.warm(store, settings.report_basic_counts_satisfied),
            name="pingjing-dashboard-warm",
        )
        try:
            yield {"svc": services}
        finally:
            warming.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await warming
            await background.stop()
            await store.close()

    routes = [
        # One route for both methods, so a 405 there advertises GET and POST.
        Route("/r/{token}", public.rate, methods=["GET", "POST"]),
        Route("/receipt", public.receipt_lookup, methods=["GET"]),
        Route("/receipt/{code}", public.receipt_page, methods=["GET"]),
        Route("/receipt/{code}/fix", public.fix_submit, methods=["POST"]),
        Route(api.RATINGS_PATH, api.create_rating, methods=["POST"]),
        Route("/api/v1/receipts/{code}", api.receipt, methods=["GET"]),
        Route("/healthz", api.healthz, methods=["GET"]),
        Route("/favicon.ico", favicon, methods=["GET"]),
        Route("/openapi.json", openapi.endpoint, methods=["GET"]),
        Route("/metrics", metrics_web.endpoint, methods=["GET"]),
        Mount("/static", app=StaticFiles(directory=STATIC), name="static"),
    ]
    # Citizens' routes before the admin's many: Starlette tries routes in order, and a
    # letter matched after every admin route spent more on routing than on its parsing.
    routes += mailbox_routes() + place_routes()  # issue 18: 局长信箱 and unit codes
    routes += supervisor_routes()  # issue 19: 警风监督员
    routes += letter_api_routes()
    routes += kiosk_routes()
    routes += admin_routes()
    middleware = [
        Middleware(GZipMiddleware, minimum_size=500),
        # Every body capped by route before a handler parses it (issue 14).
        Middleware(BodyCap, citizen_max=settings.max_body_bytes),
    ]
    if settings.metrics or settings.access_log:
        middleware.insert(0, Middleware(RequestObserver, metrics_on=settings.metrics))
    app = PingjingApp(
        routes=routes,
        lifespan=lifespan,
        middleware=middleware,
        exception_handlers={
            HTTPError: handle_http_error,
            DomainError: handle_domain_error,
            HTTPException: handle_starlette_http,
            Exception: handle_unexpected,
        },
    )
    app.state.pages = pages
    app.state.error_pages = [error_page_if_admin]
    return app
