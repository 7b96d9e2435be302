"""No secret leaves the process by accident: not in logs, reprs, models or exceptions."""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp import web
from client_support import client_for, serving

from airbyte_async import AirbyteClient, Auth, BasicAuth, BearerToken, ClientCredentials, NoAuth
from airbyte_async._secrets import SECRET_MASK, flagged_paths, is_flagged, is_secret_path, redact
from airbyte_async.apply import loads
from airbyte_async.apply._plan import ActorWrite
from airbyte_async.catalog import select_streams
from airbyte_async.errors import (
    AirbyteError,
    AuthenticationError,
    InvalidArgumentError,
    NotFoundError,
    UnprocessableEntityError,
)
from airbyte_async.models import (
    Attempt,
    AttemptStatus,
    CheckResult,
    CheckStatus,
    Destination,
    FailureReason,
    FailureSummary,
    Job,
    JobStatus,
    JobType,
    Source,
)
from airbyte_async.resources._reconcile import trigger_exactly_once
from airbyte_async.testing import (
    RequireBasic,
    RequireBearer,
    RequireClientCredentials,
    pytest_plugin,
)

airbyte_emulator_factory = pytest_plugin.airbyte_emulator_factory
Factory = pytest_plugin.EmulatorFactory

USER = "pipeline-user"
BASIC_PASSWORD = "basic-pw-4TqZ9x"
BEARER = "bearer-tok-Vn82Lq"
CLIENT_ID = "app-id-public"
CLIENT_SECRET = "client-secret-Hw71Kd"
DB_PASSWORD = "db-password-Rj3Mx0"
AWS_SECRET = "aws-secret-Pq5Zs9"
API_KEY = "api-key-Lk2Bn6"
SECRETS = [BASIC_PASSWORD, BEARER, CLIENT_SECRET, DB_PASSWORD, AWS_SECRET, API_KEY]

POSTGRES = "decd338e-5647-4c0b-adf4-da0e75f5a750"
S3 = "4816b78f-1489-44c1-9060-4b19d5fa9362"
UNKNOWN = "00000000-0000-4000-8000-000000000000"

SOURCE_CONFIG = {
    "host": "db.example.com",
    "port": 5432,
    "database": "shop",
    "username": "reader",
    "password": DB_PASSWORD,
    "api_key": API_KEY,
}
DESTINATION_CONFIG = {
    "s3_bucket_name": "lake",
    "s3_bucket_path": "raw",
    "s3_bucket_region": "eu-west-1",
    "format": {"format_type": "JSONL"},
    "access_key_id": "AKIAEXAMPLE",
    "secret_access_key": AWS_SECRET,
}

SETUPS: dict[str, tuple[Callable[[], Any], Callable[[], Auth], Callable[[], Auth]]] = {
    "basic": (
        lambda: RequireBasic(USER, BASIC_PASSWORD),
        lambda: BasicAuth(USER, BASIC_PASSWORD),
        lambda: BasicAuth(USER, BASIC_PASSWORD + "-wrong"),
    ),
    "bearer": (
        lambda: RequireBearer(BEARER),
        lambda: BearerToken(BEARER),
        lambda: BearerToken(BEARER + "-wrong"),
    ),
    "client credentials": (
        lambda: RequireClientCredentials(CLIENT_ID, CLIENT_SECRET),
        lambda: ClientCredentials(CLIENT_ID, CLIENT_SECRET),
        lambda: ClientCredentials(CLIENT_ID, CLIENT_SECRET + "-wrong"),
    ),
}


def leaks(text: str, secrets: list[str]) -> list[str]:
    """The secrets (or a basic-auth encoding of one) that appear in *text*."""
    found = [s for s in secrets if s in text]
    encoded = base64.b64encode(f"{USER}:{BASIC_PASSWORD}".encode()).decode()
    return found + ([encoded] if encoded in text else [])


def record_texts(caplog: pytest.LogCaptureFixture) -> str:
    """Every captured record: its message, its extra fields and its traceback."""
    parts = [caplog.text]
    for record in caplog.records:
        parts.append(record.getMessage())
        parts.extend(repr(v) for v in vars(record).values())
    return "\n".join(parts)


