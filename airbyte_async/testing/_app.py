"""
The aiohttp application: recording, fault injection, auth, routing and validation.

Every request under ``/api`` passes one middleware that counts and records it, then may meet a
fault; the catch-all handler then checks credentials, finds the route for the running version,
validates the body (422 when it cannot be read as the schema's types, 400 when a required field
is missing) and calls the route's handler. ``/_emulator/*``
serves the ground truth and is never faulted, authenticated or counted.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import json
import socket
import struct
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Any
from urllib.parse import parse_qsl

import anyio
import attrs
from aiohttp import web

from ._auth import RequireBasic, RequireBearer, RequireClientCredentials
from ._errors import ApiError, error_body, invalid_input, micronaut_body, unreadable
from ._faults import Fault, FaultInjector
from ._load import Overloaded, Restarted
from ._public_routes import PREFIX as PUBLIC_PREFIX
from ._public_routes import (
    PUBLIC_ROUTES,
    PublicApi,
    is_open,
    public_route_key,
    unexpected_problem,
)
from ._routes import ROUTES, Api, Route, check_route
from ._stats import RecordedRequest
from ._validate import MISSING, problems, read, request_shape
from ._versions import serves_public_api

__all__ = ["Http", "abort", "known_routes", "reset_transport", "route_key"]

_REQUEST_FAULTS = frozenset(
    {"error", "proxy_error", "rate_limit", "latency", "slow", "reset_before", "reset_after"}
    | {"hang_after", "truncated_json", "cut_body", "late", "proxy_timeout"}
)

#: nginx's default ``proxy_read_timeout``: a ``proxy_timeout`` fault's when it sets no delay.
_PROXY_READ_TIMEOUT = 60.0

_NGINX_401 = (
    "<html>\r\n<head><title>401 Authorization Required</title></head>\r\n<body>\r\n"
    "<center><h1>401 Authorization Required</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)


@attrs.frozen
class _Incoming:
    """What the middleware read of a request, for the handler."""

    route: str
    raw: bytes
    body: Any


# The middleware and the handler run in the same task, so a context variable carries it.
_INCOMING: ContextVar[_Incoming] = ContextVar("incoming")


#: A Google Cloud load balancer's answer when its backend service timeout passes.
_GOOGLE_502 = (
    "<!DOCTYPE html>\n<html><head><title>502 Server Error</title></head>\n<body><h1>Error: "
    "Server Error</h1>\n<p>The backend did not answer in time.</p></body></html>\n"
)
#: Azure Front Door's (classic) answer when its send/receive timeout passes.
_AZURE_503 = (
    "<!DOCTYPE html>\n<html><head><title>503 Service Unavailable</title></head>\n<body><p>"
    "The origin did not answer in time.</p></body></html>\n"
)


#: A header that carries a proxy page's ``Date`` lead (see ``Fault.date_lead``) to
#: ``_stamp_date``, which takes it off.
_PAGE_DATE_LEAD = "X-Emulator-Page-Date-Lead"


def _date_page(page: web.StreamResponse, fault: Fault) -> None:
    """Have *page* dated by the clock of the proxy that *fault* stands for, if it has one."""
    if fault.date_lead is not None:
        page.headers[_PAGE_DATE_LEAD] = repr(fault.date_lead)


def _read_timeout_page(status: int) -> web.Response:
    """
    What the proxy in front answers when its read timeout passes, by its status: nginx's 504
    (also ingress-nginx's, an AWS ALB's), a Google Cloud load balancer's 502 (GKE's ingress),
    Azure Front Door's 503 (classic; Azure's Application Gateway answers 502) or Cloudflare's
    524.
    """
    if status == 502:
        headers = {"Server": "Google Frontend"}
        return web.Response(text=_GOOGLE_502, status=502, content_type="text/html", headers=headers)
    if status == 503:
        headers = {"X-Azure-Ref": "0emulatedAzureRef"}
        return web.Response(text=_AZURE_503, status=503, content_type="text/html", headers=headers)
    if status == 524:
        return _cloudflare_page(524)
    page = _nginx_page(504, "Gateway Time-out")
    return web.Response(text=page, status=504, content_type="text/html")


#: Cloudflare's answers when the origin failed it, by status.
_CLOUDFLARE = {
    520: "Web server is returning an unknown error",
    521: "Web server is down",
    522: "Connection timed out",
    523: "Origin is unreachable",
    524: "A timeout occurred",
}


def _cloudflare_page(status: int) -> web.Response:
    what = _CLOUDFLARE[status]
    page = f"<!DOCTYPE html>\n<html><head><title>{status}: {what}</title></head></html>\n"
    return web.Response(
        text=page, status=status, content_type="text/html", headers={"Server": "cloudflare"}
    )


def _nginx_page(status: int, reason: str) -> str:
    return (
        f"<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n"
        f"<center><h1>{status} {reason}</h1></center>\r\n<hr><center>nginx</center>\r\n"
        "</body>\r\n</html>\r\n"
    )


def route_key(path: str) -> str:
    """The spec path for a request path: ``/api/v1/jobs/get/`` becomes ``/v1/jobs/get``."""
    key = path.removeprefix("/api") if path.startswith("/api/") else path
    key = key.rstrip("/") or "/"
    return public_route_key(key) if key.startswith(PUBLIC_PREFIX + "/") else key


def known_routes() -> frozenset[str]:
    """Every spec path a request can have, of any version: the Config API's (``/v1/...``)
    and the public API's (``/public/v1/...``), as :func:`route_key` gives them."""
    return frozenset({*ROUTES, *(PUBLIC_PREFIX + r.path for r in PUBLIC_ROUTES)})


