"""
Connections that fail in a way waiting does not mend are told at once; the failures a restart
or a deployment explains are still retried.

Before the server ever answered a client, a certificate it does not trust, a name DNS says has
no address (getaddrinfo's EAI_NONAME), an http:// URL at a port that speaks TLS and an https://
URL at one that speaks plain HTTP are a wrong address or a missing CA: one attempt, then the
error. A DNS server that does not answer for now (EAI_AGAIN, "Temporary failure in name
resolution", as Kubernetes' DNS gives while its pods restart) is retried, and so is everything
once the server has answered: a certificate that stops being trusted may be an ingress serving
its default certificate while a TLS secret is replaced (kubernetes/ingress-nginx issue 3834:
every ingress got the controller's fake certificate while one TLS configuration was wrong).
A load balancer that drops connections unanswered, as a restart behind it does, is retried too.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
import ssl
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import anyio
import pytest
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult
from client_support import serving

from airbyte_async import AirbyteClient, NoAuth, RetryPolicy
from airbyte_async.errors import ConnectError, ConnectionLostError
from airbyte_async.orchestrator import Orchestrator, Selection
from airbyte_async.testing import Emulator

pytestmark = pytest.mark.anyio

CONNECTION = "8a7b3f0e-1c2d-4e5f-8a9b-0c1d2e3f4a5c"


# -- a relay that counts connections, and TLS servers ---------------------------------------------


class Relay:
    """
    A TCP relay on 127.0.0.1 that counts the connections it accepts (handshakes that fail
    included) and pipes each to *target*'s port, terminating TLS first with *tls* if given.
    :meth:`cut` closes the connections open, as a restart does; *target* may be changed.
    """

    def __init__(self, target: int, tls: ssl.SSLContext | None = None) -> None:
        self.target, self.tls, self.accepted = target, tls, 0
        self._open: set[asyncio.StreamWriter] = set()

    async def __aenter__(self) -> Relay:
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", 0)
        self.port: int = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.cut()
        self._server.close()

    def cut(self) -> None:
        """Close every connection open through the relay."""
        for writer in list(self._open):
            writer.transport.abort()
        self._open.clear()

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        try:
            if self.tls is not None:
                await writer.start_tls(self.tls)
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target)
        except (OSError, ssl.SSLError):
            writer.transport.abort()
            return
        self._open |= {writer, up_writer}
        await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(OSError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    writer.transport.abort()


def _certificate(where: Path, name: str) -> tuple[Path, Path]:
    cert, key = where / f"{name}.pem", where / f"{name}-key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"),
            *("-keyout", str(key), "-out", str(cert), "-subj", f"/CN={name}"),
            *("-addext", "subjectAltName=IP:127.0.0.1"),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> tuple[ssl.SSLContext, ...]:
    """Two servers' TLS contexts, each with a self-signed certificate for 127.0.0.1 of its
    own, and a client context that trusts the first one only."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    where = tmp_path_factory.mktemp("tls")
    servers = []
    for name in ("trusted", "other"):
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(*_certificate(where, name))
        servers.append(context)
    return servers[0], servers[1], ssl.create_default_context(cafile=str(where / "trusted.pem"))


def _port(emu: Emulator) -> int:
    return int(emu.url.rsplit(":", 1)[1])


async def _health(request: web.Request) -> web.Response:
    return web.json_response({"available": True})


@contextlib.asynccontextmanager
async def _tls_site(context: ssl.SSLContext) -> AsyncIterator[int]:
    """A server whose every route answers health's JSON, over TLS with *context*: its port."""
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", _health)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0, ssl_context=context).start()
    try:
        yield runner.addresses[0][1]
    finally:
        await runner.cleanup()


# -- certificates ----------------------------------------------------------------------------------


