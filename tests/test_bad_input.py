"""Bad input, ours and the server's: typed errors that name the problem, before any request."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web
from client_support import client_for

from airbyte_async import (
    AirbyteClient,
    BasicAuth,
    BearerToken,
    ClientCredentials,
    NoAuth,
    RetryBudget,
    RetryPolicy,
)
from airbyte_async._checks import canonical_uuid, is_uuid, uuid_id
from airbyte_async.errors import InvalidArgumentError, ResponseValidationError
from airbyte_async.models import (
    BasicSchedule,
    Catalog,
    CronSchedule,
    DestinationSyncMode,
    Schedule,
    ScheduleData,
    Stream,
    StreamAndConfig,
    StreamConfig,
    SyncMode,
    TimeUnit,
)
from airbyte_async.models import _wire as w
from airbyte_async.testing import Emulator, pytest_plugin

#: Ids in the form the client checks for (every Airbyte id is a UUID).
W = "00000000-0000-4000-8000-00000000000a"
X = "00000000-0000-4000-8000-00000000000b"
S = "00000000-0000-4000-8000-00000000000c"
D = "00000000-0000-4000-8000-00000000000d"
C = "00000000-0000-4000-8000-00000000000e"


airbyte_emulator_factory = pytest_plugin.airbyte_emulator_factory
Factory = pytest_plugin.EmulatorFactory

pytestmark = pytest.mark.anyio

NaN = float("nan")
Inf = float("inf")


@pytest.fixture
async def emu(airbyte_emulator_factory: Factory) -> Emulator:
    """An emulator that must see no request at all."""
    return await airbyte_emulator_factory(connections=1)


# -- client settings ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "names"),
    [
        ({"timeout": 0}, "timeout"),
        ({"timeout": -1}, "timeout"),
        ({"timeout": NaN}, "timeout"),
        ({"timeout": Inf}, "timeout"),
        ({"timeout": "5"}, "timeout"),
        ({"connect_timeout": 0}, "connect_timeout"),
        ({"connector_timeout": 0}, "connector_timeout"),
        ({"max_connections": 0}, "max_connections"),
        ({"max_connections": 2.5}, "max_connections"),
        ({"rate_limit": 0}, "rate_limit"),
        ({"rate_limit": -3}, "rate_limit"),
        ({"rate_limit": NaN}, "rate_limit"),
        ({"rate_limit": "10"}, "rate_limit"),
        ({"retry": 3}, "retry"),
        ({"retry_budget": 10}, "retry_budget"),
        ({"session": "session"}, "session"),
        ({"auth": ("airbyte", "password")}, "BasicAuth"),
        ({"auth": "a-token"}, "auth"),
    ],
)
async def test_bad_client_settings_are_refused_before_any_request(
    emu: Emulator, kwargs: dict[str, Any], names: str
) -> None:
    """Zero, negative, non-finite or mistyped settings raise InvalidArgumentError naming them."""
    with pytest.raises(InvalidArgumentError, match=names):
        AirbyteClient(emu.url, env={}, **kwargs)

    assert emu.stats().total_requests == 0


@pytest.mark.parametrize(
    "kwargs",
    [
        {"attempts": 0},
        {"attempts": 1.5},
        {"total_timeout": 0},
        {"initial_wait": -1},
        {"max_wait": 0},
        {"max_retry_after": NaN},
    ],
)
def test_bad_retry_policies_are_refused(kwargs: dict[str, Any]) -> None:
    """A RetryPolicy out of range raises InvalidArgumentError naming the field."""
    with pytest.raises(InvalidArgumentError, match=next(iter(kwargs))):
        RetryPolicy(**kwargs)


@pytest.mark.parametrize(
    "kwargs", [{"capacity": 0.5}, {"capacity": NaN}, {"refill": -1}, {"capacity": 2, "refill": 3}]
)
def test_bad_retry_budgets_are_refused(kwargs: dict[str, Any]) -> None:
    """A RetryBudget out of range raises InvalidArgumentError."""
    with pytest.raises(InvalidArgumentError):
        RetryBudget(**kwargs)


@pytest.mark.parametrize(
    "make",
    [
        lambda: BasicAuth("", "password"),
        lambda: BasicAuth("air:byte", "password"),
        lambda: BasicAuth(42, "password"),
        lambda: BasicAuth("airbyte", None),
        lambda: BearerToken(""),
        lambda: BearerToken("abc\r\nX-Admin: 1"),
        lambda: ClientCredentials("id", ""),
    ],
    ids=[
        "empty user",
        "colon",
        "user not str",
        "password None",
        "empty token",
        "header injection",
        "empty secret",
    ],
)
def test_unusable_credentials_are_refused(make: Callable[[], object]) -> None:
    """Credentials that cannot make a valid header raise InvalidArgumentError."""
    with pytest.raises(InvalidArgumentError):
        make()


def test_a_credentials_error_never_shows_the_value() -> None:
    """The message for a bad token names the problem, not the token."""
    with pytest.raises(InvalidArgumentError) as caught:
        BearerToken("s3cr3t\nvalue")

    assert "s3cr3t" not in str(caught.value)


# -- client.request ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "kwargs", "names"),
    [
        (("",), {}, "route"),
        (("/connections/list",), {}, "route"),
        (("http://elsewhere/api/v1/x",), {}, "route"),
        (("../../admin",), {}, "route"),
        (("connections/list?x=1",), {}, "route"),
        (("connections list",), {}, "route"),
        (("connections/list",), {"method": "TRACE"}, "method"),
        (("connections/list",), {"method": "post"}, "method"),
        (("connections/list", [1, 2]), {}, "body"),
        (("connections/list", {"when": object()}), {}, "not JSON"),
        (("connections/list", {"n": NaN}), {}, "not JSON"),
    ],
)
async def test_requests_that_cannot_be_sent_are_refused_before_sending(
    emu: Emulator, args: tuple[Any, ...], kwargs: dict[str, Any], names: str
) -> None:
    """Bad routes, methods and bodies raise InvalidArgumentError; the server sees nothing."""
    async with client_for(emu) as client:
        with pytest.raises(InvalidArgumentError, match=names):
            await client.request(*args, **kwargs)

    assert emu.stats().total_requests == 0


@pytest.mark.parametrize(
    ("call", "says"),
    [
        (lambda c: c.jobs.logs(job_id=1, attempt="0"), "attempt must be a whole number"),
        (lambda c: c.jobs.logs(job_id=1, attempt=-1), "attempt must be a whole number"),
        (lambda c: c.source_definitions.find(name=None), "name must be a non-empty string"),
        (lambda c: c.workspaces.create(name=None), "name must be a string, got None"),
        (lambda c: c.workspaces.get_by_slug(slug=7), "slug must be a string, got 7"),
    ],
)
async def test_config_api_arguments_are_checked_before_sending(
    emu: Emulator, call: Callable[[AirbyteClient], Awaitable[Any]], says: str
) -> None:
    """An attempt number, a definition name, a workspace name or slug of the wrong kind (Config
    API operations): InvalidArgumentError before any request (2.x would answer a missing name
    with a bare 400, which workspaces.create would even take for a missing organization)."""
    async with client_for(emu) as client:
        with pytest.raises(InvalidArgumentError, match=says):
            await call(client)

    assert emu.stats().total_requests == 0


async def test_the_wrong_object_in_place_of_a_client_spec_or_plan_is_named(
    emu: Emulator,
) -> None:
    """A path where a Spec goes, None where a Plan or a client goes, text where the
    environment goes: InvalidArgumentError saying what is wanted, before any request."""
    from airbyte_async.apply import apply, execute
    from airbyte_async.orchestrator import Orchestrator

    with pytest.raises(InvalidArgumentError, match="env must be a mapping"):
        AirbyteClient(emu.url, env="AIRBYTE_URL=x")  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError, match="client must be an AirbyteClient"):
        Orchestrator(None)  # type: ignore[arg-type]
    async with client_for(emu) as client:
        with pytest.raises(InvalidArgumentError, match=r"spec must be a Spec \(load\(\)"):
            await apply(client, "pipeline.toml")  # type: ignore[arg-type]
        with pytest.raises(InvalidArgumentError, match="planned must be a Plan"):
            await execute(client, None)  # type: ignore[arg-type]

    assert emu.stats().total_requests == 0


async def test_resource_arguments_are_checked_before_sending(emu: Emulator) -> None:
    """A resource's own checks (here an empty job type list) run before any request."""
    async with client_for(emu) as client:
        with pytest.raises(InvalidArgumentError):
            await client.jobs.list_page(connection_id=emu.connection_ids[0], job_types=())

    assert emu.stats().total_requests == 0


