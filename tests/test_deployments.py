"""
The client pointed at a real deployment by URL: what answers there when the URL is wrong (the
web app, a redirect, a sign-in page, TLS where plain HTTP was meant), the environment's HTTP
proxies, and a CA of the user's own.

Facts: Airbyte's web app is an nginx that serves its ``index.html`` for every path but
``/api/`` (``try_files $uri $uri/ /index.html``; airbyte-platform
airbyte-webapp/nginx/default.conf.template, commit 098539afedf3b70a806b98560a71dc824add88e6),
and its pages live under ``workspaces/:workspaceId`` (airbyte-webapp/src/pages/routePaths.tsx,
commit 1cf3a3a8991a8f9a6ab7d957559928d12f2a460f).
"""

from __future__ import annotations

import shutil
import ssl
import subprocess
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path

import aiohttp
import anyio
import pytest
from aiohttp import web
from client_support import closed_port, requests_to, serving
from yarl import URL

from airbyte_async import AirbyteClient, NoAuth, RetryPolicy
from airbyte_async._versions import not_the_api
from airbyte_async.errors import (
    ConnectError,
    InvalidArgumentError,
    RequestTimeoutError,
    ResponseValidationError,
    UnsupportedOperationError,
)
from airbyte_async.orchestrator import Orchestrator
from airbyte_async.testing import Emulator

pytestmark = pytest.mark.anyio

INDEX = b"<!doctype html><html><head><title>Airbyte</title></head><body></body></html>"
NGINX_405 = (
    b"<html>\r\n<head><title>405 Not Allowed</title></head>\r\n<body>\r\n"
    b"<center><h1>405 Not Allowed</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n"
    b"</html>\r\n"
)
SIGN_IN = b"<!DOCTYPE html><html><head><title>Sign In</title></head><body></body></html>"
WORKSPACE = "8a7b3f0e-1c2d-4e5f-8a9b-0c1d2e3f4a5b"
CONNECTION = "8a7b3f0e-1c2d-4e5f-8a9b-0c1d2e3f4a5c"


def _catch_all(handler: web.RequestHandler, seen: list[str]) -> web.Application:
    async def recorded(request: web.Request) -> web.StreamResponse:
        seen.append(f"{request.method} {request.path}")
        return await handler(request)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", recorded)
    return app


async def _web_app(request: web.Request) -> web.Response:
    """The web app's nginx: its page for every GET, 405 for a POST to a file."""
    if request.method == "GET":
        return web.Response(body=INDEX, content_type="text/html")
    return web.Response(status=405, body=NGINX_405, content_type="text/html")


# -- a URL that is not the API's ----------------------------------------------------------------


async def test_a_url_that_answers_the_web_apps_page_is_named_wrong_on_the_first_call() -> None:
    """A bare host whose every GET gets the web app's page (200, text/html) fails on the first
    call with wrong_url, a message naming the page, and no retry: two health asks in all (the
    one on entry, the one the call makes), not a body "that is not JSON" retried."""
    seen: list[str] = []
    async with (
        serving(_catch_all(_web_app, seen)) as url,
        AirbyteClient(url, auth=NoAuth(), env={}) as client,
    ):
        with pytest.raises(UnsupportedOperationError) as caught:
            await client.workspaces.default()

    message = str(caught.value)
    assert caught.value.wrong_url
    assert message.startswith(f"GET {url}/api/v1/health answered 200 with a web page")
    assert "titled 'Airbyte'" in message
    assert "Airbyte's web app" in message
    assert seen == ["GET /api/v1/health", "GET /api/v1/health"]


async def test_a_post_refused_with_nginxs_405_page_is_named_a_wrong_url() -> None:
    """A Config API call (a POST) answered by an nginx that serves files (405 and its page) is
    a wrong URL, not an APIError "405 Not Allowed"."""
    seen: list[str] = []
    async with (
        serving(_catch_all(_web_app, seen)) as url,
        AirbyteClient(url + "/api/v1", auth=NoAuth(), env={}) as client,
    ):
        with pytest.raises(UnsupportedOperationError) as caught:
            await client.connections.get(connection_id=CONNECTION)

    assert caught.value.wrong_url
    assert "answered 405 with a web page, titled '405 Not Allowed'" in str(caught.value)