@pytest.mark.parametrize("call", ["health", "sync"])
async def test_an_untrusted_certificate_fails_at_once(
    certificates: tuple[ssl.SSLContext, ...], call: str
) -> None:
    """A server whose certificate the client does not trust, met by the client's first
    request, a read or a sync trigger (not sent again in rounds): one connection, and the
    error that says which CA to give (no retries: the CA will not appear meanwhile)."""
    server, _, _ = certificates
    async with (
        _tls_site(server) as port,
        Relay(port) as relay,
        AirbyteClient(f"https://127.0.0.1:{relay.port}/api/v1", env={}) as client,
    ):
        first = (
            client.health()
            if call == "health"
            else client.connections.sync(connection_id=CONNECTION)
        )
        with pytest.raises(ConnectError, match="was not trusted"):
            await first

    assert relay.accepted == 1


async def test_a_certificate_not_trusted_once_the_server_answered_is_retried(
    certificates: tuple[ssl.SSLContext, ...],
) -> None:
    """A server that answered over TLS and then presents a certificate the client does not
    trust (an ingress's default certificate during a deployment) is retried as a server that
    is away: every attempt of the call connects."""
    trusted, other, client_context = certificates
    # A connection per request: none kept alive from before the certificate changed.
    connector = aiohttp.TCPConnector(ssl=client_context, force_close=True)
    async with (
        _tls_site(trusted) as good,
        _tls_site(other) as bad,
        Relay(good) as relay,
        aiohttp.ClientSession(connector=connector) as session,
    ):
        url = f"https://127.0.0.1:{relay.port}/api/v1"
        async with _client(url, session) as client:
            assert (await client.health()).available
            relay.target, relay.accepted = bad, 0
            with pytest.raises(ConnectError, match="was not trusted"):
                await client.health()

    assert relay.accepted == 3


async def test_an_https_url_at_a_plain_http_port_fails_at_once() -> None:
    """An https:// URL at a port that speaks plain HTTP: one connection, and the error asks
    whether the URL should be http://."""
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", _health)
    async with (
        serving(app) as url,
        Relay(int(url.rsplit(":", 1)[1])) as relay,
        AirbyteClient(f"https://127.0.0.1:{relay.port}/api/v1", env={}) as client,
    ):
        with pytest.raises(ConnectError, match="use an http:// URL"):
            await client.health()

    assert relay.accepted == 1


# -- TLS at an http:// URL ---------------------------------------------------------------------


async def test_an_http_url_at_a_tls_port_fails_at_once_saying_to_use_https(
    certificates: tuple[ssl.SSLContext, ...],
) -> None:
    """An http:// URL at a port that speaks TLS, which closes the connection unanswered: the
    client asks the port for a TLS handshake once, and raises at once a ConnectError that says
    to use https:// (two connections: the request's and the handshake's), not a lost
    connection retried."""
    server, _, _ = certificates
    async with (
        Emulator() as emu,
        Relay(_port(emu), tls=server) as relay,
        AirbyteClient(f"http://127.0.0.1:{relay.port}/api/v1", env={}) as client,
    ):
        with pytest.raises(ConnectError) as caught:
            await client.health()

    assert f"127.0.0.1:{relay.port} speaks TLS" in str(caught.value)
    assert "use an https:// URL" in str(caught.value)
    assert relay.accepted == 2


async def test_a_batch_at_an_http_url_of_a_tls_port_fails_at_once(
    certificates: tuple[ssl.SSLContext, ...],
) -> None:
    """An orchestrator's batch at an http:// URL of a port that speaks TLS fails at its first
    listing with the error that says to use https://, rather than wait it out as an outage
    (ten minutes of listings before)."""
    server, _, _ = certificates
    async with Emulator(connections=3) as emu, Relay(_port(emu), tls=server) as relay:
        url = f"http://127.0.0.1:{relay.port}"
        async with AirbyteClient(url, env={}, auth=NoAuth(), api="config") as client:
            with anyio.fail_after(30), pytest.raises(ConnectError, match="use an https:// URL"):
                await Orchestrator(client).run(Selection(all_workspaces=True))

    assert relay.accepted == 2


