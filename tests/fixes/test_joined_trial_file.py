"""A trial tries the very file a joining fix's lines write: the same bytes, the hashed folder's files expanded."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from pathlib import Path

import pytest

from cadoctor._fixes.bundles import join_command
from cadoctor._fixes.verify import joined_env
from cadoctor._model import Fix


def _folder(tmp_path: Path) -> Path:
    """A hashed folder: two files for one subject hash, another hash's file, and a CRL link left out."""
    folder = tmp_path / "corp certs"  # a space: the quoted folder and the unquoted pattern must still meet
    folder.mkdir()
    (folder / "0a1b2c3d.0").write_bytes(b"ROOT-A\n")
    (folder / "0a1b2c3d.1").write_bytes(b"ROOT-B")
    (folder / "99999999.0").write_bytes(b"OTHER\n")
    (folder / "0a1b2c3d.r0").write_bytes(b"CRL\n")
    return folder


def test_the_trial_file_has_the_bytes_the_lines_write(tmp_path: Path) -> None:
    """The shell line and the trial join the same parts, in the same order, with the same separators.

    ROOT-B has no final newline: each of a folder's files gets one, so no END line is glued to a BEGIN line.
    """
    public = tmp_path / "public.pem"
    public.write_bytes(b"PUBLIC\n")
    folder = _folder(tmp_path)
    parts = (str(public), "%s/0a1b2c3d.[0-9]*" % folder)
    written = tmp_path / "joined by the user.pem"
    subprocess.run(["/bin/sh", "-c", join_command(parts, str(written))], check=True, timeout=30)
    fix = Fix("env", "", (), env={"REQUESTS_CA_BUNDLE": str(written), "UV_SYSTEM_CERTS": "1"}, merge=parts)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    env = joined_env(fix, str(scratch), 3)
    assert env is not None
    assert env["UV_SYSTEM_CERTS"] == "1"  # a switch keeps its value
    trial = Path(str(env["REQUESTS_CA_BUNDLE"]))
    assert trial.parent == scratch
    assert trial.read_bytes() == written.read_bytes() == b"PUBLIC\n\nROOT-A\n\nROOT-B\n"


def test_a_fifo_among_the_parts_is_refused_without_blocking(tmp_path: Path) -> None:
    """A part that is a FIFO is never read: the trial refuses it at once (the child is then not started)."""
    fifo = tmp_path / "bundle.pem"
    os.mkfifo(fifo)
    fix = Fix("env", "", (), env={"REQUESTS_CA_BUNDLE": "/x/joined.pem"}, merge=(str(fifo),))
    done = threading.Event()
    started = time.monotonic()

    def open_writer_later() -> None:
        """Unblock a reader that would wait forever, so a regression fails instead of hanging the suite."""
        if not done.wait(5):
            with open(fifo, "wb"):
                pass

    threading.Thread(target=open_writer_later, daemon=True).start()
    with pytest.raises(OSError, match="not a regular file"):
        joined_env(fix, str(tmp_path), 0)
    done.set()
    assert time.monotonic() - started < 2