_FULL = {
    "sync_mode": SyncMode.FULL_REFRESH,
    "destination_sync_mode": DestinationSyncMode.OVERWRITE,
}
#: A stream whose configuration does not say whether it is selected, and one selected.
_UNSAID = StreamAndConfig(stream=Stream(name="users"), config=StreamConfig(**_FULL))
_CHOSEN = StreamAndConfig(stream=Stream(name="orders"), config=StreamConfig(**_FULL, selected=True))
WS = "00000000-0000-4000-8000-000000000001"
PG_DEF = "decd338e-5647-4c0b-adf4-da0e75f5a750"
SID = "00000000-0000-4000-8000-000000000002"


def _cron(expression: Any, zone: str = "UTC") -> dict[str, Any]:
    """The keyword arguments of a cron schedule."""
    cron = CronSchedule(cron_expression=expression, cron_time_zone=zone)
    return {"schedule_type": "cron", "schedule_data": ScheduleData(cron=cron)}


BAD_ARGUMENTS: dict[str, tuple[Callable[[AirbyteClient], Awaitable[Any]], str]] = {
    "a configuration that is text": (
        lambda c: c.sources.create(
            workspace_id=WS, name="s", definition_id=PG_DEF, configuration="password=x"
        ),
        "configuration must be a mapping",
    ),
    "no configuration": (
        lambda c: c.destinations.create(
            workspace_id=WS, name="d", definition_id=PG_DEF, configuration=None
        ),
        "configuration must be a mapping",
    ),
    "an ensure with a list for a configuration": (
        lambda c: c.sources.ensure(
            workspace_id=WS, name="s", definition_id=PG_DEF, configuration=[("password", "x")]
        ),
        "configuration must be a mapping",
    ),
    "an update with a list for a configuration": (
        lambda c: c.sources.update(source_id=SID, configuration=[("password", "x")]),
        "configuration must be a mapping",
    ),
    "a catalog that is a dict": (
        lambda c: c.connections.create(source_id=SID, destination_id=SID, sync_catalog={}),
        "sync_catalog must be a Catalog",
    ),
    "a catalog with a stream that does not say it is selected": (
        lambda c: c.connections.create(
            source_id=SID,
            destination_id=SID,
            sync_catalog=Catalog(streams=(_UNSAID, _CHOSEN)),
        ),
        "stream users must say whether it is selected",
    ),
    "a catalog with a stream without a configuration": (
        lambda c: c.connections.update(
            connection_id=SID,
            sync_catalog=Catalog(streams=(_CHOSEN, StreamAndConfig(stream=Stream(name="users")))),
        ),
        "stream users must say whether it is selected",
    ),
    "a misspelt setting": (
        lambda c: c.connections.create(source_id=SID, destination_id=SID, scheduel_type="cron"),
        "no connection setting scheduel_type",
    ),
    "settings that are a dict": (
        lambda c: c.connections.update(connection_id=SID, settings={"status": "inactive"}),
        "settings must be a ConnectionSettings",
    ),
    "a sync of a connection id that is no UUID": (
        lambda c: c.connections.sync(connection_id="conn-1"),
        "connection_id must be a UUID",
    ),
    "a sync of a connection id in braces": (
        lambda c: c.connections.sync(connection_id="{" + SID + "}"),
        "connection_id must be a UUID",
    ),
    "a connection id given as a uuid.UUID": (
        lambda c: c.connections.sync(connection_id=uuid.UUID(SID)),
        "connection_id must be a UUID's string: pass str",
    ),
    "a source id without hyphens": (
        lambda c: c.sources.get(source_id=SID.replace("-", "")),
        "source_id must be a UUID",
    ),
    "a job id that is text": (lambda c: c.jobs.get(job_id="12"), "job_id must be a whole number"),
    "a job id beyond a long": (
        lambda c: c.jobs.get(job_id=2**63),
        "job_id must be a whole number from 0 to 9223372036854775807",
    ),
    "a page of more jobs than an int counts": (
        lambda c: c.jobs.list_page(connection_id=SID, page_size=2**31),
        "page_size must be",
    ),
    "a basic schedule of more units than a long holds": (
        lambda c: c.connections.create(
            source_id=SID,
            destination_id=SID,
            schedule_type="basic",
            schedule_data=ScheduleData(
                basic_schedule=BasicSchedule(time_unit=TimeUnit.HOURS, units=2**63)
            ),
        ),
        "units must be a whole number from",
    ),
    "a legacy schedule of units given as text": (
        lambda c: c.connections.create(
            source_id=SID, destination_id=SID, schedule=Schedule(units="6", time_unit="hours")
        ),
        "units must be a whole number from",
    ),
    "a negative job id": (lambda c: c.jobs.cancel(job_id=-1), "job_id must be a whole number"),
    "a source id that is no UUID": (lambda c: c.sources.get(source_id="s"), "source_id"),
    "a workspace id that is no UUID": (
        lambda c: c.connections.list(workspace_id="default").__anext__(),
        "workspace_id must be a UUID",
    ),
    "a source to create in a workspace that is no UUID": (
        lambda c: c.sources.create(
            workspace_id="default", name="s", definition_id=PG_DEF, configuration={}
        ),
        "workspace_id must be a UUID",
    ),
    "a connection between ids that are no UUIDs": (
        lambda c: c.connections.create(source_id=SID, destination_id="d"),
        "destination_id must be a UUID",
    ),
    "the jobs of a connection id that is no UUID": (
        lambda c: c.jobs.list_page(connection_id="c"),
        "connection_id must be a UUID",
    ),
    "an ensure without a name": (
        lambda c: c.connections.ensure(
            workspace_id=WS, source_id=SID, destination_id=SID, name=None
        ),
        "name must be a non-empty string",
    ),
    "an ensure of a source of a definition id that is no UUID": (
        lambda c: c.sources.ensure(workspace_id=WS, name="s", definition_id="pg", configuration={}),
        "definition_id must be a UUID",
    ),
    "a find by no name": (
        lambda c: c.destinations.find(workspace_id=WS, name=None),
        "name must be a non-empty string",
    ),
    "a find of a connection to a destination that is no UUID": (
        lambda c: c.connections.find(workspace_id=WS, name="c", destination_id=5),
        "destination_id must be a UUID",
    ),
    "a discovery toward a destination that is no UUID": (
        lambda c: c.sources.discover_schema(source_id=SID, destination_id="lake"),
        "destination_id must be a UUID",
    ),
    "a wait that polls without a pause": (
        lambda c: c.jobs.wait(job_id=1, poll_interval=0),
        "poll_interval must be a number of seconds above 0",
    ),
    "a schedule given as text": (
        lambda c: c.connections.create(source_id=SID, destination_id=SID, schedule="daily"),
        "schedule must be a Schedule, got str",
    ),
    "schedule data given as a dict": (
        lambda c: c.connections.update(
            connection_id=SID, schedule_type="cron", schedule_data={"cron": {}}
        ),
        "schedule_data must be a ScheduleData, got dict",
    ),
    "jobs in an order there is none of": (
        lambda c: c.jobs.list(connection_id=SID, order_by="newest").__anext__(),
        "order_by must be one of created_at",
    ),
    "a source named by a number": (
        lambda c: c.sources.create(
            workspace_id=WS, name=5, definition_id=PG_DEF, configuration={"password": "x"}
        ),
        "name must be a string, got 5",
    ),
    "a destination renamed to a number": (
        lambda c: c.destinations.update(destination_id=SID, name=5),
        "name must be a string, got 5",
    ),
    "a source renamed to a number, reconfigured": (
        lambda c: c.sources.update(source_id=SID, name=5, configuration={"password": "x"}),
        "name must be a string, got 5",
    ),
    "a connection named by a number": (
        lambda c: c.connections.create(source_id=SID, destination_id=SID, name=1),
        "name must be a string, got 1",
    ),
    "a stream prefix that is a number": (
        lambda c: c.connections.update(connection_id=SID, prefix=1),
        "prefix must be a string, got 1",
    ),
    "one connection name where catalogs takes several": (
        lambda c: c.connections.list(workspace_id=WS, catalogs="orders").__anext__(),
        r"catalogs must be True, False or a collection of connection names, got 'orders': "
        r"give \[name\] for one",
    ),
    "catalogs of connections named by number": (
        lambda c: c.connections.list(workspace_id=WS, catalogs=[1]).__anext__(),
        r"catalogs must hold connection names \(strings\), got 1",
    ),
    # Airbyte answers a cron it cannot run with "The cron expression is invalid" (head's
    # Config API, CronValidationInvalidExpressionProblem in api-problems.yaml) or "invalid cron
    # expression" (0.x): the client says what is wrong before sending it, as apply does.
    "a cron schedule at hour 25": (
        lambda c: c.connections.create(source_id=SID, destination_id=SID, **_cron("0 0 25 * * ?")),
        r"schedule_data.cron \('0 0 25 \* \* \?' in 'UTC'\) cannot run on Airbyte: "
        "hours: values are 0-23, not 25",
    ),
    "a cron schedule of five fields, as Unix cron writes it": (
        lambda c: c.connections.update(connection_id=SID, **_cron("0 3 * * *")),
        "a cron expression has 6 or 7 fields",
    ),
    "a cron schedule naming both days": (
        lambda c: c.connections.ensure(
            workspace_id=WS, source_id=SID, destination_id=SID, name="c", **_cron("0 0 3 * * MON")
        ),
        "exactly one of day-of-month and day-of-week must be '?'",
    ),
    "a cron schedule in a time zone no database names": (
        lambda c: c.connections.create(
            source_id=SID, destination_id=SID, **_cron("0 0 3 * * ?", "Europe/Pariss")
        ),
        "unknown time zone 'Europe/Pariss'",
    ),
    "a cron expression that is a number": (
        lambda c: c.connections.create(source_id=SID, destination_id=SID, **_cron(3)),
        "schedule_data.cron.cron_expression must be a string, got 3",
    ),
    "the jobs of one workspace id alone": (
        lambda c: c.jobs.list_for_workspaces(workspace_ids=WS).__anext__(),
        "workspace_ids must be a list of ids, got one",
    ),
}