async def test_a_2xx_that_is_json_of_no_model_is_still_a_response_validation_error() -> None:
    """Only a web page is taken for a wrong URL: a 200 with JSON the model refuses stays a
    ResponseValidationError."""

    async def odd(request: web.Request) -> web.Response:
        return web.json_response({"available": "yes"})

    async with (
        serving(_catch_all(odd, [])) as url,
        AirbyteClient(url + "/api/v1", auth=NoAuth(), env={}) as client,
    ):
        with pytest.raises(ResponseValidationError):
            await client.health()


async def test_a_trigger_redirected_to_https_is_not_followed_and_names_the_url_to_pass() -> None:
    """An http URL whose proxy redirects (301, as nginx's ``return 301 https://...``) is not
    followed: aiohttp would send the trigger again as a GET; the error names the server the
    redirect points at, and the server behind saw no request, so no job started."""
    async with Emulator(connections=1) as emu:

        async def to_the_server(request: web.Request) -> web.Response:
            raise web.HTTPMovedPermanently(emu.url + request.path_qs)

        async with serving(_catch_all(to_the_server, [])) as url:
            async with AirbyteClient(url, auth=NoAuth(), env={}, api="config") as client:
                with pytest.raises(UnsupportedOperationError) as caught:
                    await client.connections.sync(connection_id=emu.connection_ids[0])
            stats = emu.stats()
        server = emu.url

    assert caught.value.wrong_url
    assert str(caught.value) == (
        f"POST {url}/api/v1/connections/sync was redirected (301) to "
        f"{server}/api/v1/connections/sync: the client follows no redirect; pass {server}, "
        "where it was sent"
    )
    assert sum(stats.requests_by_route.values()) == 0


async def test_a_redirect_to_a_sign_in_page_says_so_without_the_redirects_query() -> None:
    """A proxy that sends every request to its sign-in page (302): the error says the URL is
    not the API's and names the page, but not the query, which carries the proxy's state."""

    async def sign_in(request: web.Request) -> web.Response:
        raise web.HTTPFound("/oauth2/start?rd=%2Fapi%2Fv1%2Fhealth&state=abc123secret")

    async with (
        serving(_catch_all(sign_in, [])) as url,
        AirbyteClient(url + "/api/v1", auth=NoAuth(), env={}) as client,
    ):
        with pytest.raises(UnsupportedOperationError) as caught:
            await client.health()

    message = str(caught.value)
    assert caught.value.wrong_url
    assert f"was redirected (302) to {url}/oauth2/start, not to Airbyte's API" in message
    assert "sign-in page" in message
    assert "abc123secret" not in message


@pytest.mark.parametrize(
    ("url", "server"),
    [
        (
            f"http://localhost:8000/workspaces/{WORKSPACE}/connections/{CONNECTION}/status",
            "http://localhost:8000",
        ),
        (
            f"https://airbyte.example.com/airbyte/workspaces/{WORKSPACE}",
            "https://airbyte.example.com/airbyte",
        ),
        (
            f"https://cloud.airbyte.com/workspaces/{WORKSPACE}/connections",
            "https://api.airbyte.com/v1",
        ),
    ],
    ids=["abctl", "prefix", "cloud"],
)
def test_a_web_app_pages_address_is_refused_naming_the_servers(url: str, server: str) -> None:
    """The address a browser shows for a page of the web app (``.../workspaces/<id>/...``) is
    refused when the client is made, with the URL to pass (Cloud's API for Cloud's pages)."""
    with pytest.raises(InvalidArgumentError) as caught:
        AirbyteClient(url, env={})

    message = str(caught.value)
    assert "the address of a page of Airbyte's web app" in message
    assert f"pass the server's, {server} " in message


# -- connections that fail ----------------------------------------------------------------------


