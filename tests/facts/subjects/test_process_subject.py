"""A process examined from outside (--pid): its facts read from /proc, and reading changes nothing."""

from __future__ import annotations

import sys

import pytest
from helpers.environment import child_env
from helpers.processes import WAIT, running

from cadoctor._commands.check import CLIENTS
from cadoctor._facts.process.procfs import read_process
from cadoctor._facts.subjects.process import facts_of_process

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="--pid reads Linux's /proc")


def test_a_process_read_twice_gives_the_same_facts() -> None:
    """Reading a process does not change it: two reads give equal facts."""
    with running([sys.executable, "-c", "import ssl; " + WAIT], child_env()) as child:
        first = facts_of_process(read_process(child.pid), CLIENTS)
        second = facts_of_process(read_process(child.pid), CLIENTS)
        assert child.poll() is None
    assert first == second