async def pipeline(
    client: AirbyteClient, workspace_id: str, errors: list[AirbyteError]
) -> list[Any]:
    """Create a source, a destination and a connection, sync it, and make some calls fail."""
    source = await client.sources.create(
        workspace_id=workspace_id, name="shop", definition_id=POSTGRES, configuration=SOURCE_CONFIG
    )
    destination = await client.destinations.create(
        workspace_id=workspace_id, name="lake", definition_id=S3, configuration=DESTINATION_CONFIG
    )
    schema = await client.sources.discover_schema(source_id=source.source_id)
    assert schema.catalog is not None
    connection = await client.connections.create(
        source_id=source.source_id,
        destination_id=destination.destination_id,
        name="shop to lake",
        sync_catalog=select_streams(schema.catalog, "orders"),
    )
    job = await trigger_exactly_once(
        client.request,
        client.jobs,
        client.server_clock,
        route="connections/sync",
        connection_id=connection.connection_id,
        job_type=JobType.SYNC,
    )
    finished = await client.jobs.wait(job_id=job.id, poll_interval=0.01)
    updated = await client.sources.update(source_id=source.source_id, name="shop v2")
    for failing in (
        client.sources.get(source_id=UNKNOWN),
        client.sources.create(
            workspace_id=workspace_id,
            name="no host",
            definition_id=POSTGRES,
            configuration={k: v for k, v in SOURCE_CONFIG.items() if k != "host"},
        ),
    ):
        try:
            await failing
        except AirbyteError as e:
            errors.append(e)
    return [source, destination, schema, connection, job, finished, updated]


@pytest.mark.anyio
@pytest.mark.parametrize("setup", list(SETUPS), ids=list(SETUPS))
async def test_a_whole_pipeline_with_debug_logging_leaks_no_secret(
    airbyte_emulator_factory: Factory, caplog: pytest.LogCaptureFixture, setup: str
) -> None:
    """Logs, reprs, models and errors of a pipeline with retries and failures show no secret."""
    caplog.set_level(logging.DEBUG)
    policy, good, bad = SETUPS[setup]
    emu = await airbyte_emulator_factory(
        auth=policy(),
        sync_duration=(0.01, 0.02),
        faults=[
            {"kind": "error", "status": 503, "route": "sources/discover_schema", "times": 1},
            {"kind": "hang_after", "route": "connections/sync", "times": 1},
            {"kind": "token_expiry", "route": "jobs/get_light", "times": 1},
        ],
    )
    errors: list[AirbyteError] = []
    async with client_for(emu, auth=good(), timeout=0.5) as client:
        results = await pipeline(client, emu.workspace_ids[0], errors)
        shown = [repr(client), str(client), repr(client.auth)]
        minted = getattr(client.auth, "_token", None)
    async with client_for(emu, auth=bad()) as wrong:
        try:
            await wrong.request("source_definitions/list", None, idempotent=True)
        except AuthenticationError as e:
            errors.append(e)
        shown.append(repr(wrong))
    try:
        AirbyteClient(f"http://{USER}:{BASIC_PASSWORD}@host:99999", env={})
    except InvalidArgumentError as e:
        errors.append(e)

    assert [type(e) for e in errors] == [
        NotFoundError,
        UnprocessableEntityError,
        AuthenticationError,
        InvalidArgumentError,
    ]
    secrets = SECRETS + ([minted] if minted else [])
    assert leaks(record_texts(caplog), secrets) == []
    assert "retrying" in caplog.text
    assert leaks("\n".join(shown), secrets) == []
    assert leaks("\n".join(repr(r) + str(r) for r in results), secrets) == []
    for error in errors:
        assert leaks(str(error) + repr(error) + repr(error.args), secrets) == []


