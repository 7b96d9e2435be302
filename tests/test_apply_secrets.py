"""
apply and the secrets the server masks (API-FACTS §0: ``"**********"`` in every configuration
read): which values a plan shows, which it cannot compare, and sending them on request.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from shell_support import Run, cli_shell
from test_apply import ENV as BASE_ENV
from test_apply import PIPELINE as BASE

from airbyte_async import AirbyteClient
from airbyte_async._secrets import SECRET_MASK
from airbyte_async.apply import apply, dumps_plan, execute, loads, loads_plan, plan
from airbyte_async.models import EnsureAction
from airbyte_async.testing import Emulator

pytestmark = pytest.mark.anyio

POSTGRES_ID = "decd338e-5647-4c0b-adf4-da0e75f5a750"
S3_ID = "4816b78f-1489-44c1-9060-4b19d5fa9362"

#: test_apply's pipeline, its port read from the environment too and a schedule either API
#: takes.
PIPELINE = BASE.replace("port = 5432", 'port = { env = "PG_PORT", type = "integer" }').replace(
    'schedule = { every = 6, unit = "hours" }', 'schedule = { cron = "0 0 */6 * * ?" }'
)

ENV = {**BASE_ENV, "PG_PORT": "5432"}


def for_api(api: str) -> str:
    """PIPELINE as *api* takes it: the public API names definitions by id."""
    if api == "config":
        return PIPELINE
    return PIPELINE.replace('"Postgres"', f'"{POSTGRES_ID}"').replace('"S3"', f'"{S3_ID}"')


@pytest.fixture(params=["config", "public"])
async def server(request: pytest.FixtureRequest) -> AsyncIterator[tuple[Emulator, AirbyteClient]]:
    """A head emulator where PIPELINE (as ENV has it) is applied, and a client of either API."""
    api = request.param
    async with (
        Emulator(airbyte_version="head") as emu,
        AirbyteClient(emu.url, api=api, env={}) as client,
    ):
        await apply(client, loads(for_api(api), env=ENV))
        yield emu, client


@pytest.fixture
def client(server: tuple[Emulator, AirbyteClient]) -> AirbyteClient:
    """The client of :func:`server`."""
    return server[1]


async def source_id(emu: Emulator, client: AirbyteClient) -> str:
    """The id of PIPELINE's source."""
    listed = client.sources.list(workspace_id=emu.workspace_ids[0])
    [source] = [s async for s in listed if s.name == "shop-postgres"]
    return source.source_id


async def test_the_emulator_keeps_secrets_as_airbyte_does(
    server: tuple[Emulator, AirbyteClient],
) -> None:
    """
    What apply relies on, as Airbyte does it: a secret is stored as sent and read back masked
    (API-FACTS §0, ``SECRETS_MASK``); an update sending the mask keeps the stored secret and
    one sending another value replaces it (airbyte-platform
    ``airbyte-config/config-secrets/src/main/kotlin/secrets/JsonSecretsProcessor.kt``,
    ``copySecrets``), on either API.
    """
    emu, client = server
    ident = await source_id(emu, client)
    read = (await client.sources.get(source_id=ident)).configuration
    assert read["password"] == SECRET_MASK
    assert emu.stored_configuration(ident)["password"] == "pg-secret-value"

    await client.sources.update(source_id=ident, configuration=read)
    assert emu.stored_configuration(ident)["password"] == "pg-secret-value"

    await client.sources.update(source_id=ident, configuration={**read, "password": "new-pw"})
    assert emu.stored_configuration(ident)["password"] == "new-pw"


async def test_a_value_from_the_environment_that_is_no_secret_is_shown(
    client: AirbyteClient,
) -> None:
    """
    PG_PORT changed from 5432 to 5433: on the Config API the plan shows ``5432 -> 5433``, a
    value being masked for what it is (a field the specification flags ``airbyte_secret``, a
    secret-looking key), not for coming from the environment. The public API serves no
    specification: there a value from the environment stays masked, since it may be a secret
    under a name the rules do not know.
    """
    text = for_api(client.api)

    planned = await plan(client, loads(text, env={**ENV, "PG_PORT": "5433"}))

    shown = "5432 -> 5433" if client.api == "config" else "********** -> **********"
    assert [str(c) for c in planned.items[0].changes] == [f"configuration.port: {shown}"]


async def test_a_secret_from_the_environment_stays_masked(client: AirbyteClient) -> None:
    """
    A secret added from the environment is masked in the plan: on the Config API a field its
    specification flags though its name looks like none (source-postgres ``spec.json``:
    ``ssl_mode.ca_certificate``), on the public API, which serves no specifications, one under a
    secret-looking key.
    """
    added, shown = {
        "config": (
            'ssl_mode = { mode = "verify-ca", ca_certificate = { env = "PG_K" } }',
            'configuration.ssl_mode: (absent) -> {"mode": "verify-ca", '
            '"ca_certificate": "**********"}',
        ),
        "public": (
            'client_key = { env = "PG_K" }',
            "configuration.client_key: (absent) -> **********",
        ),
    }[client.api]
    text = for_api(client.api).replace('username = "reader"', f'username = "reader"\n{added}')

    planned = await plan(client, loads(text, env={**ENV, "PG_K": "from-the-environment"}))

    assert [str(c) for c in planned.items[0].changes] == [shown]
    assert "from-the-environment" not in planned.render()


