"""`check --output FILE` writes the whole report or nothing: a full disk or a read-only folder never truncates one.

The full disk is a real one: a 64 KiB tmpfs mounted in a private mount namespace, filled but for a few KiB.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.environment import child_env
from helpers.os_store import namespace_or_skip
from helpers.runs import CHILD_TIMEOUT, run_cadoctor

OLD = '{"the": "last good report"}\n'


def _leftovers(folder: Path) -> list[str]:
    """Temporary files a write left behind."""
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_a_new_report_is_whole_readable_and_leaves_nothing_behind(tmp_path: Path) -> None:
    """A new file gets open()'s mode (0666 less the umask, not mkstemp's 0600); an old one keeps its own."""
    target = tmp_path / "report.json"
    done = run_cadoctor(["check", "--no-verify", "--format", "json", "--output", str(target)], child_env())
    assert done.stdout == ""
    assert json.loads(target.read_text())["schema_version"] == 1
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask
    target.chmod(0o640)
    run_cadoctor(["check", "--no-verify", "--format", "json", "--output", str(target)], child_env())
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert _leftovers(tmp_path) == []


def test_through_a_symlink_the_file_it_names_is_replaced(tmp_path: Path) -> None:
    """`--output link` replaces the report the link names, and the link stays a link."""
    (tmp_path / "real").mkdir()
    real = tmp_path / "real" / "report.json"
    real.write_text(OLD)
    link = tmp_path / "report.json"
    link.symlink_to(real)
    run_cadoctor(["check", "--no-verify", "--format", "json", "--output", str(link)], child_env())
    assert link.is_symlink()
    assert json.loads(real.read_text())["schema_version"] == 1


@pytest.mark.root("a private mount namespace with a small tmpfs (a real full disk)")
@pytest.mark.parametrize("trouble", ["full", "read-only"])
def test_a_full_disk_or_a_read_only_folder_keeps_the_last_report(tmp_path: Path, trouble: str) -> None:
    """ENOSPC while writing, or a read-only mount: exit 2 and one line; the old report intact, nothing left."""
    namespace_or_skip()
    folder = tmp_path / "disk"
    folder.mkdir()
    setup = 'mount -t tmpfs -o size=64k tmpfs "$0" && printf %s "$1" > "$0/report.json" && '
    if trouble == "full":  # fill it but for 4 KiB: the old report stays; a new one (about 16 KiB) cannot be written
        setup += 'head -c 57344 /dev/zero > "$0/filler"; '
    else:
        setup += 'mount -o remount,ro "$0" && '
    setup += 'shift; "$@"; status=$?; cat "$0/report.json"; echo; ls -a "$0"; exit $status'
    argv = [sys.executable, "-m", "cadoctor", "check", "--no-verify", "--format", "json"]
    argv += ["--output", str(folder / "report.json")]
    done = subprocess.run(
        ["unshare", "-m", "--propagation", "private", "--", "sh", "-c", setup, str(folder), OLD, *argv],
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    expected = "No space left on device" if trouble == "full" else "Read-only file system"
    assert done.stderr.startswith("cadoctor: cannot write %s: " % (folder / "report.json")), done.stderr
    assert expected in done.stderr
    assert len(done.stderr.splitlines()) == 1
    assert "Traceback" not in done.stderr
    assert done.stdout.startswith(OLD)  # the last good report, whole
    assert not [name for name in done.stdout.split() if name.endswith(".tmp")]
