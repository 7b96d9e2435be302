"""client.workspaces against the emulator, on each server version."""

from __future__ import annotations

from typing import Any

import pytest
from resource_support import DEFAULT_ORGANIZATION, sent

from airbyte_async import AirbyteClient
from airbyte_async.errors import (
    AmbiguousMatchError,
    BadRequestError,
    InvalidArgumentError,
    NoMatchError,
    NotFoundError,
)
from airbyte_async.models import EnsureAction
from airbyte_async.testing import Emulator

pytest_plugins = ["resource_fixtures"]
pytestmark = pytest.mark.anyio


async def test_get_returns_the_workspace(api: AirbyteClient, workspace_id: str) -> None:
    """workspaces/get by id."""
    workspace = await api.workspaces.get(workspace_id=workspace_id)

    assert workspace.workspace_id == workspace_id
    assert workspace.name == "workspace-000"


async def test_get_unknown_workspace_is_not_found(api: AirbyteClient) -> None:
    """An unknown id is a NotFoundError."""
    with pytest.raises(NotFoundError):
        await api.workspaces.get(workspace_id="6f1c0000-0000-4000-8000-000000000000")


async def test_get_by_slug(api: AirbyteClient, workspace_id: str) -> None:
    """workspaces/get_by_slug finds the same workspace."""
    slug = (await api.workspaces.get(workspace_id=workspace_id)).slug

    assert (await api.workspaces.get_by_slug(slug=slug)).workspace_id == workspace_id


async def test_create_sends_name_and_organization(api: AirbyteClient, emu: Emulator) -> None:
    """workspaces/create with the organization recent servers require."""
    created = await api.workspaces.create(name="Analytics", organization_id=DEFAULT_ORGANIZATION)

    assert created.name == "Analytics"
    assert sent(emu, "workspaces/create")[0].body == {
        "name": "Analytics",
        "organizationId": DEFAULT_ORGANIZATION,
    }


@pytest.mark.parametrize("version", ["1.7", "2.0", "head"])
async def test_create_without_an_organization_on_2x_says_what_is_missing(
    api: AirbyteClient,
) -> None:
    """0.63 on require organizationId (API-FACTS 2.1); 2.x's 400 says only "Bad Request" (6.2),
    1.7's names the wire field: either way the error says the organization is missing, and
    where the instance's default is."""
    with pytest.raises(
        BadRequestError, match=r"servers from 0\.63 on need organization_id"
    ) as caught:
        await api.workspaces.create(name="Analytics")

    assert caught.value.status == 400


@pytest.mark.parametrize("version", ["0.40", "0.50"])
async def test_list_uses_workspaces_list_on_0x(api: AirbyteClient, emu: Emulator) -> None:
    """On 0.x one workspaces/list call, sent without a body."""
    names = [w.name async for w in api.workspaces.list()]

    assert names == ["workspace-000"]
    [request] = sent(emu, "workspaces/list")
    assert not request.had_body
    assert sent(emu, "workspaces/list_by_organization_id") == []


@pytest.mark.parametrize("version", ["head"])
async def test_list_falls_back_to_the_default_organization(
    api: AirbyteClient, emu: Emulator
) -> None:
    """Where workspaces/list is gone: instance_configuration, then the organization's list."""
    names = [w.name async for w in api.workspaces.list()]

    assert names == ["workspace-000"]
    assert len(sent(emu, "instance_configuration")) == 1
    [request] = sent(emu, "workspaces/list_by_organization_id")
    assert request.body["organizationId"] == DEFAULT_ORGANIZATION


@pytest.mark.parametrize("version", ["head"])
async def test_missing_list_route_is_remembered(api: AirbyteClient, emu: Emulator) -> None:
    """After one 404 for workspaces/list, later calls skip it."""
    [w async for w in api.workspaces.list()]
    await api.workspaces.default()

    assert len(sent(emu, "workspaces/list")) == 1


@pytest.mark.parametrize("version", ["head"])
@pytest.mark.parametrize("emulator_options", [{"workspaces": 130}])
async def test_organization_listing_reads_every_page(
    api: AirbyteClient, emu: Emulator, emulator_options: dict[str, Any]
) -> None:
    """list_by_organization_id is paged by offset until a short page."""
    workspaces = [w async for w in api.workspaces.list()]

    assert len(workspaces) == 130
    offsets = [
        r.body["pagination"]["rowOffset"] for r in sent(emu, "workspaces/list_by_organization_id")
    ]
    assert offsets == [0, 100]


@pytest.mark.parametrize("version", ["0.40", "0.50", "head"])
async def test_default_is_the_first_workspace(api: AirbyteClient, emu: Emulator) -> None:
    """default() finds the deployment's workspace on every server version."""
    assert (await api.workspaces.default()).workspace_id == emu.workspace_ids[0]