@pytest.mark.anyio
async def test_a_cut_off_token_answer_leaves_no_part_of_it_on_the_error(
    airbyte_emulator_factory: Factory,
) -> None:
    """A token endpoint's 200 cut off mid-token: the error raised, and every exception behind
    it (cause or context), holds nothing of the body, which is half a token."""
    auth = RequireClientCredentials(CLIENT_ID, CLIENT_SECRET)
    emu = await airbyte_emulator_factory(
        airbyte_version="head",
        auth=auth,
        faults=[{"kind": "truncated_json", "route": "/public/v1/applications/token"}],
    )
    async with AirbyteClient(
        emu.url, api="public", auth=ClientCredentials(CLIENT_ID, CLIENT_SECRET), env={}
    ) as client:
        with pytest.raises(AirbyteError) as raised:
            await client.workspaces.default()

    chain: list[BaseException] = []
    error: BaseException | None = raised.value
    while error is not None and len(chain) < 10:
        chain.append(error)
        error = error.__cause__ or error.__context__
    assert "not JSON" in str(raised.value)
    for link in chain:
        shown = repr(link) + str(link) + repr(vars(link)) + repr(getattr(link, "doc", ""))
        assert "access_token" not in shown
        assert CLIENT_SECRET not in shown


_ANY_ID = "7f3c1a2e-0000-4000-8000-0000000000ab"


@pytest.mark.anyio
@pytest.mark.parametrize("status", [422, 500])
async def test_a_server_error_quoting_the_configuration_sent_shows_none_of_its_secrets(
    status: int, caplog: pytest.LogCaptureFixture
) -> None:
    """A server (a proxy, a firewall, a connector's error text) whose error quotes the body
    sent: the error raised, its notes and the log lines show the password and the URL that
    holds one masked, and the rest of the configuration as sent."""
    url_password = "url-pw-Hq83"

    async def quoting(request: web.Request) -> web.Response:
        sent = await request.text()
        return web.json_response({"message": f"could not use {sent}"}, status=status)

    app = web.Application()
    app.router.add_post("/api/v1/sources/create", quoting)
    configuration = {
        "host": "db.example.com",
        "password": "PG-SECRET-123",
        "jdbc_url": f"postgres://reader:{url_password}@db.example.com/shop",
    }
    async with serving(app) as url, AirbyteClient(url, auth=NoAuth(), env={}) as client:
        caplog.set_level(logging.DEBUG, logger="airbyte_async")
        with pytest.raises(AirbyteError) as raised:
            await client.sources.create(
                workspace_id=_ANY_ID,
                name="shop",
                definition_id=_ANY_ID,
                configuration=configuration,
            )

    shown = str(raised.value) + repr(raised.value) + "".join(getattr(raised.value, "__notes__", []))
    shown += caplog.text
    assert "db.example.com" in str(raised.value)
    assert SECRET_MASK in str(raised.value)
    assert "PG-SECRET-123" not in shown
    assert url_password not in shown


@pytest.mark.anyio
async def test_a_failed_check_or_discovery_shows_a_url_password_it_quotes_masked(
    airbyte_emulator_factory: Factory,
) -> None:
    """A source whose host, a URL holding a password, cannot be resolved: its check's and its
    discovery's failure texts (which quote the host, as a connector's do), their reprs and
    their descriptions show the password masked and the rest of the URL."""
    emu = await airbyte_emulator_factory()
    host = f"postgres://reader:{DB_PASSWORD}@db.invalid"
    async with client_for(emu) as client:
        source = await client.sources.create(
            workspace_id=emu.workspace_ids[0],
            name="shop",
            definition_id=POSTGRES,
            configuration={**SOURCE_CONFIG, "host": host},
        )
        check = await client.sources.check_connection(source_id=source.source_id)
        schema = await client.sources.discover_schema(source_id=source.source_id)

    failure = schema.failure
    assert not check.succeeded and failure is not None
    described = [check.message or "", failure.describe(), failure.external_message or ""]
    assert all(f"postgres://reader:{SECRET_MASK}@db.invalid" in text for text in described)
    shown = [*described, repr(check), repr(schema.job_info), repr(failure)]
    assert leaks("\n".join(shown), SECRETS) == []