async def test_a_port_that_drops_connections_unanswered_is_still_retried() -> None:
    """A port that accepts connections and closes them unanswered (a load balancer in front
    of a restarting server) but speaks no TLS: asked once whether it does, then retried as a
    lost connection, every attempt connecting."""

    async def drop(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError):
            await reader.read(1)
        writer.close()

    server = await asyncio.start_server(drop, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        async with Relay(port) as relay:
            url = f"http://127.0.0.1:{relay.port}/api/v1"
            async with AirbyteClient(url, env={}, retry=RetryPolicy(attempts=3)) as client:
                with pytest.raises(ConnectionLostError):
                    await client.health()
                with pytest.raises(ConnectionLostError):
                    await client.health()
    finally:
        server.close()

    assert relay.accepted == 3 + 1 + 3


# -- DNS -------------------------------------------------------------------------------------------


class Dns(AbstractResolver):
    """A DNS that knows every name as 127.0.0.1 until *failing* is set to a getaddrinfo error
    code, then answers that; it counts the lookups."""

    def __init__(self) -> None:
        self.lookups = 0
        self.failing: int | None = None

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        self.lookups += 1
        if self.failing is not None:
            raise socket.gaierror(self.failing, f"getaddrinfo error {self.failing}")
        flags = socket.AI_NUMERICHOST | socket.AI_NUMERICSERV
        return [
            ResolveResult(
                hostname=host, host="127.0.0.1", port=port, family=family, proto=0, flags=flags
            )
        ]

    async def close(self) -> None:
        pass


@contextlib.asynccontextmanager
async def _session(dns: Dns) -> AsyncIterator[aiohttp.ClientSession]:
    """A session whose every request opens a connection and looks its host up in *dns*."""
    connector = aiohttp.TCPConnector(resolver=dns, use_dns_cache=False, force_close=True)
    async with aiohttp.ClientSession(connector=connector) as session:
        yield session


def _client(url: str, session: aiohttp.ClientSession, **kwargs: Any) -> AirbyteClient:
    return AirbyteClient(
        url, env={}, session=session, auth=NoAuth(), retry=RetryPolicy(attempts=3), **kwargs
    )


async def test_a_name_dns_says_has_no_address_fails_at_once() -> None:
    """A host name DNS answers has no address (EAI_NONAME), met first: one lookup, and the
    error that says the name does not resolve."""
    dns = Dns()
    dns.failing = socket.EAI_NONAME
    async with _session(dns) as session, _client("http://airbyte.invalid:8000", session) as client:
        with pytest.raises(ConnectError, match="the host name does not resolve"):
            await client.health()

    assert dns.lookups == 2  # the probe of api="auto" on entry, and the call's one attempt


async def test_a_dns_that_does_not_answer_for_now_is_retried() -> None:
    """A lookup that fails for now (EAI_AGAIN: the DNS server did not answer, as while
    Kubernetes' DNS pods restart) is retried as a connection refused is: every attempt looks
    the name up."""
    dns = Dns()
    dns.failing = socket.EAI_AGAIN
    url = "http://airbyte.internal:8000/api/v1"
    async with _session(dns) as session, _client(url, session) as client:
        with pytest.raises(ConnectError, match="DNS lookup"):
            await client.health()

    assert dns.lookups == 3


async def test_a_name_that_stops_resolving_once_the_server_answered_is_retried() -> None:
    """A name that resolved, and whose server answered, then has no address (a Service being
    re-created): retried as a server that is away, every attempt looking it up."""
    dns = Dns()
    async with Emulator() as emu, _session(dns) as session:
        url = f"http://airbyte.internal:{_port(emu)}/api/v1"
        async with _client(url, session) as client:
            assert (await client.health()).available
            dns.failing, dns.lookups = socket.EAI_NONAME, 0
            with pytest.raises(ConnectError, match="the host name does not resolve"):
                await client.health()

    assert dns.lookups == 3
