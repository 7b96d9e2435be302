"""The event a watch sets when its job is final: what anyio.Event promises, for many waiters."""

from __future__ import annotations

import anyio
import pytest

from airbyte_async._watch import Done

pytestmark = pytest.mark.anyio


async def test_set_wakes_every_waiter() -> None:
    """Three tasks waiting on one watch all go on once it is set."""
    done, woken = Done(), []

    async def waiter(n: int) -> None:
        await done.wait()
        woken.append(n)

    async with anyio.create_task_group() as tg:
        for n in range(3):
            tg.start_soon(waiter, n)
        await anyio.wait_all_tasks_blocked()
        assert woken == []
        done.set()
    assert sorted(woken) == [0, 1, 2]
    assert done.is_set()


async def test_a_cancelled_waiter_leaves_the_others_waiting() -> None:
    """Cancelling one waiter's scope wakes neither the event nor the other waiter."""
    done, woken = Done(), []

    async def waiter() -> None:
        await done.wait()
        woken.append(True)

    async with anyio.create_task_group() as tg:
        tg.start_soon(waiter)
        with anyio.move_on_after(0.01) as scope:
            await done.wait()
        assert scope.cancelled_caught
        assert not done.is_set() and woken == []
        done.set()
    assert woken == [True]


async def test_a_wait_once_set_is_a_cancellation_point() -> None:
    """Waiting for a watch already done returns, but not inside a cancelled scope."""
    done = Done()
    done.set()
    done.set()
    await done.wait()
    with anyio.CancelScope() as scope:
        scope.cancel()
        await done.wait()
        pytest.fail("the wait went on in a cancelled scope")
    assert scope.cancelled_caught
