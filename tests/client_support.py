"""Helpers for the client tests: a client on an emulator, a closed port, a skewed server clock."""

from __future__ import annotations

import socket
from typing import Any

import attrs

from airbyte_async import AirbyteClient, NoAuth
from airbyte_async._throttle import ServerClock
from airbyte_async.testing import Emulator


def client_for(emu: Emulator, **kwargs: Any) -> AirbyteClient:
    """A client on *emu*, reading nothing from the environment (no credentials unless given)."""
    kwargs.setdefault("auth", NoAuth())
    return AirbyteClient(emu.url, env={}, **kwargs)


def closed_port() -> int:
    """A loopback port nothing listens on: connecting to it is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def requests_to(emu: Emulator, route: str) -> int:
    """How many requests *emu* received on ``/api/v1/<route>``."""
    return emu.stats().requests_by_route.get(f"/v1/{route}", 0)


@attrs.define
class SkewedClock(ServerClock):
    """A server clock whose estimate is off by *skew* seconds (positive: ahead of the server)."""

    skew: float = 0.0

    def now(self) -> float:
        """The estimate, *skew* seconds off."""
        return super().now() + self.skew