@pytest.mark.parametrize("api", ["config", "public"])
@pytest.mark.parametrize("case", sorted(BAD_ARGUMENTS))
async def test_arguments_of_the_wrong_kind_are_refused_before_sending(
    airbyte_emulator_factory: Factory, case: str, api: str
) -> None:
    """A configuration that is no mapping, a catalog or settings that are plain dicts, a
    misspelt setting, an id that cannot be Airbyte's (every Airbyte id is a UUID and every job
    id a whole number; the server would answer 404, 400 or 422 depending on the route and the
    version), an id or a count the server's Jackson cannot read (a UUID not in its 36-character
    form; a job id or schedule units beyond a Long, a page size beyond an Integer: 422, see
    test_fidelity_request_formats.py), a name or prefix that is no string (2.x answers a bare
    400 or 422), an order there is none of: InvalidArgumentError saying what is wrong, and
    never a secret's value; the server sees nothing."""
    emu = await airbyte_emulator_factory(airbyte_version="head")
    call, says = BAD_ARGUMENTS[case]
    async with AirbyteClient(emu.url, auth=NoAuth(), env={}, api=api) as client:
        with pytest.raises(InvalidArgumentError, match=says) as caught:
            await call(client)

    assert "password" not in str(caught.value)
    assert emu.stats().total_requests == 0


