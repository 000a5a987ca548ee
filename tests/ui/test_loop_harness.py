"""The GUI tests' qasync loop (tests/ui/conftest.py): asyncio work still pending when a test
returns is stepped by qasync's and pytest-qt's event processing after the test, and must find
the test's loop running there, as it does everywhere else."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest


@pytest.fixture
def steps() -> Iterator[list[bool]]:
    """For each step of the test's leftover task: was the loop running? Checked after the
    test, once the event processing that follows it is over."""
    seen: list[bool] = []
    yield seen
    assert len(seen) >= 2, seen  # at least one step ran after the test returned
    assert all(seen), seen


async def test_a_task_left_running_steps_inside_the_loop(steps: list[bool]) -> None:
    loop = asyncio.get_running_loop()

    async def leftover() -> None:
        for _ in range(5):
            steps.append(asyncio._get_running_loop() is loop)
            await asyncio.sleep(0)

    loop.create_task(leftover())  # noqa: RUF006  (left running on purpose)
