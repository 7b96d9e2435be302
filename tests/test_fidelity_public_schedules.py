"""
Fidelity: the schedule a public ``POST /connections`` or ``PATCH /connections/{id}`` takes, as
airbytehq/airbyte-platform's ``ConnectionsController`` handles it (``airbyte-server/src/main/
kotlin/io/airbyte/server/apis/publicapi/``): ``helpers/AirbyteCatalogHelper.kt``
``validateCronConfiguration`` and ``normalizeCronExpression``, then ``mappers/
ConnectionCreateMapper.kt`` and ``ConnectionUpdateMapper.kt``. See
``airbyte_async.testing._public_routes``.
"""

from __future__ import annotations

from typing import Any

import aiohttp
import emulator_support
import pytest
from emulator_support import Answer, call
from test_fidelity_cancels import public

from airbyte_async.testing import Emulator, pytest_plugin

QUARTZ = "https://www.quartz-scheduler.org/documentation/quartz-2.3.0/tutorials/crontrigger.html"
BAD_REQUEST = {
    "status": 400,
    "type": "https://reference.airbyte.com/reference/errors#bad-request",
    "title": "bad-request",
    "detail": "The request could not be understood by the server due to malformed syntax.",
    "documentationUrl": None,
}
UNKNOWN = "00000000-0000-4000-8000-000000000000"

pytestmark = pytest.mark.anyio

airbyte_emulator_factory = pytest_plugin.airbyte_emulator_factory
Factory = pytest_plugin.EmulatorFactory
http = emulator_support.http


async def head(factory: Factory) -> tuple[Emulator, str]:
    """A head emulator of one connection (manual, as seeded) and that connection's id."""
    emu = await factory(connections=1, airbyte_version="head")
    return emu, emu.connection_ids[0]


async def patch_schedule(
    http: aiohttp.ClientSession, emu: Emulator, cid: str, schedule: dict[str, Any]
) -> Answer:
    """``PATCH /connections/{cid}`` with *schedule* alone."""
    return await public(http, emu, "PATCH", f"/connections/{cid}", {"schedule": schedule})


async def create_with(
    http: aiohttp.ClientSession, emu: Emulator, cid: str, schedule: dict[str, Any]
) -> Answer:
    """``POST /connections`` between *cid*'s source and destination, with *schedule*."""
    existing = (await public(http, emu, "GET", f"/connections/{cid}")).json
    body = {
        "sourceId": existing["sourceId"],
        "destinationId": existing["destinationId"],
        "schedule": schedule,
    }
    return await public(http, emu, "POST", "/connections", body)


async def stored(http: aiohttp.ClientSession, emu: Emulator, cid: str) -> tuple[str, Any]:
    """The connection's schedule type and data, as the Config API's ``connections/get`` reads."""
    body = (await call(http, emu, "connections/get", {"connectionId": cid})).json
    return body["scheduleType"], body.get("scheduleData")


def cron(expression: str) -> dict[str, str]:
    """A public cron schedule."""
    return {"scheduleType": "cron", "cronExpression": expression}


@pytest.mark.parametrize("method", ["POST", "PATCH"])
async def test_a_cron_schedule_without_an_expression_is_a_bad_request(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, method: str
) -> None:
    """
    ``scheduleType: cron`` without ``cronExpression`` answers 400 ``BadRequestProblem``
    "Missing cron expression in the schedule." on create and on patch
    (``AirbyteCatalogHelper.validateCronConfiguration``).
    """
    emu, cid = await head(airbyte_emulator_factory)
    schedule = {"scheduleType": "cron"}
    if method == "POST":
        answer = await create_with(http, emu, cid, schedule)
    else:
        answer = await patch_schedule(http, emu, cid, schedule)
    assert answer.status == 400
    assert answer.json == {
        **BAD_REQUEST,
        "data": {"message": "Missing cron expression in the schedule."},
    }


@pytest.mark.parametrize(
    "expression",
    [
        "0 0 * * *",  # five fields: Unix cron
        "0 0 12 * * ? America/New_York",  # a zone other than UTC reads as the year
        "0 0 12 * * MON",  # day-of-month and day-of-week both given
    ],
)
async def test_an_expression_cron_utils_refuses_is_a_bad_request(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, expression: str
) -> None:
    """
    An expression cron-utils' Quartz parser refuses answers 400 ``BadRequestProblem`` "The cron
    expression <sent> is not valid. Error: <why>. Please check the cron expression format at
    <Quartz tutorial>", and the schedule stays as it was
    (``AirbyteCatalogHelper.validateCronConfiguration``, its ``IllegalArgumentException`` branch).
    """
    emu, cid = await head(airbyte_emulator_factory)
    answer = await patch_schedule(http, emu, cid, cron(expression))
    assert answer.status == 400
    assert {k: v for k, v in answer.json.items() if k != "data"} == BAD_REQUEST
    message = answer.json["data"]["message"]
    assert message.startswith(f"The cron expression {expression} is not valid. Error: ")
    assert message.endswith(f". Please check the cron expression format at {QUARTZ}")
    assert await stored(http, emu, cid) == ("manual", None)