@pytest.mark.parametrize("operation", ["create", "update"])
async def test_a_catalog_selecting_nothing_is_refused_on_the_public_api(
    airbyte_emulator_factory: Factory, operation: str
) -> None:
    """The public API takes a catalog of no stream as no catalog at all (``AirbyteCatalogHelper.
    hasStreamConfigurations``): a new connection then syncs every stream of its source, full
    refresh and overwrite, where the caller chose none. InvalidArgumentError says so, and the
    server sees nothing."""
    emu = await airbyte_emulator_factory(airbyte_version="head")
    unselected = StreamAndConfig(
        stream=Stream(name="users"), config=StreamConfig(**_FULL, selected=False)
    )
    catalog = Catalog(streams=(unselected,))
    async with AirbyteClient(emu.url, auth=NoAuth(), env={}, api="public") as client:
        sent = (
            client.connections.create(source_id=SID, destination_id=SID, sync_catalog=catalog)
            if operation == "create"
            else client.connections.update(connection_id=SID, sync_catalog=catalog)
        )
        with pytest.raises(InvalidArgumentError, match="sync_catalog selects no stream"):
            await sent

    assert emu.stats().total_requests == 0


# -- malformed answers ---------------------------------------------------------------------------

Serve = Callable[..., Awaitable[str]]


