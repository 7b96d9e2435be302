"""
Fidelity: what Airbyte's Config API makes of a request body's ids and numbers, per version.

The server reads a body with Jackson into the models openapi-generator's ``jaxrs-spec``
generator writes from the spec (airbytehq/airbyte-platform ``airbyte-api/server-api/
build.gradle.kts``): a ``format: uuid`` field is a ``java.util.UUID``, a ``type: integer`` one
an ``Integer`` (32 bits), a ``format: int64`` one a ``Long``. What Jackson cannot map is a 422
(API-FACTS 6.2, ``InvalidJsonInputExceptionHandler``); a required field it maps to null a 400.

Keywords of the request schemas this emulator leaves unchecked, because the server does not
check them either, are listed in ``airbyte_async/testing/_validate.py``.
"""

from __future__ import annotations

import base64
import uuid
from typing import Any

import aiohttp
import emulator_support
import pytest
from emulator_support import call

from airbyte_async.testing import pytest_plugin
from airbyte_async.testing._versions import since

pytestmark = pytest.mark.anyio

airbyte_emulator_factory = pytest_plugin.airbyte_emulator_factory
Factory = pytest_plugin.EmulatorFactory
http = emulator_support.http

VERSIONS = pytest.mark.parametrize("version", ["0.40", "0.50", "1.7", "2.0", "head"])
INT_MAX = 2**31 - 1
LONG_MAX = 2**63 - 1


def _hyphens_anywhere(text: str) -> str:
    plain = text.replace("-", "")
    return f"{plain[:4]}-{plain[4:]}"


#: Forms Python's uuid.UUID reads and Jackson's UUIDDeserializer refuses: it takes 36
#: characters with hyphens at 8, 13, 18 and 23 and hex digits elsewhere, or 24 characters of
#: Base64 holding 16 bytes, and nothing else (jackson-databind ``UUIDDeserializer._deserialize``
#: → ``_badFormat`` / ``_badChar``: an ``InvalidFormatException``, a ``JsonMappingException``).
NOT_JACKSON = {
    "without hyphens": lambda text: text.replace("-", ""),
    "in braces": lambda text: "{" + text + "}",
    "as a URN": lambda text: "urn:uuid:" + text,
    "with hyphens elsewhere": _hyphens_anywhere,
}


@VERSIONS
@pytest.mark.parametrize("form", sorted(NOT_JACKSON))
async def test_a_uuid_jackson_cannot_read_is_a_422(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, version: str, form: str
) -> None:
    """
    An id that Python reads as a UUID but Jackson does not (no hyphens, braces, a URN, hyphens
    out of place) fails the mapping of the body: 422, as for any value of the wrong type
    (jackson-databind UUIDDeserializer; API-FACTS 6.2), even for a connection that exists.
    """
    emu = await airbyte_emulator_factory(airbyte_version=version, connections=1)
    sent = NOT_JACKSON[form](emu.connection_ids[0])
    uuid.UUID(sent)  # what the emulator used to take

    answer = await call(http, emu, "connections/get", {"connectionId": sent})

    assert answer.status == 422
    if not since(version, "2.0"):
        assert answer.json["message"].startswith("Invalid json input.")


def _base64(text: str) -> str:
    return base64.b64encode(uuid.UUID(text).bytes).decode()


#: Forms Jackson reads as the UUID they spell: upper-case hex (``HEX_DIGITS`` holds both
#: cases), blanks around it (``FromStringDeserializer`` trims the text first) and the 24
#: characters of Base64 of its 16 bytes.
SAME_ID = {
    "in upper case": str.upper,
    "between blanks": lambda text: f"  {text}\t",
    "as Base64": _base64,
}


@VERSIONS
@pytest.mark.parametrize("form", sorted(SAME_ID))
async def test_a_uuid_jackson_reads_otherwise_written_names_the_same_connection(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, version: str, form: str
) -> None:
    """
    An id in upper case, between blanks or in Base64 is the java.util.UUID it spells once
    Jackson has read it (UUIDDeserializer, FromStringDeserializer trimming): the connection is
    found, and the answer names it in the usual lower-case form.
    """
    emu = await airbyte_emulator_factory(airbyte_version=version, connections=1)
    connection_id = emu.connection_ids[0]

    answer = await call(
        http, emu, "connections/get", {"connectionId": SAME_ID[form](connection_id)}
    )

    assert answer.status == 200
    assert answer.json["connectionId"] == connection_id


@VERSIONS
async def test_a_blank_uuid_is_null_so_a_required_one_is_a_400(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, version: str
) -> None:
    """
    Jackson reads an empty or blank string as a null UUID (FromStringDeserializer: "lets UUID
    return as-null"), so a required id sent blank fails bean validation, not the mapping: 400
    "must not be null" (API-FACTS 6.2), as if it were missing.
    """
    emu = await airbyte_emulator_factory(airbyte_version=version, connections=1)

    answer = await call(http, emu, "connections/get", {"connectionId": " "})

    assert answer.status == 400
    if not since(version, "2.0"):
        [error] = answer.json["validationErrors"]
        assert (error["propertyPath"], error["message"]) == ("$.connectionId", "must not be null")


async def test_a_blank_optional_uuid_is_as_if_not_sent(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession
) -> None:
    """
    A blank optional id is null, as if it were not sent: a search whose sourceId is "" finds
    the workspace's sources as one without it does (FromStringDeserializer; SourceSearch has no
    required field, API-FACTS 2.3).
    """
    emu = await airbyte_emulator_factory(airbyte_version="0.50", connections=1)

    blank = await call(http, emu, "sources/search", {"sourceId": ""})
    without = await call(http, emu, "sources/search", {})

    assert blank.status == without.status == 200
    assert blank.json == without.json