@pytest.mark.anyio
async def test_a_failed_discovery_of_a_configuration_masks_each_of_its_secrets_it_quotes(
    airbyte_emulator_factory: Factory,
) -> None:
    """discover_configuration of a configuration whose discovery fails quoting a value the
    configuration holds under a secret key (a connection string naming a host that cannot be
    resolved): its failure's texts, repr and description show the mask in its place."""
    emu = await airbyte_emulator_factory()
    connection_string = "Server=tcp:Kq42-warehouse.invalid"
    async with client_for(emu) as client:
        schema = await client.sources.discover_configuration(
            workspace_id=emu.workspace_ids[0],
            definition_id=POSTGRES,
            configuration={**SOURCE_CONFIG, "connection_string": connection_string},
        )

    failure = schema.failure
    assert failure is not None
    assert failure.describe().endswith(f"could not resolve host '{SECRET_MASK}'")
    shown = [failure.external_message or "", repr(failure), repr(schema.job_info)]
    assert leaks("\n".join(shown), [*SECRETS, connection_string]) == []


def test_a_failure_shows_a_url_password_or_a_secret_parameter_it_quotes_masked() -> None:
    """A failure however read (a sync attempt's, say) keeps its messages as sent, but its
    repr, its description, a job's description of its failures and a check's message show
    the password of a URL and a secret-keyed parameter they quote masked."""
    text = f"cannot reach postgres://reader:{DB_PASSWORD}@db.example.com?sslmode=require"
    failure = FailureReason(
        external_message=text, internal_message=f"retried with api_key={API_KEY}"
    )
    now = datetime.now(UTC)
    attempt = Attempt(
        id=0,
        status=AttemptStatus.FAILED,
        created_at=now,
        updated_at=now,
        failure_summary=FailureSummary(failures=(failure,)),
    )
    job = Job(
        id=1,
        job_type=JobType.SYNC,
        config_id="c",
        status=JobStatus.FAILED,
        created_at=now,
        updated_at=now,
        attempts=(attempt,),
    )
    check = CheckResult(status=CheckStatus.FAILED, message=text)

    shown = [
        repr(failure),
        failure.describe(),
        repr(job),
        *job.describe_failures(),
        job.failure_reason or "",
        repr(check),
        check.message or "",
    ]
    assert leaks("\n".join(shown), SECRETS) == []
    assert f"reader:{SECRET_MASK}@db.example.com?sslmode=require" in failure.describe()
    assert failure.external_message == text


def test_models_with_configuration_hide_their_secrets() -> None:
    """repr() of a Source and a Destination masks every secret-keyed value, however nested."""
    source = Source(
        workspace_id="w",
        name="shop",
        definition_id=POSTGRES,
        source_id="s",
        configuration={**SOURCE_CONFIG, "tunnel_method": {"tunnel_user_password": BEARER}},
    )
    destination = Destination(
        workspace_id="w",
        name="lake",
        definition_id=S3,
        destination_id="d",
        configuration=DESTINATION_CONFIG,
    )

    assert leaks(repr(source) + str(source) + repr(destination), SECRETS) == []
    assert "db.example.com" in repr(source)
    assert source.configuration["password"] == DB_PASSWORD


def test_request_bodies_and_answers_of_both_apis_never_show_a_configuration() -> None:
    """repr() of every wire shape that carries a connector's configuration (the bodies sent to
    create, replace or patch a source or destination on the Config API or the public API, and
    the public API's answers) shows no secret: such a repr lands in logs and error reports
    that show a failed call's local variables."""
    from airbyte_async.models import _public_wire as pw
    from airbyte_async.models import _wire as w

    ids = {"workspace_id": UNKNOWN, "definition_id": POSTGRES}
    shapes = [
        w.SourceCreate(name="shop", configuration=SOURCE_CONFIG, **ids),
        w.DestinationUpdate(actor_id=UNKNOWN, name="lake", configuration=DESTINATION_CONFIG),
        w.SourceCoreConfig(configuration=SOURCE_CONFIG, **ids),
        pw.ActorCreateRequest(name="shop", configuration=SOURCE_CONFIG, **ids),
        pw.ActorPutRequest(name="shop", configuration=SOURCE_CONFIG),
        pw.ActorPatchRequest(name="shop", configuration=DESTINATION_CONFIG),
        pw.SourceResponse(source_id=UNKNOWN, name="shop", configuration=SOURCE_CONFIG, **ids),
        pw.DestinationResponse(
            destination_id=UNKNOWN, name="lake", configuration=DESTINATION_CONFIG, **ids
        ),
    ]

    assert [type(s).__name__ for s in shapes if leaks(repr(s), SECRETS)] == []


