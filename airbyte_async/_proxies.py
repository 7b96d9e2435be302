"""
Which HTTP proxy a request goes through: the environment's, as ``requests`` and ``httpx`` read
it.

``HTTPS_PROXY`` for https URLs, ``HTTP_PROXY`` for http ones (the lowercase names win, as in
:func:`urllib.request.getproxies_environment`), else ``ALL_PROXY``; none for a host that
``NO_PROXY`` lists (a name matches itself and its subdomains, ``*`` every host; ports and
addresses as :func:`urllib.request.proxy_bypass_environment` reads them), nor for this
machine (``localhost``, a loopback address: a proxy elsewhere could not reach it; Go's
``ProxyFromEnvironment`` rule), so that an emulator on 127.0.0.1 is reached directly. The
variables come from the client's *env* (``os.environ`` unless given), read once per host.
``~/.netrc`` is not read (aiohttp's ``trust_env`` would, and would then refuse the client's own
``Authorization`` header). A proxy URL's user and password go to the proxy only, and are
never shown.
"""

from __future__ import annotations

import ipaddress
import re
import urllib.request
from collections.abc import Mapping

from yarl import URL

from ._secrets import redact
from .errors import InvalidArgumentError

__all__ = ["Proxies"]


class Proxies:
    """The proxy for each URL, from the ``*_PROXY`` variables of *env*."""

    def __init__(self, env: Mapping[str, str]) -> None:
        found: dict[str, str] = {}
        # urllib's two passes: any case, then the lowercase names over it (an empty one
        # unsets).
        for name, value in env.items():
            if value and name.lower().endswith("_proxy"):
                found[name.lower()[: -len("_proxy")]] = value
        for name, value in env.items():
            if name.endswith("_proxy"):
                if value:
                    found[name.lower()[: -len("_proxy")]] = value
                else:
                    found.pop(name.lower()[: -len("_proxy")], None)
        self._no = found.pop("no", None)
        self._proxies = {s: v for s, v in found.items() if s in ("http", "https", "all")}
        self._by_host: dict[tuple[str, str, int | None], URL | None] = {}

    def for_url(self, url: URL) -> URL | None:
        """
        The proxy for *url*, or None to connect directly. Raises :class:`InvalidArgumentError`
        when the variable that names it holds no http(s) proxy URL (a socks one, say).
        """
        key = (url.scheme, url.host or "", url.port)
        if key in self._by_host:
            return self._by_host[key]
        scheme = url.scheme if url.scheme in self._proxies else "all"
        value = self._proxies.get(scheme)
        proxy = None
        if value is not None and not _loopback(url.host or "") and not self._bypassed(url):
            proxy = _proxy_url(value, scheme)
        self._by_host[key] = proxy
        return proxy

    def _bypassed(self, url: URL) -> bool:
        if self._no is None:
            return False
        host = url.host or ""
        hostport = f"{host}:{url.port}" if url.port is not None else host
        # Not in typeshed, but in urllib.request since Python 2: what requests reads too.
        bypass = urllib.request.proxy_bypass_environment  # type: ignore[attr-defined]
        return bool(bypass(hostport, {"no": self._no}))


def _proxy_url(value: str, scheme: str) -> URL:
    """*value* as a proxy URL (``proxy:3128`` means ``http://proxy:3128``)."""
    name = f"{scheme.upper()}_PROXY"
    try:
        proxy = URL(value if "://" in value else f"http://{value}")
        ok = proxy.scheme in ("http", "https") and bool(proxy.host) and proxy.port is not None
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise InvalidArgumentError(
            f"{name} of the environment must be an http:// or https:// proxy URL, got "
            f"{_safe(value)!r} (aiohttp speaks no socks): fix it, or unset it for this client "
            "(env=)"
        )
    return proxy


def _loopback(host: str) -> bool:
    """Whether *host* is this machine: ``localhost``, or a loopback address."""
    if host.lower() == "localhost" or host.lower().endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _safe(value: str) -> str:
    """*value* with a password hidden, even when it does not parse: all before its last ``@``
    but the scheme (a password may hold an unquoted ``/`` or ``#``, a value no scheme)."""
    shown: str = redact(re.sub(r"^([A-Za-z][A-Za-z0-9+.-]*://)?.*@", r"\1***@", value))
    return shown
