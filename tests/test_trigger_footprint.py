"""
What a batch's trigger keeps alive while the server holds it (a second or more, as Airbyte
answers once the job runs: API-FACTS 6.3b): every object of it is walked by the collector
each time it runs meanwhile, hundreds of triggers at once (issue #10's CPU point).
"""

from __future__ import annotations

import collections
import gc
import types
from collections.abc import Iterator
from pathlib import Path

import pytest
from client_support import requests_to, until

import airbyte_async
from airbyte_async import AirbyteClient, NoAuth
from airbyte_async.orchestrator import Orchestrator, Outcome, Selection
from airbyte_async.testing import Emulator

pytestmark = pytest.mark.anyio

#: Triggers held at once by the emulator.
_HELD = 20
_LIBRARY = str(Path(airbyte_async.__file__).parent)
#: The emulator's own coroutines (it runs in the test's process) are not the client's.
_EMULATOR = str(Path(airbyte_async.__file__).parent / "testing")


def _library_coroutines() -> Iterator[types.CoroutineType[object, object, object]]:
    for obj in gc.get_objects():
        if (
            isinstance(obj, types.CoroutineType)
            and obj.cr_frame is not None
            and obj.cr_code.co_filename.startswith(_LIBRARY)
            and not obj.cr_code.co_filename.startswith(_EMULATOR)
        ):
            yield obj


async def _per_trigger_coroutines() -> dict[str, types.CodeType]:
    """
    The library's coroutines that each trigger in flight keeps (by qualified name, with their
    code): those alive once per held trigger at least, while the emulator holds *_HELD*
    triggers of a batch.
    """
    async with (
        Emulator(connections=_HELD, trigger_latency=2.0, sync_duration=(0.05, 0.1)) as emu,
        AirbyteClient(emu.url, auth=NoAuth(), env={}) as client,
    ):
        orchestrator = Orchestrator(
            client, max_running=_HELD, max_triggers=_HELD, adaptive_triggers=False
        )
        async with orchestrator.stream(Selection(all_workspaces=True)) as batch:
            await until(
                lambda: (
                    batch.triggers_in_flight == _HELD
                    and requests_to(emu, "connections/sync") == _HELD
                )
            )
            alive = list(_library_coroutines())
            results = [result async for result in batch]
        assert [r.outcome for r in results] == [Outcome.SUCCEEDED] * _HELD
    counts = collections.Counter(c.cr_code.co_qualname for c in alive)
    codes = {c.cr_code.co_qualname: c.cr_code for c in alive}
    per_trigger = {name: codes[name] for name, n in counts.items() if n >= _HELD}
    # The chain from the worker to the transport, at least: the check sees the triggers.
    assert {"Orchestrator._send_trigger", "trigger_exactly_once", "send"} <= set(per_trigger)
    return per_trigger


async def test_a_trigger_held_by_the_server_keeps_no_closure_cells_of_the_library() -> None:
    """
    None of the library's coroutines that a trigger keeps while the server holds it has
    closure cells: a function whose variables a nested function reads makes a cell of each on
    every call, whether the nested function runs or not (the retry of a request, the probe of
    the public API's trigger), and each cell is one more object for the collector.
    """
    per_trigger = await _per_trigger_coroutines()

    assert {name: code.co_cellvars for name, code in per_trigger.items() if code.co_cellvars} == {}


async def test_the_backend_and_the_resource_pass_a_trigger_on_without_a_coroutine_of_theirs() -> (
    None
):
    """
    The Config backend's ``trigger`` and the connections resource's ``_trigger`` return the
    coroutine that sends the trigger, for the orchestrator to await: neither keeps a coroutine
    of its own alive for the trigger's wait (one object fewer each, and one frame fewer that
    each resumption of the trigger passes through).
    """
    per_trigger = await _per_trigger_coroutines()

    assert not {"ConfigBackend.trigger", "Connections._trigger"} & set(per_trigger)


async def test_a_held_trigger_keeps_no_coroutine_that_only_passes_it_on() -> None:
    """
    Between the worker and the request, the orchestrator and the resources keep one coroutine
    per step a held trigger is in: the worker's, its sync's, the trigger's (a refusal's
    outcome), the one holding its slot, and the resource's naming of a 403 and its
    exactly-once send. Neither the connections resource's public ``sync`` nor a coroutine of
    the orchestrator's for the part within the sync's deadline is kept: each was one more
    object for the collector per trigger held, and one more frame each resumption passed.
    """
    per_trigger = await _per_trigger_coroutines()

    above_the_client = {
        name
        for name, code in per_trigger.items()
        if not code.co_filename.endswith(("_client.py", "_transport.py"))
    }
    assert above_the_client == {
        "Orchestrator._worker",
        "Orchestrator._sync",
        "Orchestrator._trigger",
        "Orchestrator._send_trigger",
        "named",
        "trigger_exactly_once",
    }