# -- integers: Integer (32 bits) unless the spec says int64 ----------------------------------


def _jobs_list(emu: Any, size: int) -> tuple[str, dict[str, Any]]:
    body = {"configTypes": ["sync"], "configId": emu.connection_ids[0]}
    return "jobs/list", body | {"pagination": {"pageSize": size, "rowOffset": 0}}


def _schedule(emu: Any, units: int) -> tuple[str, dict[str, Any]]:
    data = {"basicSchedule": {"timeUnit": "hours", "units": units}}
    body = {"connectionId": emu.connection_ids[0], "scheduleType": "basic", "scheduleData": data}
    return "connections/update", body


BEYOND = {
    "a job id beyond a long": lambda emu: ("jobs/get", {"id": LONG_MAX + 1}),
    "a job id below a long": lambda emu: ("jobs/get", {"id": -(2**63) - 1}),
    "a page size beyond an int": lambda emu: _jobs_list(emu, INT_MAX + 1),
    "a schedule of more units than a long holds": lambda emu: _schedule(emu, LONG_MAX + 1),
}


@VERSIONS
@pytest.mark.parametrize("case", sorted(BEYOND))
async def test_a_number_beyond_its_java_type_is_a_422(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, version: str, case: str
) -> None:
    """
    A whole number its field's Java type cannot hold (JobId and schedule units are int64, a
    Long; Pagination.pageSize has no format, an Integer) fails the mapping: Jackson's
    InputCoercionException ("out of range of long"), wrapped by BeanDeserializer.wrapAndThrow
    into a JsonMappingException, is a 422 (API-FACTS 6.2).
    """
    emu = await airbyte_emulator_factory(airbyte_version=version, connections=1)
    route, body = BEYOND[case](emu)

    answer = await call(http, emu, route, body)

    assert answer.status == 422
    if not since(version, "2.0"):
        assert answer.json["message"].startswith("Invalid json input.")


@VERSIONS
async def test_numbers_at_the_edge_of_their_java_type_are_read(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, version: str
) -> None:
    """The largest Long a job id can be and the largest Integer a page size can be map: the
    first is an unknown job (500, API-FACTS 6.2), the second a page of jobs."""
    emu = await airbyte_emulator_factory(airbyte_version=version, connections=1)

    job = await call(http, emu, "jobs/get", {"id": LONG_MAX})
    page = await call(http, emu, *_jobs_list(emu, INT_MAX))

    assert job.status == 500
    assert page.status == 200


# -- date-times: OffsetDateTime, read with ISO_OFFSET_DATE_TIME ------------------------------

#: Forms Python's datetime.fromisoformat reads that DateTimeFormatter.ISO_OFFSET_DATE_TIME does
#: not (its javadoc: ISO_LOCAL_DATE 'T' HH:mm[:ss[.fraction of 0 to 9 digits]] and an offset).
NOT_ISO_OFFSET = {
    "a blank between date and time": "2024-01-01 00:00:00Z",
    "the basic format": "20240101T000000Z",
    "the hour alone": "2024-01-01T00Z",
    "a week date": "2024-W01-1T00:00:00Z",
    "a decimal comma": "2024-01-01T00:00:00,5Z",
}


@pytest.mark.parametrize("version", ["0.50", "2.0", "head"])
@pytest.mark.parametrize("form", sorted(NOT_ISO_OFFSET))
async def test_a_date_time_iso_offset_date_time_cannot_read_is_a_422(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, version: str, form: str
) -> None:
    """
    jobs/list's createdAtStart is an OffsetDateTime, which jackson-datatype-jsr310 reads with
    DateTimeFormatter.ISO_OFFSET_DATE_TIME (InstantDeserializer.OFFSET_DATE_TIME): a blank for
    the 'T', the basic format, an hour without minutes, a week date or a decimal comma fail the
    mapping, a 422 (API-FACTS 6.2), where Python would read them.
    """
    emu = await airbyte_emulator_factory(airbyte_version=version, connections=1)
    body = {"configTypes": ["sync"], "configId": emu.connection_ids[0]}

    answer = await call(http, emu, "jobs/list", body | {"createdAtStart": NOT_ISO_OFFSET[form]})

    assert answer.status == 422


@pytest.mark.parametrize("version", ["0.50", "head"])
@pytest.mark.parametrize(
    "sent", ["2024-01-01t00:00z", "2024-01-01T00:00:00.123456789+01:00", "2024-01-01T00:00+00"]
)
async def test_a_date_time_iso_offset_date_time_reads_is_taken(
    airbyte_emulator_factory: Factory, http: aiohttp.ClientSession, version: str, sent: str
) -> None:
    """
    ISO_OFFSET_DATE_TIME parses case-insensitively ('t', 'z'), takes up to nine digits of
    fraction and no seconds, and Jackson reads an offset of "+00" as Z
    (InstantDeserializer.replaceZeroOffsetAsZ): each is a page of jobs, not a 422.
    """
    emu = await airbyte_emulator_factory(airbyte_version=version, connections=1)
    body = {"configTypes": ["sync"], "configId": emu.connection_ids[0], "createdAtStart": sent}

    answer = await call(http, emu, "jobs/list", body)

    assert answer.status == 200