@pytest.fixture
async def odd_server() -> AsyncIterator[Serve]:
    """``await odd_server(body)`` serves *body* (bytes, or JSON) to every request; its URL."""
    runners: list[web.AppRunner] = []

    async def start(body: Any, *, content_type: str = "application/json") -> str:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()

        async def answer(request: web.Request) -> web.Response:
            await request.read()
            return web.Response(body=raw, content_type=content_type)

        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", answer)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        runners.append(runner)
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        return f"http://127.0.0.1:{runner.addresses[0][1]}"

    yield start
    for runner in runners:
        await runner.cleanup()


ODD_BODIES = [{}, [], "text", 42, None, {"job": "not an object"}, {"available": "yes"}]
CALLS: dict[str, Callable[[AirbyteClient], Awaitable[Any]]] = {
    "health": lambda c: c.health(),
    "jobs.get": lambda c: c.jobs.get(job_id=1),
    "connections.get": lambda c: c.connections.get(connection_id=C),
    "sources.get": lambda c: c.sources.get(source_id=S),
    "workspaces.get": lambda c: c.workspaces.get(workspace_id=W),
    "jobs.list_page": lambda c: c.jobs.list_page(connection_id=C),
}


@pytest.mark.parametrize("body", ODD_BODIES, ids=repr)
@pytest.mark.parametrize("call", list(CALLS.values()), ids=list(CALLS))
async def test_a_2xx_that_does_not_fit_is_a_response_validation_error(
    odd_server: Serve, body: Any, call: Callable[[AirbyteClient], Awaitable[Any]]
) -> None:
    """Whatever JSON a 200 carries, a modelled call raises ResponseValidationError, never more."""
    url = await odd_server(body)
    async with AirbyteClient(url, auth=NoAuth(), env={}) as client:
        with pytest.raises(ResponseValidationError):
            await call(client)