async def test_a_port_nothing_listens_on_says_so() -> None:
    """A refused connection says that nothing listens at the host and port."""
    port = closed_port()
    async with AirbyteClient(f"http://127.0.0.1:{port}/api/v1", env={}) as client:
        with pytest.raises(ConnectError) as caught:
            await client.health()

    assert f"cannot connect to 127.0.0.1:{port}: nothing listens there" in str(caught.value)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key (openssl's command line)."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    where = tmp_path_factory.mktemp("tls")
    cert, key = where / "cert.pem", where / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"),
            *("-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1"),
            *("-addext", "subjectAltName=IP:127.0.0.1"),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@pytest.fixture
async def tls_server(certificate: tuple[Path, Path]) -> AsyncIterator[str]:
    """A server whose health answers, over TLS with the self-signed certificate: its port."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)

    async def health(request: web.Request) -> web.Response:
        return web.json_response({"available": True})

    runner = web.AppRunner(_catch_all(health, []), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0, ssl_context=context).start()
    try:
        yield f"127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


async def test_a_certificate_not_trusted_is_named_with_what_to_do(tls_server: str) -> None:
    """A server whose certificate no trusted CA signed: the error says the certificate was not
    trusted, and how to give the CA."""
    async with AirbyteClient(f"https://{tls_server}/api/v1", env={}) as client:
        with pytest.raises(ConnectError) as caught:
            await client.health()

    message = str(caught.value)
    assert (
        f"the TLS certificate of {tls_server} was not trusted (self-signed certificate)" in message
    )
    assert "ssl= an ssl.SSLContext, or SSL_CERT_FILE" in message


async def test_ssl_takes_a_context_that_trusts_the_users_ca(
    tls_server: str, certificate: tuple[Path, Path]
) -> None:
    """ssl= an ssl.SSLContext loaded with the user's CA reaches a server that CA signed."""
    context = ssl.create_default_context(cafile=str(certificate[0]))
    async with AirbyteClient(f"https://{tls_server}/api/v1", env={}, ssl=context) as client:
        health = await client.health()

    assert health.available


async def test_ssl_false_skips_verification(tls_server: str) -> None:
    """ssl=False reaches a server whose certificate nothing trusts, as verify=False would."""
    async with AirbyteClient(f"https://{tls_server}/api/v1", env={}, ssl=False) as client:
        health = await client.health()

    assert health.available


async def test_https_to_a_plain_http_port_says_the_handshake_failed() -> None:
    """An https URL at a port that speaks plain HTTP: the TLS handshake failed, and the error
    asks whether the URL should be http://."""
    async with serving(_catch_all(_web_app, [])) as url:
        port = url.rsplit(":", 1)[1]
        async with AirbyteClient(f"https://127.0.0.1:{port}/api/v1", env={}) as client:
            with pytest.raises(ConnectError) as caught:
                await client.health()

    message = str(caught.value)
    assert f"the TLS handshake with 127.0.0.1:{port} failed" in message
    assert "use an http:// URL" in message


@pytest.mark.parametrize("ssl_", ["no", None, 1])
def test_ssl_must_be_a_context_or_a_bool(ssl_: object) -> None:
    """ssl= anything but an ssl.SSLContext, True or False is refused before any request."""
    with pytest.raises(InvalidArgumentError, match=r"ssl must be an ssl\.SSLContext"):
        AirbyteClient("http://localhost:8000", env={}, ssl=ssl_)  # type: ignore[arg-type]


async def test_ssl_with_a_lent_session_is_refused() -> None:
    """ssl= sets the session the client opens: with a session lent, it is refused rather than
    silently not applied."""
    async with aiohttp.ClientSession() as session:
        with pytest.raises(InvalidArgumentError, match="give the session you lend its own"):
            AirbyteClient("http://localhost:8000", env={}, session=session, ssl=False)


# -- the environment's proxies ------------------------------------------------------------------


@pytest.fixture
async def forward_proxy() -> AsyncIterator[tuple[str, list[str]]]:
    """A forward HTTP proxy that knows the host ``airbyte.internal`` (which nothing else
    resolves) as 127.0.0.1, and passes absolute-form requests on: its URL, and what it
    passed."""
    passed: list[str] = []

    async def forward(request: web.Request) -> web.Response:
        passed.append(f"{request.method} {request.url}")
        target = request.url.with_host("127.0.0.1")
        headers = {k: v for k, v in request.headers.items() if k.lower() in ("content-type",)}
        async with (
            aiohttp.ClientSession() as session,
            session.request(
                request.method, target, data=await request.read(), headers=headers
            ) as answer,
        ):
            return web.Response(
                status=answer.status, body=await answer.read(), content_type=answer.content_type
            )

    async with serving(_catch_all(forward, [])) as url:
        yield url, passed


async def test_http_proxy_of_the_environment_carries_the_requests(
    forward_proxy: tuple[str, list[str]],
) -> None:
    """HTTP_PROXY in the client's environment carries its requests, as requests and httpx
    do: the server's name is one only the proxy resolves."""
    proxy, passed = forward_proxy
    async with Emulator() as emu:
        url = emu.url.replace("127.0.0.1", "airbyte.internal")
        env = {"HTTP_PROXY": proxy}
        async with AirbyteClient(url + "/api/v1", env=env, auth=NoAuth()) as client:
            health = await client.health()

    assert health.available
    assert passed == [f"GET {url}/api/v1/health"]


async def test_the_lowercase_proxy_variable_wins_over_the_uppercase_one(
    forward_proxy: tuple[str, list[str]],
) -> None:
    """``http_proxy`` and ``HTTP_PROXY`` both set: the lowercase one carries the requests, as
    in urllib (:func:`urllib.request.getproxies_environment`), requests and httpx; the
    uppercase one names a port nothing listens on."""
    proxy, passed = forward_proxy
    async with Emulator() as emu:
        url = emu.url.replace("127.0.0.1", "airbyte.internal")
        env = {"HTTP_PROXY": f"http://127.0.0.1:{closed_port()}", "http_proxy": proxy}
        async with AirbyteClient(url + "/api/v1", env=env, auth=NoAuth()) as client:
            health = await client.health()

    assert health.available
    assert passed == [f"GET {url}/api/v1/health"]


async def test_no_proxy_keeps_its_hosts_direct(forward_proxy: tuple[str, list[str]]) -> None:
    """A host NO_PROXY lists is reached directly, whatever HTTP_PROXY says: here it does not
    resolve, and the proxy sees nothing."""
    proxy, passed = forward_proxy
    env = {"http_proxy": proxy, "no_proxy": "localhost,.internal"}
    async with AirbyteClient("http://airbyte.internal:8000/api/v1", env=env) as client:
        with pytest.raises(ConnectError, match="the host name does not resolve"):
            await client.health()

    assert passed == []


async def test_a_loopback_url_is_reached_directly_with_a_proxy_set(
    forward_proxy: tuple[str, list[str]],
) -> None:
    """A server on this machine (an emulator on 127.0.0.1) is reached directly although
    HTTP_PROXY is set and NO_PROXY does not name it: a proxy elsewhere could not reach it."""
    proxy, passed = forward_proxy
    async with Emulator() as emu:
        env = {"HTTP_PROXY": proxy}
        async with AirbyteClient(emu.url + "/api/v1", env=env, auth=NoAuth()) as client:
            health = await client.health()

    assert health.available
    assert passed == []


async def test_a_proxy_that_does_not_answer_is_named_without_its_password() -> None:
    """A proxy of the environment that refuses connections: the error names the proxy and the
    variables it came from, never the password in its URL."""
    port = closed_port()
    env = {"HTTPS_PROXY": f"http://me:pr0xy-pw@127.0.0.1:{port}"}
    async with AirbyteClient("https://api.airbyte.com/v1", env=env, auth=NoAuth()) as client:
        with pytest.raises(ConnectError) as caught:
            await client.health()

    message = str(caught.value)
    assert f"cannot connect to the proxy 127.0.0.1:{port} for api.airbyte.com:443" in message
    assert "HTTPS_PROXY" in message
    assert "pr0xy-pw" not in message


@pytest.mark.parametrize(
    ("name", "value"),
    [
        # A socks proxy, which aiohttp cannot speak.
        ("ALL_PROXY", "socks5://me:pr0xy-pw@proxy.example:1080"),
        # No scheme (read as http://), and a port that is no number.
        ("HTTPS_PROXY", "me:pr0xy-pw@proxy.example:3l28"),
    ],
)
def test_a_proxy_the_client_cannot_use_is_refused_when_it_is_made_without_its_password(
    name: str, value: str
) -> None:
    """A proxy variable that names no http(s) proxy URL is refused when the client is made,
    naming the variable and hiding the password."""
    with pytest.raises(InvalidArgumentError) as caught:
        AirbyteClient("https://api.airbyte.com/v1", env={name: value})

    message = str(caught.value)
    assert message.startswith(f"{name} of the environment must be an http:// or https://")
    assert "pr0xy-pw" not in message


async def test_a_timeout_names_the_host_and_the_seconds_waited() -> None:
    """A server that does not answer within timeout=: the error names the host and the
    seconds, for the user to tell a slow server from a wrong one."""
    never = anyio.Event()

    async def silent(request: web.Request) -> web.Response:
        await never.wait()
        raise AssertionError("unreachable")

    async with (
        serving(_catch_all(silent, [])) as url,
        AirbyteClient(
            url + "/api/v1", env={}, timeout=0.2, retry=RetryPolicy(attempts=1)
        ) as client,
    ):
        with pytest.raises(RequestTimeoutError) as caught:
            await client.health()
        never.set()

    host = url.removeprefix("http://")
    assert str(caught.value) == (
        f"request timed out: no whole answer from {host} within 0.2 s (health)"
    )


def test_a_redirect_of_airbyte_clouds_public_api_names_its_url_whole() -> None:
    """``http://api.airbyte.com/v1`` redirected to https: the URL to pass is Cloud's public
    API root, https://api.airbyte.com/v1, not that root cut by the length of a self-hosted
    server's ``api/public/v1/``."""
    root = URL("http://api.airbyte.com/v1/")
    location = {"Location": "https://api.airbyte.com/v1/jobs"}

    error = not_the_api("POST", root / "jobs", 301, location, b"", root=root, api="public")

    assert error is not None and error.wrong_url
    assert str(error).endswith("pass https://api.airbyte.com/v1, where it was sent")


async def test_a_web_page_for_a_batchs_first_listing_is_a_failed_poll_not_a_missing_route() -> None:
    """A proxy's sign-in page answering the batch's first ``jobs/list_for_workspaces`` (200,
    text/html) is a poll that failed, tried again: not a server without the listing, which
    would have the batch read each job by itself, one request per job at every poll, to its
    end."""
    async with AsyncExitStack() as stack:
        emu = await stack.enter_async_context(
            Emulator(airbyte_version="head", connections=3, sync_duration=(0.3, 0.3))
        )
        pages = [0]
        upstream = await stack.enter_async_context(aiohttp.ClientSession())

        async def forward(request: web.Request) -> web.StreamResponse:
            if request.path.endswith("/jobs/list_for_workspaces") and not pages[0]:
                pages[0] += 1
                return web.Response(body=SIGN_IN, content_type="text/html")
            async with upstream.request(
                request.method,
                emu.url + request.path,
                data=await request.read(),
                headers={"Content-Type": request.headers.get("Content-Type", "")},
            ) as answer:
                return web.Response(
                    status=answer.status,
                    body=await answer.read(),
                    headers={"Content-Type": answer.headers.get("Content-Type", "")},
                )

        url = await stack.enter_async_context(serving(_catch_all(forward, [])))
        client = await stack.enter_async_context(AirbyteClient(url, auth=NoAuth(), env={}))
        orchestrator = Orchestrator(client, poll_interval=0.02, max_poll_interval=0.05)

        results = await orchestrator.run(emu.connection_ids)

    assert pages == [1]
    assert all(r.ok for r in results)
    assert requests_to(emu, "jobs/get") == 0