async def test_a_rotated_secret_is_not_noticed_but_the_plan_says_it_cannot_compare(
    client: AirbyteClient,
) -> None:
    """
    PG_PASSWORD rotated: the server masks what it holds, so the plan cannot tell and leaves
    everything unchanged, but says per object how many secret values it could not compare
    (the password; the S3 key id and secret).
    """
    planned = await plan(client, loads(for_api(client.api), env={**ENV, "PG_PASSWORD": "new"}))

    assert not planned.changes_anything
    assert planned.secrets_unsent == 3
    assert planned.secret_warnings() == (
        "source shop-postgres: 1 secret value cannot be compared (the server masks it): pass "
        "--send-secrets to write it",
        "destination lake: 2 secret values cannot be compared (the server masks them): pass "
        "--send-secrets to write them",
    )
    rendered = planned.render()
    assert "(secret values not compared, the server masks them: configuration.password)" in (
        rendered
    )
    assert rendered.endswith("\n".join(planned.secret_warnings()))


async def test_an_update_says_it_sends_the_secrets_it_cannot_compare(
    client: AirbyteClient,
) -> None:
    """A source updated for its port sends its whole configuration, the password as declared:
    the plan says so under it, and warns of nothing left unsent there."""
    planned = await plan(client, loads(for_api(client.api), env={**ENV, "PG_PORT": "5433"}))

    source = planned.items[0]
    assert source.changed
    assert source.secrets_note() == (
        "secret values sent: the server masks them, so they cannot be compared: "
        "configuration.password"
    )
    assert planned.secret_warnings() == (
        "destination lake: 2 secret values cannot be compared (the server masks them): pass "
        "--send-secrets to write them",
    )


async def test_send_secrets_writes_a_rotated_secret(
    server: tuple[Emulator, AirbyteClient],
) -> None:
    """
    With send_secrets, the objects holding secret values the server masks are updated with
    their configurations as declared: the rotated password is what the server stores now
    (read from the emulator's store), and no secret shows in the plan.
    """
    emu, client = server
    rotated = {**ENV, "PG_PASSWORD": "new-pw"}
    shown: list[str] = []

    done = await apply(
        client,
        loads(for_api(client.api), env=rotated),
        send_secrets=True,
        on_plan=lambda p: shown.append(p.render()),
    )

    assert done.summary() == "0 created, 2 updated, 1 unchanged"
    assert done.secret_warnings() == ()
    source = done.items[0]
    assert source.secrets_note() == (
        "secret values sent: the server masks them, so they cannot be compared: "
        "configuration.password"
    )
    assert emu.stored_configuration(source.id or "")["password"] == "new-pw"
    assert not any(value in shown[0] for value in rotated.values() if value != "5432")


async def test_a_plan_saved_with_send_secrets_writes_them_from_the_environment(
    server: tuple[Emulator, AirbyteClient],
) -> None:
    """
    A plan made with send_secrets and saved holds the rotated password as its variable's name
    and hash, never the value; executed later, it reads the variable again and writes it.
    """
    emu, client = server
    rotated = {**ENV, "PG_PASSWORD": "new-pw"}
    planned = await plan(client, loads(for_api(client.api), env=rotated), send_secrets=True)

    text = dumps_plan(planned)
    done = await execute(client, loads_plan(text, env=rotated))

    assert "new-pw" not in text
    assert done.count(EnsureAction.UPDATED) == 2
    assert emu.stored_configuration(done.items[0].id or "")["password"] == "new-pw"