def reset_transport(transport: asyncio.Transport | None) -> None:
    """Drop a connection with a TCP reset (not a clean close), as a crash or a proxy would."""
    if transport is None:
        return
    sock = transport.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


def abort(request: web.BaseRequest) -> None:
    """Reset the request's connection, so the client sees a connection error, not a hang."""
    reset_transport(request.transport)


def _gone(request: web.BaseRequest) -> bool:
    return request.transport is None or request.transport.is_closing()


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(
        body=json.dumps(body).encode(),
        status=status,
        content_type="application/json",
        headers=headers,
    )


def _route_not_found() -> web.Response:
    """
    Airbyte's answer for a path no controller serves, on every version emulated:
    ``NotFoundController``'s global 404 handler, whose body is the bare text "Object not found."
    labelled JSON (airbytehq/airbyte ``airbyte-server/.../server/apis/NotFoundController.java``
    of the 0.40 line; airbytehq/airbyte-platform HEAD
    ``.../apis/controllers/NotFoundController.kt``).
    """
    return web.Response(body=b"Object not found.", status=404, content_type="application/json")


def _micronaut_error(status: int, reason: str, detail: str, path: str) -> web.Response:
    return _json(micronaut_body(reason, path, (detail, None)), status)


@attrs.define
class Http:
    """The HTTP side of one emulator: its app, middleware and handlers."""

    api: Api
    injector: FaultInjector
    stats: Callable[[], dict[str, Any]]
    reset_stats: Callable[[], None]
    #: Bumped by every restart; a request that outlives one does not act.
    generation: int = 0
    #: True while a restart's downtime lasts: a request on a connection that slipped through
    #: (accepted as the server went down) has its connection reset, as a dead server's would.
    down: bool = False
    #: False: the Config API's routes are not there (an ingress's 404), only the public API's.
    config_api: bool = True
    #: Seconds the ``Date`` header runs ahead of the clock that stamps jobs (see ``Emulator``).
    date_lead: float = 0.0
    public: PublicApi = attrs.field(
        init=False, default=attrs.Factory(lambda self: PublicApi(self.api), takes_self=True)
    )
    #: The ``Date`` of the current second on the emulator's clock, and that second.
    _date: tuple[int, str] = attrs.field(init=False, default=(-1, ""))

    @property
    def version(self) -> str:
        """The Config API version served."""
        return self.api.version

    def app(self) -> web.Application:
        """A fresh application serving this emulator."""
        app = web.Application(middlewares=[self._middleware], client_max_size=16 * 2**20)
        app.on_response_prepare.append(self._stamp_date)
        app.router.add_get("/_emulator/stats", self._stats)
        app.router.add_post("/_emulator/reset_stats", self._reset_stats)
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        return app

    async def _stamp_date(self, request: web.Request, response: web.StreamResponse) -> None:
        # aiohttp would stamp real time: the emulator's answers tell its own clock.
        page_lead = response.headers.pop(_PAGE_DATE_LEAD, None)
        if page_lead is not None:  # a proxy's page, dated by the proxy's clock
            page_second = int(self.api.clock() + float(page_lead))
            response.headers["Date"] = email.utils.formatdate(page_second, usegmt=True)
            return
        second = int(self.api.clock() + self.date_lead)
        if second != self._date[0]:
            self._date = (second, email.utils.formatdate(second, usegmt=True))
        response.headers["Date"] = self._date[1]

    async def _stats(self, request: web.Request) -> web.Response:
        return _json(self.stats())

    async def _reset_stats(self, request: web.Request) -> web.Response:
        self.reset_stats()
        return web.Response(status=204)

    @web.middleware
    async def _middleware(
        self,
        request: web.Request,
        handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
    ) -> web.StreamResponse:
        if request.path.startswith("/_emulator/"):
            return await handler(request)
        if self.down:
            abort(request)
            return web.Response()
        route = route_key(request.path)
        raw = await request.read()
        parsed: Any = None
        if raw:
            try:
                parsed = json.loads(raw)
            except ValueError:
                parsed = None
        _INCOMING.set(_Incoming(route, raw, parsed))
        self.api.catch_up()
        observer = self.api.observer
        observer.request_started(RecordedRequest(request.method, route, parsed, bool(raw)))
        try:
            return await self._with_faults(request, handler, route)
        finally:
            observer.request_finished()

    async def _with_faults(
        self,
        request: web.Request,
        handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
        route: str,
    ) -> web.StreamResponse:
        generation = self.generation
        delay, fault = self.injector.draw_pair(route, _REQUEST_FAULTS, request.method)
        if delay is not None:
            self.injector.record(delay.kind)
            early = await self._before(request, delay, generation)
            if early is not None:
                return early
        if fault is not None:
            self.injector.record(fault.kind)
            if fault.kind == "proxy_timeout":
                return await self._behind_proxy(request, handler, fault)
            early = await self._before(request, fault, generation)
            if early is not None:
                if fault.retry_after is not None and early.status in (429, 503):
                    early.headers["Retry-After"] = f"{fault.retry_after:g}"
                _date_page(early, fault)
                return early
        response = await handler(request)
        if fault is not None:
            return await self._after(request, fault, response, generation)
        return response

    async def _before(
        self, request: web.Request, fault: Fault, generation: int
    ) -> web.StreamResponse | None:
        kind = fault.kind
        if kind == "error":
            error = ApiError(
                fault.status or 500,
                "Injected fault",
                exception_class="java.lang.RuntimeException",
                known=False,
            )
            if request.path.startswith("/api" + PUBLIC_PREFIX + "/"):
                return unexpected_problem(error.status, error.message)
            return _json(error_body(error, self.version), error.status)
        if kind == "proxy_error":
            status = fault.status or 502
            if status in _CLOUDFLARE:
                return _cloudflare_page(status)
            reason = {502: "Bad Gateway", 503: "Service Temporarily Unavailable"}.get(
                status, "Gateway Time-out" if status == 504 else "Error"
            )
            return web.Response(
                text=_nginx_page(status, reason), status=status, content_type="text/html"
            )
        if kind == "rate_limit":
            return _json({"message": "You are being rate limited."}, 429)
        if kind == "reset_before":
            abort(request)
            return web.Response()
        if kind in ("latency", "slow"):
            await anyio.sleep(self.injector.delay(fault))
            if self.generation != generation or (kind == "slow" and _gone(request)):
                abort(request)
                return web.Response()
        return None

    async def _behind_proxy(
        self,
        request: web.Request,
        handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
        fault: Fault,
    ) -> web.StreamResponse:
        """
        The request through a proxy whose read timeout is *fault*'s delay: the handler's answer
        when it comes in time, else the proxy's page at that moment (see
        :func:`_read_timeout_page`), while the handler runs on to its end (a proxy that gives
        up on its upstream leaves the server working).
        """
        gateway = _read_timeout_page(fault.status or 504)
        _date_page(gateway, fault)
        # The server reads a connection's next request only once this handler ends: closed, it
        # holds no request of the client's behind the one the proxy gave up on.
        gateway.force_close()
        read_timeout = _PROXY_READ_TIMEOUT if fault.delay is None else self.injector.delay(fault)
        cut = False

        async def give_up() -> None:
            nonlocal cut
            await anyio.sleep(read_timeout)
            if _gone(request):  # the client gave up first: nobody to answer
                return
            if fault.status == 0:  # a TCP proxy: no page, the connection is cut
                cut = True
                abort(request)
                return
            with anyio.CancelScope(shield=True), contextlib.suppress(ConnectionError):
                await gateway.prepare(request)
                await gateway.write_eof()

        async with anyio.create_task_group() as tg:
            tg.start_soon(give_up)
            response = await handler(request)
            tg.cancel_scope.cancel()
        if cut:
            return web.Response()  # to a connection already cut: nobody reads it
        return gateway if gateway.prepared else response

    async def _after(
        self, request: web.Request, fault: Fault, response: web.StreamResponse, generation: int
    ) -> web.StreamResponse:
        if fault.kind == "late":
            # The answer was computed before the wait: it reaches the client as old as that.
            await anyio.sleep(self.injector.delay(fault))
            if self.generation != generation or _gone(request):
                abort(request)
        elif fault.kind == "reset_after":
            abort(request)
        elif fault.kind == "hang_after":
            with anyio.move_on_after(3600.0 if fault.delay is None else fault.delay):
                # aiohttp signals no disconnect to a running handler: poll the transport.
                while not _gone(request):  # noqa: ASYNC110
                    await anyio.sleep(0.02)
            abort(request)
        elif fault.kind == "cut_body" and isinstance(response, web.Response):
            body = response.body if isinstance(response.body, bytes) else b""
            if not body:
                # Complete once its headers are sent (a 204): no body to cut, no fault.
                self.injector.unfired(fault)
                return response
            cut = web.StreamResponse(status=response.status, headers=response.headers)
            cut.content_length = len(body)
            with contextlib.suppress(ConnectionError):
                await cut.prepare(request)
                await cut.write(body[: len(body) // 2])
            abort(request)
            return cut
        elif fault.kind == "truncated_json" and isinstance(response, web.Response):
            body = response.body if isinstance(response.body, bytes) else b"{}"
            return web.Response(
                body=body[: max(1, len(body) // 2)],
                status=response.status,
                content_type="application/json",
            )
        return response

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        try:
            return await self._route(request)
        except Restarted:
            # Queued on the scheduler executor through a restart: it died with the server.
            abort(request)
            return web.Response()

    async def _route(self, request: web.Request) -> web.StreamResponse:
        incoming = _INCOMING.get()
        route_path = incoming.route
        if not self.config_api and not route_path.startswith(PUBLIC_PREFIX):
            # Not routed to Airbyte at all: the ingress answers, before any credential check.
            return web.Response(
                text=_nginx_page(404, "Not Found"), status=404, content_type="text/html"
            )
        found = check_route(route_path, self.version)
        # Airbyte leaves some routes open (health, the token route); docker-compose's nginx
        # proxy asks for basic credentials on every path (airbyte-proxy/nginx-auth.conf.template
        # has auth_basic on "location /", no exception; API-FACTS 0).
        open_route = (found is not None and found.public) or is_open(route_path)
        if not open_route or isinstance(self.api.auth, RequireBasic):
            denied = self._authenticate(request, route_path)
            if denied is not None:
                return denied
        public = route_path.startswith(PUBLIC_PREFIX) and serves_public_api(self.version)
        if found is None and public:
            answer = await self.public.handle(request, incoming.raw, incoming.body)
            if answer is not None:
                return answer
        if found is None:
            return _route_not_found()
        if request.method != found.method:
            detail = (
                f"Method [{request.method}] not allowed for URI [{request.path}]. "
                f"Allowed methods: [{found.method}]"
            )
            response = _micronaut_error(405, "Method Not Allowed", detail, request.path)
            response.headers["Allow"] = found.method
            return response
        try:
            body = self._body(incoming, found)
            if not self.api.instance_admin and self._unresolved(route_path, body):
                return _micronaut_error(403, "Forbidden", "Forbidden", request.path)
            reply = await found.handler(self.api, body)
        except ApiError as error:
            return _json(error_body(error, self.version), error.status)
        except Overloaded:
            page = _nginx_page(503, "Service Temporarily Unavailable")
            return web.Response(text=page, status=503, content_type="text/html")
        if reply.status == 204:
            return web.Response(status=204)
        if reply.raw is not None:
            return web.Response(
                body=reply.raw, status=reply.status, content_type="application/json"
            )
        return _json(reply.body, reply.status)

    def _unresolved(self, route: str, body: Any) -> bool:
        """
        Whether the Config API *body* names a connection, source, destination, workspace or
        (on a jobs route) job that does not exist, for which Airbyte's role check finds no
        workspace, and so no role: its caller, unless an instance admin, is refused before the
        handler runs (1.7 on: ``RoleResolver`` resolves the ids of the body, the route's
        ``@Secured`` roles reject; Micronaut's own 403).
        """
        if not isinstance(body, dict) or not serves_public_api(self.version):
            return False
        state = self.api.state
        found: dict[str, Callable[[Any], object]] = {
            "connectionId": state.connections.get,
            "sourceId": state.sources.get,
            "destinationId": state.destinations.get,
            "workspaceId": state.workspaces.get,
        }
        if route == "/v1/jobs/list":
            found["configId"] = state.connections.get
        for key, lookup in found.items():
            value = body.get(key)
            if isinstance(value, str) and lookup(value) is None:
                return True
        job_id = body.get("id") if route.startswith("/v1/jobs/") else None
        if not isinstance(job_id, int):
            return False
        try:
            state.job(job_id)
        except ApiError:
            return True
        return False

    def _authenticate(self, request: web.Request, route: str) -> web.Response | None:
        policy = self.api.auth
        header = request.headers.get("Authorization")
        if policy is None:
            return None
        if isinstance(policy, RequireBasic):
            if policy.accepts(header):
                return None
            return web.Response(
                text=_NGINX_401,
                status=401,
                content_type="text/html",
                headers={"WWW-Authenticate": 'Basic realm="Airbyte"'},
            )
        if isinstance(policy, RequireBearer):
            ok = policy.accepts(header)
        else:
            assert isinstance(policy, RequireClientCredentials)
            ok = self._token_ok(header, route)
        if ok:
            return None
        if serves_public_api(self.version):
            # Micronaut's own 401, on the Config API and the public API alike: a token missing,
            # expired or not the server's leaves the request unauthenticated, and every route
            # that takes one is @Secured, which SecurityFilter checks before the route runs
            # (airbytehq/airbyte-platform @ea59859a publicapi/controllers/JobsController.kt:
            # @Secured(SecurityRule.IS_AUTHENTICATED) on the class). Its rejection goes through
            # DefaultAuthorizationExceptionHandler and the error processor, as the 403 of a
            # role check does (see _unresolved). The public API's InvalidApiKeyProblem is
            # thrown only for a Config API answer a forwarding client got
            # (ConfigClientErrorHandler.handleError(response), airbyte-api-server @45c2efb7).
            body = micronaut_body("Unauthorized", request.path, ("Unauthorized", None))
            return _json(body, 401, headers={"WWW-Authenticate": "Bearer"})
        return web.Response(status=401, headers={"WWW-Authenticate": "Bearer"})

    def _token_ok(self, header: str | None, route: str) -> bool:
        minter = self.api.minter
        if minter is None or header is None or not header.startswith("Bearer "):
            return False
        token = header[7:].strip()
        if not minter.valid(token):
            return False
        if self.injector.draw(route, frozenset({"token_expiry"})) is not None:
            self.injector.record("token_expiry")
            minter.revoke(token)
            return False
        minter.note_use(token)
        return True

    def _body(self, incoming: _Incoming, found: Route) -> dict[str, Any]:
        short = found.path.removeprefix("/v1/")
        if found.path == "/public/v1/applications/token":
            return self._token_form(incoming)
        shape = request_shape(short, self.version)
        if shape is None:
            return {}
        if not incoming.raw:
            raise invalid_input([("$", MISSING)])
        body = incoming.body
        if body is None:
            raise unreadable([("$", "not a JSON document")], parse=True)
        wrong = problems(shape, body)
        # Jackson maps the body before bean validation checks it: a type error wins.
        if mistyped := [p for p in wrong if p[1] != MISSING]:
            raise unreadable(mistyped)
        if wrong:
            raise invalid_input(wrong)
        assert isinstance(body, dict)
        return dict(read(shape, body))

    @staticmethod
    def _token_form(incoming: _Incoming) -> dict[str, Any]:
        if isinstance(incoming.body, dict):
            return incoming.body
        return dict(parse_qsl(incoming.raw.decode(errors="replace")))