@pytest.mark.parametrize("version", ["0.40", "head"])
@pytest.mark.parametrize("emulator_options", [{"workspaces": 0}])
async def test_default_without_workspaces_says_what_it_tried(
    api: AirbyteClient, emulator_options: dict[str, Any]
) -> None:
    """No workspace anywhere: NoMatchError naming what was tried."""
    with pytest.raises(NoMatchError, match="no workspace found; tried workspaces/list"):
        await api.workspaces.default()


@pytest.mark.parametrize("version", ["0.40", "0.50", "1.7", "2.0", "head"])
async def test_ensure_creates_a_workspace_once(api: AirbyteClient, emu: Emulator) -> None:
    """ensure creates the workspace the first time and finds it by name the second: a setup
    script run twice leaves one workspace of the name, on every server version."""
    first = await api.workspaces.ensure(name="analytics")
    second = await api.workspaces.ensure(name="analytics")

    assert first.action is EnsureAction.CREATED
    assert second.action is EnsureAction.UNCHANGED
    assert second.value.workspace_id == first.value.workspace_id
    assert [w.name async for w in api.workspaces.list()].count("analytics") == 1
    assert len(sent(emu, "workspaces/create")) == 1


@pytest.mark.parametrize("version", ["1.7", "2.0", "head"])
async def test_ensure_creates_in_the_default_organization_where_one_is_required(
    api: AirbyteClient, emu: Emulator
) -> None:
    """Servers from 0.63 on refuse workspaces/create without organizationId (API-FACTS 2.1):
    ensure sends the instance's default organization, which instance_configuration names
    (what the create's 400 points to)."""
    ensured = await api.workspaces.ensure(name="analytics")

    assert ensured.value.organization_id == DEFAULT_ORGANIZATION
    [request] = sent(emu, "workspaces/create")
    assert request.body == {"name": "analytics", "organizationId": DEFAULT_ORGANIZATION}


@pytest.mark.parametrize("version", ["0.40"])
async def test_ensure_on_a_server_without_organizations_sends_none(
    api: AirbyteClient, emu: Emulator
) -> None:
    """0.40 has no instance_configuration: ensure creates the workspace without one."""
    await api.workspaces.ensure(name="analytics")

    assert sent(emu, "workspaces/create")[0].body == {"name": "analytics"}


async def test_ensure_of_a_name_several_workspaces_share_is_ambiguous(
    api: AirbyteClient, emu: Emulator
) -> None:
    """Two workspaces of the name: AmbiguousMatchError listing both ids, nothing created."""
    one = await api.workspaces.create(name="analytics", organization_id=DEFAULT_ORGANIZATION)
    two = await api.workspaces.create(name="analytics", organization_id=DEFAULT_ORGANIZATION)

    with pytest.raises(AmbiguousMatchError) as caught:
        await api.workspaces.ensure(name="analytics")

    assert set(caught.value.candidates) == {one.workspace_id, two.workspace_id}
    assert len(sent(emu, "workspaces/create")) == 2


@pytest.mark.parametrize("version", ["head"])
async def test_ensure_in_an_organization_looks_there(api: AirbyteClient, emu: Emulator) -> None:
    """With organization_id, the name is looked for among that organization's workspaces
    (workspaces/list_by_organization_id) and created there."""
    first = await api.workspaces.ensure(name="analytics", organization_id=DEFAULT_ORGANIZATION)
    again = await api.workspaces.ensure(name="analytics", organization_id=DEFAULT_ORGANIZATION)

    assert again.value.workspace_id == first.value.workspace_id
    assert [r.body["organizationId"] for r in sent(emu, "workspaces/create")] == [
        DEFAULT_ORGANIZATION
    ]
    assert sent(emu, "workspaces/list_by_organization_id")


@pytest.mark.parametrize("version", ["head"])
async def test_ensure_whose_create_answer_is_lost_creates_one(
    api: AirbyteClient, emu: Emulator
) -> None:
    """A create whose answer is lost after the server acted is not sent again: the workspace
    is found by its name."""
    emu.set_faults([{"kind": "reset_after", "route": "workspaces/create", "times": 1}])

    ensured = await api.workspaces.ensure(name="analytics")

    assert ensured.action is EnsureAction.CREATED
    assert len(sent(emu, "workspaces/create")) == 1
    assert [w.name async for w in api.workspaces.list()].count("analytics") == 1


async def test_find_names_what_it_did_not_find(api: AirbyteClient) -> None:
    """find: the workspace of that name; NoMatchError when none; a bad id is refused."""
    assert (await api.workspaces.find(name="workspace-000")).name == "workspace-000"
    with pytest.raises(NoMatchError, match="no workspace named 'nope'"):
        await api.workspaces.find(name="nope")
    with pytest.raises(InvalidArgumentError, match="organization_id"):
        await api.workspaces.ensure(name="x", organization_id="not-an-id")