async def test_a_2xx_that_is_not_json_is_a_malformed_response(odd_server: Serve) -> None:
    """A 200 whose body is neither JSON nor a web page raises ResponseValidationError marked
    malformed (a web page says the URL is wrong: tests/test_deployments.py)."""
    url = await odd_server(b"available: yes", content_type="text/plain")
    async with AirbyteClient(url, auth=NoAuth(), env={}, retry=RetryPolicy(attempts=1)) as client:
        with pytest.raises(ResponseValidationError) as caught:
            await client.health()

    assert caught.value.malformed


@pytest.mark.parametrize(
    "answer",
    [{}, {"access_token": ""}, {"access_token": 42}, {"access_token": "a\r\nb"}, ["x"]],
    ids=repr,
)
async def test_a_token_answer_without_a_usable_token_is_a_response_validation_error(
    odd_server: Serve, answer: Any
) -> None:
    """A token endpoint answering 200 without a sendable access_token fails clearly."""
    url = await odd_server(answer)
    async with AirbyteClient(url, auth=ClientCredentials("id", "secret"), env={}) as client:
        with pytest.raises(ResponseValidationError, match="access_token"):
            await client.health()


@pytest.mark.parametrize(
    ("text", "taken"),
    [
        ("670af3de-c1ba-4f18-8b20-be5cf31d787b", True),
        ("670AF3DE-C1BA-4F18-8B20-BE5CF31D787B", True),
        ("{670af3de-c1ba-4f18-8b20-be5cf31d787b}", False),
        ("urn:uuid:670af3de-c1ba-4f18-8b20-be5cf31d787b", False),
        ("670af3dec1ba4f188b20be5cf31d787b", False),
        ("670af3de-c1ba-4f18-8b20-be5cf31d787", False),
        ("670af3de-c1ba-4f18-8b20-be5cf31d787bb", False),
        ("670af3de-c1ba-4f18-8b20-be5cf31d787g", False),
        ("670af3de-c1ba-4f18-8b20-be5cf31d787b\n", False),
        ("670af3dec-1ba-4f18-8b20-be5cf31d787b", False),
        (" 670af3de-c1ba-4f18-8b20-be5cf31d787b", False),
        ("Zwrz3sG6TxiLIL5c8x14ew==", False),
        ("670af3de-c1ba-4f18-8b20-be5cf31d787\u0663", False),
        ("", False),
    ],
)
def test_an_id_is_taken_in_the_36_character_form_alone(text: str, taken: bool) -> None:
    """
    An id is taken in the 36-character form, either case, the one Airbyte writes: the
    server's Jackson refuses the others Python reads (braces, a URN, no hyphens: a 422, see
    test_fidelity_request_formats.py), and the blank-padded or Base64 forms it takes are left
    out too, since no Airbyte answer holds them.
    """
    assert is_uuid(text) is taken


def test_an_id_is_taken_in_lower_case_whatever_its_case() -> None:
    """
    An id given in upper (or mixed) case comes back from the checks in lower case, the form
    Airbyte writes ids in, so that the client's comparisons with the ids the server answers
    hold (Airbyte parses ids as UUIDs, either case naming one: test_fidelity_request_formats.py);
    the converter of a request body's id leaves what is no id alone, for its validator to
    refuse by name.
    """
    upper = "670AF3DE-C1BA-4F18-8B20-be5cf31d787b"
    assert uuid_id("source_id", upper) == upper.lower()
    assert canonical_uuid(upper) == upper.lower()
    assert canonical_uuid("not-an-id") == "not-an-id"
    assert w.ConnectionIdBody(connection_id=upper).connection_id == upper.lower()
    assert w.JobListForWorkspacesBody(config_types=(), workspace_ids=(upper,)).workspace_ids == (
        upper.lower(),
    )
    with pytest.raises(InvalidArgumentError, match="connection_id must be a UUID"):
        w.ConnectionIdBody(connection_id="NOT-AN-ID")