@pytest.mark.parametrize(
    "auth",
    [
        BasicAuth(USER, BASIC_PASSWORD),
        BearerToken(BEARER),
        ClientCredentials(CLIENT_ID, CLIENT_SECRET),
    ],
    ids=["basic", "bearer", "client credentials"],
)
def test_auth_objects_never_show_their_secret(auth: Auth) -> None:
    """repr() and str() of every credential type hide the secret part."""
    assert leaks(repr(auth) + str(auth), SECRETS) == []


def test_redact_masks_secret_keys_and_keeps_the_rest() -> None:
    """redact() replaces secret-keyed values anywhere in the tree and leaves the input alone."""
    config = {
        "password": DB_PASSWORD,
        "nested": [{"apiKey": API_KEY, "host": "h"}],
        "credentials_json": "{...}",
        "port": 5432,
    }

    masked = redact(config)

    assert masked == {
        "password": SECRET_MASK,
        "nested": [{"apiKey": SECRET_MASK, "host": "h"}],
        "credentials_json": SECRET_MASK,
        "port": 5432,
    }
    assert config["password"] == DB_PASSWORD


def test_keys_that_name_a_credential_are_secret_and_column_keys_are_not() -> None:
    """
    Vector stores and AI services call their credentials ``<service>_key`` (Airbyte's vector
    destinations mark ``openai_key``, ``cohere_key`` and ``pinecone_key`` ``airbyte_secret``):
    masked, in either case of spelling; a primary or partition key names columns: shown.
    """
    config = {
        "embedding": {"openai_key": API_KEY, "cohereKey": API_KEY},
        "pinecone_key": API_KEY,
        "primary_key": "id",
        "partitionKey": "day",
    }

    assert redact(config) == {
        "embedding": {"openai_key": SECRET_MASK, "cohereKey": SECRET_MASK},
        "pinecone_key": SECRET_MASK,
        "primary_key": "id",
        "partitionKey": "day",
    }


def test_camel_case_keys_naming_a_credential_are_secret_as_their_snake_case_twins() -> None:
    """A service account's JSON, a connection string or a key file is masked whichever case
    its key is spelled in (``serviceAccountInfo`` as ``service_account_info``)."""
    secret = ["service_account_info", "serviceAccountInfo", "connection_string"]
    secret += ["connectionString", "keyfile", "keyFile", "sshTunnelPassword"]

    masked = redact(dict.fromkeys(secret, API_KEY))

    assert [k for k in secret if masked[k] != SECRET_MASK] == []


def test_keys_holding_a_credential_word_are_secret_and_look_alikes_are_not() -> None:
    """A personal access token, a bearer token, a webhook URL (one that anyone holding it can
    post to), a signature or a key file is masked; a path or a pattern, which hold "pat", is
    not."""
    secret = ["github_pat", "bearer", "creds", "slack_webhook_url", "signature", "sa_json"]
    secret += ["key_file_content", "keyFileJson"]
    shown = ["path", "file_pattern", "patch_size"]

    masked = redact(dict.fromkeys(secret + shown, API_KEY))

    assert [k for k in secret if masked[k] != SECRET_MASK] == []
    assert [k for k in shown if masked[k] != API_KEY] == []


@pytest.mark.parametrize("password", [DB_PASSWORD, f"a/{DB_PASSWORD}", f"a@{DB_PASSWORD}"])
def test_a_password_in_a_url_is_hidden_under_any_key(password: str) -> None:
    """A URL's password is masked whatever its key, and whatever it holds ("/" and "@"
    written raw included); the rest of the URL stays readable."""
    shown = redact({"url": f"postgres://app:{password}@db.example.com:5432/shop"})

    assert shown == {"url": f"postgres://app:{SECRET_MASK}@db.example.com:5432/shop"}


