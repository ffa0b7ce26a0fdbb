"""The /proc reader: a process of another user is refused with advice, not read."""

from __future__ import annotations

import os
import sys

import pytest

from cadoctor import ProcessError
from cadoctor._facts.process.procfs import read_process

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the reader of Linux's /proc")


@pytest.mark.root("to become another user")
def test_another_users_process_is_refused_with_advice() -> None:
    """Reading a process of another user without the right gives 'access denied' and says who may read it."""
    target = os.getpid()
    reader, writer = os.pipe()
    child = os.fork()
    if child == 0:  # the child becomes nobody and tries to read this (root's) process
        os.close(reader)
        try:
            os.setgid(65534)
            os.setuid(65534)
            read_process(target)
            message = "read it"
        except ProcessError as exc:
            message = str(exc)
        except BaseException as exc:  # reported to the parent, which fails the test
            message = "crashed: %r" % exc
        os.write(writer, message.encode())
        os._exit(0)
    os.close(writer)
    with os.fdopen(reader, "rb") as pipe:
        message = pipe.read().decode()
    os.waitpid(child, 0)
    assert "access denied" in message, message
    assert "run as the process owner or root" in message
