"""
Which API a bare host answers to, for ``api="auto"`` (issue 12: "public for
``api.airbyte.com``, otherwise what the server answers to").

Why a probe of the health routes, and when:

- Both APIs have a health route that Airbyte serves without credentials: ``GET /api/v1/health``
  (API-FACTS 1.1 and 2.7, ``security: []``) and ``GET /api/public/v1/health`` (public-api-head.yaml
  ``/health``, ``security: []``). Asking them changes nothing on the server and costs one small
  GET; the Config API's is asked first because every self-managed version has it, while only
  recent ones serve the public API too (issue 12: self-managed 1.x/2.x).
- The probe runs once, when the client is entered, not lazily per resource: the resources a
  client hands out are those of one API, so the choice must be made before the first of them
  is used. Basic or bearer credentials go along (a proxy in front of Airbyte may guard the
  health route too, and "what the server answers to" means: to this user); client credentials
  do not, so that entering fetches no token. A guard that then refuses (401) is no answer, and
  the next call asks again with a token (below).
- Nothing is probed when the user named the API (``api=``, ``AIRBYTE_API``) or the URL names it
  (``api.airbyte.com``, ``.../api/public/v1``, ``.../api/v1``).

The rule (:func:`choose`):

- the Config API's health answers (2xx): the Config API;
- it answers 404 (the route is not there): the public API, unless the public health answers
  404 too, which means neither API lives at this URL: the Config API, whose calls then report
  their own 404;
- anything else (no answer: the connection fails or times out, 5xx, 429, 401, ...): no choice.
  Entering the client does not fail; the client stays unsettled on the Config API and asks
  again before its next request, with its credentials and the retry policy of a call; if that
  gets no answer either, the call raises what kept the server silent (a ``ConnectError``, say)
  and sends nothing else; calls that queued behind that probe raise the same error rather than
  each spend a call's retries on one of their own. After a probe that timed out (it had a
  whole ``timeout``), the next makes one attempt, without a call's retries: a health route
  slower than the timeout is told after two timeouts, not six. The first answer that says
  which API settles it for the rest of the session; no answer is ever taken as one. A resource taken
  before the server turned out to serve only the public API raises
  ``UnsupportedOperationError`` rather than send a Config API request that would 404: take it
  from the client again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from yarl import URL

from .errors import AirbyteError, NotFoundError

__all__ = ["choose"]

Ask = Callable[[URL], Awaitable[object]]


async def choose(
    ask: Ask, config_health: URL, public_health: URL, *, raise_no_answer: bool = False
) -> str | None:
    """
    ``"config"``, ``"public"`` or None (no answer) by the rule above; *ask* GETs one URL,
    raising the :mod:`~airbyte_async.errors` tree for what did not answer 2xx. With
    *raise_no_answer*, no answer raises that error instead of returning None.
    """
    try:
        await ask(config_health)
    except NotFoundError:
        pass
    except AirbyteError:
        if raise_no_answer:
            raise
        return None
    else:
        return "config"
    try:
        await ask(public_health)
    except NotFoundError:
        return "config"
    except AirbyteError:
        pass
    return "public"