@pytest.fixture
def shell(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Iterator[tuple[Emulator, Run]]:
    """An emulator served from a thread, pipeline.toml (PIPELINE) in the working folder, ENV
    set, and ``run(*argv, **env)``: main's status, stdout and stderr with *env* set too."""
    with cli_shell(tmp_path, monkeypatch, capsys, pipeline=PIPELINE, env=ENV) as made:
        yield made


def test_apply_after_a_rotation_does_not_say_everything_is_as_declared(
    shell: tuple[Emulator, Run],
) -> None:
    """The auditor's run: apply, then apply with PG_PASSWORD rotated. Exit 0 and nothing
    written, but the last lines say which secret values could not be compared, per object."""
    _, run = shell
    assert run("apply", "pipeline.toml")[0] == 0

    code, out, _ = run("apply", "pipeline.toml", PG_PASSWORD="new-pw")

    assert code == 0
    assert "everything is as declared\n" not in out
    assert out.splitlines()[-3:] == [
        "nothing to do: everything is as declared but for 3 secret values the server masks",
        "source shop-postgres: 1 secret value cannot be compared (the server masks it): pass "
        "--send-secrets to write it",
        "destination lake: 2 secret values cannot be compared (the server masks them): pass "
        "--send-secrets to write them",
    ]


@pytest.mark.parametrize("flags", [[], ["--dry-run"]])
def test_apply_says_each_uncompared_secret_once_after_its_last_message(
    shell: tuple[Emulator, Run], flags: list[str]
) -> None:
    """apply (or apply --dry-run) after a rotation: the plan's lines, then the last message,
    then one line per object whose secret values could not be compared, each said once."""
    _, run = shell
    assert run("apply", "pipeline.toml")[0] == 0

    code, out, _ = run("apply", "pipeline.toml", *flags, PG_PASSWORD="new-pw")

    lines = out.splitlines()
    warnings = [line for line in lines if "cannot be compared (the server masks" in line]
    assert code == 0
    assert len(warnings) == 2
    assert lines[-2:] == warnings
    assert lines[-3].startswith(("nothing to do: ", "dry run: "))


def test_plan_o_with_a_secret_default_says_to_drop_the_default(
    shell: tuple[Emulator, Run],
) -> None:
    """The auditor's run: a password read from PG_PASSWORD2, not set, with a default written in
    the file. plan -o exits 2, saves nothing, and says the default is the problem (the
    reference already reads the environment), never showing it."""
    _, run = shell
    text = Path("pipeline.toml").read_text()
    declared = 'password = { env = "PG_PASSWORD2", default = "hunter2-default" }'
    Path("pipeline.toml").write_text(text.replace('password = { env = "PG_PASSWORD" }', declared))

    code, _, err = run("plan", "pipeline.toml", "-o", "plan.json")

    assert code == 2
    assert not Path("plan.json").exists()
    assert err == (
        "airbyte-async: pipeline.toml: sources[0].configuration.password: PG_PASSWORD2 is not "
        "set, and its default is a secret written in the file, which cannot be saved in a plan: "
        "set PG_PASSWORD2, or drop the default\n"
    )


def test_plan_says_a_discovery_failed_with_the_url_password_it_quotes_masked(
    shell: tuple[Emulator, Run],
) -> None:
    """The auditor's run: the source's host, read from PG_HOST, a URL holding a password whose
    host cannot be resolved. plan exits 2 saying the discovery of the source's streams failed,
    and prints the password nowhere (the failure quotes the host)."""
    _, run = shell
    text = Path("pipeline.toml").read_text()
    Path("pipeline.toml").write_text(
        text.replace('host = "db.internal"', 'host = { env = "PG_HOST" }')
    )

    code, out, err = run("plan", "pipeline.toml", PG_HOST="postgres://reader:URLPW-leak@db.invalid")

    assert code == 2
    assert "discovering the streams of 'shop-postgres' failed: " in err
    assert "URLPW-leak" not in out + err


def source_written(out: str) -> str:
    """The id of the source apply's output says it created or updated."""
    [line] = [x for x in out.splitlines() if x.startswith(("created source", "updated source"))]
    return line.rsplit("(", 1)[1].rstrip(")")


def test_apply_send_secrets_writes_the_rotated_secret(shell: tuple[Emulator, Run]) -> None:
    """apply --send-secrets after the rotation: the source and destination are updated, the
    rotated password is stored, and it is printed nowhere."""
    emu, run = shell
    assert run("apply", "pipeline.toml")[0] == 0

    code, out, err = run("apply", "pipeline.toml", "--send-secrets", PG_PASSWORD="new-pw")

    assert code == 0
    assert out.rstrip().endswith("applied: 0 created, 2 updated, 1 unchanged")
    assert "new-pw" not in out + err
    assert emu.stored_configuration(source_written(out))["password"] == "new-pw"


def test_a_saved_plan_made_without_send_secrets_refuses_the_flag(
    shell: tuple[Emulator, Run],
) -> None:
    """apply PLAN --send-secrets on a plan made without it: exit 2 saying to plan again with
    it (a saved plan is executed as it was made), the stored password untouched."""
    emu, run = shell
    source_id = source_written(run("apply", "pipeline.toml")[1])
    assert run("plan", "pipeline.toml", "-o", "plan.json", PG_PASSWORD="new-pw")[0] == 0

    code, _, err = run("apply", "plan.json", "--send-secrets", PG_PASSWORD="new-pw")

    assert code == 2
    assert err == (
        "airbyte-async: plan.json: --send-secrets: the plan was made without it and is executed "
        "as it was made: make it again with 'airbyte-async plan FILE --send-secrets -o PLAN'\n"
    )
    assert emu.stored_configuration(source_id)["password"] == ENV["PG_PASSWORD"]