@pytest.mark.parametrize(
    "expression",
    [
        "*/30 * * * * ?",  # seconds `*/30`
        "0/5 0 * * * ?",  # seconds `0/5`
        "0,30 0 12 * * ?",  # seconds a list
        "0 * 12 * * ? 2030",  # a year given, minutes `*`
    ],
)
async def test_seconds_or_minutes_with_a_year_that_are_no_number_are_a_bad_request(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, expression: str
) -> None:
    """
    A readable expression whose seconds field, or with a year its minutes field, is not a
    plain number answers 400 ``BadRequestProblem`` "... is not valid or is less than the one
    hour minimum ..." (``validateCronConfiguration``: ``Integer.valueOf`` on cron-utils'
    fields, ``MAX_LENGTH_OF_CRON`` = 7).
    """
    emu, cid = await head(airbyte_emulator_factory)
    answer = await create_with(http, emu, cid, cron(expression))
    assert answer.status == 400
    assert answer.json["data"] == {
        "message": f"The cron expression {expression} is not valid or is less than the one "
        "hour minimum. The seconds and minutes values cannot be `*`."
    }


async def test_six_fields_firing_every_minute_pass(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """
    Without a year only the seconds must be a number, so ``0 * * * * ?`` (every minute) is
    taken, the one-hour minimum of the message notwithstanding (``validateCronConfiguration``
    checks the minutes only when cron-utils' ``asString`` has seven fields; cron-utils
    ``SingleCron.asString`` writes only the fields parsed).
    """
    emu, cid = await head(airbyte_emulator_factory)
    answer = await patch_schedule(http, emu, cid, cron("0 * * * * ?"))
    assert answer.status == 200, answer.text
    assert answer.json["schedule"] == {"scheduleType": "cron", "cronExpression": "0 * * * * ? UTC"}


async def test_a_trailing_utc_is_dropped_and_the_zone_is_utc(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """
    An expression ending in ``UTC`` is stored without it, in time zone UTC, and read back
    with the zone after a space (``normalizeCronExpression``; ``ConnectionCreateMapper`` sets
    ``cronTimeZone`` "UTC"; ``ConnectionReadMapper`` renders "<expression> <zone>").
    """
    emu, cid = await head(airbyte_emulator_factory)
    answer = await create_with(http, emu, cid, cron("0 0 12 * * ? UTC"))
    assert answer.status == 200, answer.text
    assert answer.json["schedule"] == {"scheduleType": "cron", "cronExpression": "0 0 12 * * ? UTC"}
    data = {"cron": {"cronExpression": "0 0 12 * * ?", "cronTimeZone": "UTC"}}
    assert await stored(http, emu, answer.json["connectionId"]) == ("cron", data)


async def test_a_manual_patch_without_an_expression_leaves_the_schedule(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """
    ``{"scheduleType": "manual"}`` alone does not change a patched connection's schedule:
    ``normalizeCronExpression`` turns a schedule without ``cronExpression`` into none, and
    ``ConnectionUpdateMapper`` then leaves the schedule alone.
    """
    emu, cid = await head(airbyte_emulator_factory)
    assert (await patch_schedule(http, emu, cid, cron("0 0 3 * * ?"))).status == 200
    answer = await patch_schedule(http, emu, cid, {"scheduleType": "manual"})
    assert answer.status == 200, answer.text
    assert answer.json["schedule"] == {"scheduleType": "cron", "cronExpression": "0 0 3 * * ? UTC"}


async def test_a_manual_schedule_with_any_expression_takes_effect_unchecked(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """
    A manual schedule that carries a ``cronExpression``, even an unreadable one, makes the
    connection manual without schedule data (``validateCronConfiguration`` checks cron
    schedules only; ``ConnectionUpdateMapper`` sends no data for manual).
    """
    emu, cid = await head(airbyte_emulator_factory)
    assert (await patch_schedule(http, emu, cid, cron("0 0 3 * * ?"))).status == 200
    manual = {"scheduleType": "manual", "cronExpression": "not cron"}
    answer = await patch_schedule(http, emu, cid, manual)
    assert answer.status == 200, answer.text
    assert answer.json["schedule"] == {"scheduleType": "manual"}
    assert await stored(http, emu, cid) == ("manual", None)


async def test_a_manual_create_stores_no_expression(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """
    A create with a manual schedule and an expression makes a manual connection without
    schedule data (``ConnectionCreateMapper`` passes the cron on, and the Config API's
    ``ConnectionScheduleHelper`` drops it for a manual schedule).
    """
    emu, cid = await head(airbyte_emulator_factory)
    answer = await create_with(http, emu, cid, {"scheduleType": "manual", "cronExpression": "x"})
    assert answer.status == 200, answer.text
    assert answer.json["schedule"] == {"scheduleType": "manual"}
    assert await stored(http, emu, answer.json["connectionId"]) == ("manual", None)


async def test_the_schedule_is_checked_before_what_the_request_names(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """
    A bad schedule answers 400 even when the source, destination or connection named does not
    exist: ``ConnectionsController`` checks it before ``getDestinationRead`` (create) and
    ``getConnection`` (patch).
    """
    emu, _ = await head(airbyte_emulator_factory)
    body = {"sourceId": UNKNOWN, "destinationId": UNKNOWN, "schedule": {"scheduleType": "cron"}}
    created = await public(http, emu, "POST", "/connections", body)
    patched = await patch_schedule(http, emu, UNKNOWN, cron("* * * * * ?"))
    assert (created.status, patched.status) == (400, 400)
    assert patched.json["title"] == "bad-request"