def test_secret_parameters_of_a_query_string_are_hidden_and_the_others_shown() -> None:
    """A JDBC URL's extra parameters (``jdbc_url_params`` of the Postgres and MySQL sources)
    and a URL's query string can carry a password or a token: those values are masked."""
    shown = redact(
        {
            "jdbc_url_params": f"user=app&password={DB_PASSWORD};ssl=true",
            "endpoint": f"https://api.example.com/v1?page=2&api_key={API_KEY}",
        }
    )

    assert shown == {
        "jdbc_url_params": f"user=app&password={SECRET_MASK};ssl=true",
        "endpoint": f"https://api.example.com/v1?page=2&api_key={SECRET_MASK}",
    }


def test_the_value_of_a_name_value_pair_naming_a_secret_is_hidden() -> None:
    """HTTP connectors take headers as a list of ``{"name": ..., "value": ...}``: the value of
    an Authorization or API-key header is masked, that of any other header shown."""
    headers = [
        {"name": "Authorization", "value": f"Bearer {API_KEY}"},
        {"header": "X-Api-Key", "value": API_KEY},
        {"name": "Accept", "value": "application/json"},
    ]

    assert redact({"headers": headers}) == {
        "headers": [
            {"name": "Authorization", "value": SECRET_MASK},
            {"header": "X-Api-Key", "value": SECRET_MASK},
            {"name": "Accept", "value": "application/json"},
        ]
    }


def test_values_read_from_the_environment_never_show_in_a_spec_or_plan_repr() -> None:
    """A value a spec file takes from the environment is masked in the repr of the spec and
    of the write planned from it, even under a key that does not look secret (Kafka's
    ``sasl_jaas_config`` under another name)."""
    spec = loads(
        """
        [[sources]]
        name = "events"
        definition = "Kafka"
        [sources.configuration]
        bootstrap_servers = "b:9092"
        protocol = { security_protocol = "SASL_SSL", login = { env = "LOGIN" } }
        """,
        env={"LOGIN": DB_PASSWORD},
    )
    [source] = spec.sources
    write = ActorWrite(
        definition_id=POSTGRES, configuration=source.configuration, env_names=source.env_names
    )

    assert leaks(repr(spec) + repr(source) + repr(write), SECRETS) == []
    assert "b:9092" in repr(source) and "b:9092" in repr(write)
    assert source.configuration["protocol"]["login"] == DB_PASSWORD


def test_flagged_paths_follow_options_and_list_items() -> None:
    """A specification's airbyte_secret fields, in oneOf options and list items, as paths;
    is_flagged then holds for them, at any index, and for what lies under them."""
    schema = {
        "properties": {
            "host": {"type": "string"},
            "tunnel": {"oneOf": [{"properties": {"ssh_cert": {"airbyte_secret": True}}}]},
            "replicas": {"items": {"properties": {"cert": {"airbyte_secret": True}}}},
            "blob": {"type": "object", "airbyte_secret": True},
        }
    }

    flagged = flagged_paths(schema)

    assert flagged == {
        "configuration.tunnel.ssh_cert",
        "configuration.replicas[].cert",
        "configuration.blob",
    }
    assert is_flagged("configuration.replicas[3].cert", flagged)
    assert is_flagged("configuration.blob.inner", flagged)
    assert not is_flagged("configuration.host", flagged)
    assert is_secret_path("configuration.replicas[0].cert", flagged)


def test_a_field_whose_airbyte_secret_is_false_is_flagged_as_the_server_masks_it() -> None:
    """Airbyte masks every field that has the airbyte_secret key, whatever its value
    (airbyte-platform JsonSecretsProcessor.maskAllSecrets): so does the client."""
    schema = {"properties": {"host": {"type": "string"}, "hint": {"airbyte_secret": False}}}

    assert flagged_paths(schema) == {"configuration.hint"}


def test_a_value_inside_a_table_or_list_flagged_secret_as_a_whole_is_secret() -> None:
    """A specification may flag a whole table or list airbyte_secret: every value in it is
    secret too, so a diff of one of its fields shows no value."""
    flagged = frozenset({"configuration.conn_info", "configuration.seeds"})

    assert is_secret_path("configuration.conn_info.uri", flagged)
    assert is_secret_path("configuration.seeds[0]", flagged)
    assert not is_secret_path("configuration.conn_information", flagged)
    assert not is_secret_path("configuration.host", flagged)
