"""`cadoctor check --pid`: real processes examined from outside through /proc, never touched."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from helpers.environment import child_env
from helpers.openssl import ForeignOpenSSL, map_files_readable
from helpers.pki import make_ca
from helpers.processes import WAIT, running
from helpers.runs import check_json, codes, exit_for, run_cadoctor

SCHEMA = json.loads(resources.files("cadoctor").joinpath("schema/report-v1.json").read_text())
pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="--pid reads Linux's /proc")

SELF_CHECK = (
    "import json, sys\n"
    "from cadoctor._commands.check import check\n"
    "from cadoctor._render.report import to_document\n"
    "print(json.dumps(to_document(check())), flush=True)\n"
    "sys.stdin.read()\n"
)


def _comparable(report: dict[str, Any]) -> tuple[list[Any], list[Any]]:
    """Findings and fixes as a user compares them: what was found, and what to change (not the trial's words)."""
    findings = sorted(
        (f["code"], f["severity"], f["summary"], json.dumps(f["evidence"], sort_keys=True)) for f in report["findings"]
    )
    fixes = [(f["kind"], f["summary"], f["env"], f["preload"], f["cafile"], f["verified"]) for f in report["fixes"]]
    return findings, fixes


def test_the_foreign_libcrypto_child_seen_from_outside_matches_its_own_check(foreign_openssl: ForeignOpenSSL) -> None:
    """A Python on a libcrypto whose OPENSSLDIR is missing gets the same findings and fixes by --pid as from inside."""
    env = child_env(LD_LIBRARY_PATH=str(foreign_openssl.directory))
    child = subprocess.Popen(
        [sys.executable, "-c", SELF_CHECK], env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None
        inside = json.loads(child.stdout.readline())
        status, outside = check_json(child_env(), "--pid", str(child.pid))
    finally:
        child.kill()
        child.communicate()
    assert status == 1
    jsonschema.validate(outside, SCHEMA)
    assert {"trust-store-empty", "openssldir-missing"} <= codes(outside, "error") | codes(outside, "warning")
    assert _comparable(outside) == _comparable(inside)
    assert any(f["verified"] for f in outside["fixes"]), outside["fixes"]
    library = next(lib for lib in outside["libraries"] if lib["in_use"])
    assert library["path"] == str(foreign_openssl.libcrypto)
    assert library["openssldir"] == foreign_openssl.openssldir
    assert outside["subject"]["pid"] == child.pid
    assert outside["subject"]["observed"] == "files"
    assert outside["ssl"]["default_context"]["ok"] is None


def _copy_openssl(source: Path, target: Path) -> Path:
    """Copy the libcrypto and libssl next to `source` into a directory of their own."""
    target.mkdir()
    for name in ("libcrypto.so.3", "libssl.so.3"):
        shutil.copyfile(source.parent / name, target / name)
    return target


def test_a_libcrypto_deleted_after_loading_is_reported_from_the_bytes_still_mapped(
    foreign_openssl: ForeignOpenSSL, tmp_path: Path
) -> None:
    """Deleting the libcrypto a process mapped gives library-deleted, and its OPENSSLDIR is still read."""
    if not map_files_readable():
        pytest.skip("the bytes of a deleted library are behind /proc/PID/map_files, which needs CAP_SYS_ADMIN")
    copy = _copy_openssl(foreign_openssl.libcrypto, tmp_path / "lib")
    env = child_env(LD_LIBRARY_PATH=str(copy))
    with running([sys.executable, "-c", "import ssl; " + WAIT], env) as child:
        for name in ("libcrypto.so.3", "libssl.so.3"):
            (copy / name).unlink()
        status, report = check_json(child_env(), "--pid", str(child.pid), "--no-verify")
    deleted = [f for f in report["findings"] if f["code"] == "library-deleted"]
    assert {f["evidence"]["path"] for f in deleted} == {str(copy / "libcrypto.so.3"), str(copy / "libssl.so.3")}
    library = next(lib for lib in report["libraries"] if lib["in_use"])
    assert library["deleted"] is True
    assert library["openssldir"] == foreign_openssl.openssldir  # read through /proc/PID/map_files
    assert any(f["command"] is None and "Restart" in f["summary"] for f in report["fixes"])
    assert status == 1


def test_two_openssl_copies_in_one_process_are_both_named(foreign_openssl: ForeignOpenSSL) -> None:
    """A process that loads a second libcrypto from another folder gets multiple-openssl with both OPENSSLDIRs."""
    code = "import ctypes, ssl; ctypes.CDLL(%r); " % str(foreign_openssl.libcrypto) + WAIT
    with running([sys.executable, "-c", code], child_env()) as child:
        status, report = check_json(child_env(), "--pid", str(child.pid), "--no-verify")
    finding = next(f for f in report["findings"] if f["code"] == "multiple-openssl")
    dirs = {lib["openssldir"] for lib in finding["evidence"]["libraries"]}
    assert dirs == {foreign_openssl.openssldir, foreign_openssl.original}
    in_use = next(lib for lib in report["libraries"] if lib["in_use"])
    assert in_use["openssldir"] == foreign_openssl.original  # the loader's own copy, not the one loaded later
    assert "trust-store-empty" not in codes(report)
    assert status == exit_for(report)


def test_a_program_that_is_not_python_gets_what_applies(tmp_path: Path) -> None:
    """openssl s_server by PID: its SSL_CERT_FILE is judged, and only fixes a non-Python program can take."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("no openssl command here")
    ca = make_ca(tmp_path / "ca")
    missing = str(tmp_path / "nothing.pem")
    args = [openssl, "s_server", "-accept", "127.0.0.1:0", "-cert", str(ca.cert), "-key", str(ca.key), "-naccept", "1"]
    with running(args, child_env(SSL_CERT_FILE=missing), mapped="libssl") as child:
        status, report = check_json(child_env(), "--pid", str(child.pid))
    jsonschema.validate(report, SCHEMA)
    assert report["subject"]["python"] is False
    assert report["python"]["version"] == ""
    assert any(f["code"] == "env-path-invalid" and f["evidence"]["path"] == missing for f in report["findings"])
    assert report["fixes"], "an env fix applies to any OpenSSL program"
    assert {f["kind"] for f in report["fixes"]} <= {"env", "library", "command"}
    assert all(f["verified"] is None for f in report["fixes"])
    assert all("not tried" in (f["evidence"] or "not tried") for f in report["fixes"])
    assert status == 1


def test_a_program_with_openssl_linked_in_is_read_from_its_executable() -> None:
    """Node carries OpenSSL inside its executable: --pid names that copy, with its own OPENSSLDIR."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("no node here")
    with running([node, "-e", "console.log('ready'); setInterval(() => {}, 1000)"], child_env()) as child:
        status, report = check_json(child_env(), "--pid", str(child.pid), "--no-verify")
    library = next(lib for lib in report["libraries"] if lib["in_use"])
    if library["role"] != "static":
        pytest.skip("this node links OpenSSL dynamically")
    assert library["path"] == os.path.realpath(node)
    assert library["openssldir"]
    assert report["verify_paths"]["compiled_cafile"] == os.path.join(library["openssldir"], "cert.pem")
    assert status == exit_for(report)


def test_a_process_without_openssl_gets_one_line() -> None:
    """A process that maps no OpenSSL exits 3 with one line, naming why."""
    with running([sys.executable, "-S", "-c", WAIT], child_env()) as child:
        result = run_cadoctor(["check", "--pid", str(child.pid)], child_env())
    assert result.returncode == 3
    assert result.stderr.count("\n") == 1
    assert "maps no OpenSSL" in result.stderr
    assert "--python" in result.stderr


def _unused_pid() -> int:
    """A PID no process has right now."""
    taken = {int(name) for name in os.listdir("/proc") if name.isdigit()}
    return next(pid for pid in range(300, 1 << 22) if pid not in taken)


def _kernel_thread() -> int:
    """The PID of a kernel thread, or skip."""
    for name in sorted((n for n in os.listdir("/proc") if n.isdigit()), key=int):
        try:
            stat = Path("/proc/%s/stat" % name).read_bytes()
        except OSError:
            continue
        if int(stat.rpartition(b")")[2].split()[6]) & 0x00200000:
            return int(name)
    pytest.skip("no kernel thread is visible here")


@pytest.mark.parametrize(
    ("pid", "status", "words"),
    [
        (lambda: "0", 2, "is not a process ID"),
        (lambda: "-7", 2, "is not a process ID"),
        (lambda: str(1 << 40), 3, "largest PID"),
        (lambda: str(_unused_pid()), 3, "no process"),
        (lambda: str(_kernel_thread()), 3, "kernel thread"),
    ],
    ids=["zero", "negative", "huge", "unused", "kernel-thread"],
)
def test_pids_that_are_no_process_to_read_get_one_line(pid: Any, status: int, words: str) -> None:
    """PID 0, a negative, huge or unused PID and a kernel thread each give one line and the right exit code."""
    result = run_cadoctor(["check", "--pid", pid()], child_env())
    assert (result.returncode, result.stdout) == (status, "")
    assert result.stderr.count("\n") == 1, result.stderr
    assert words in result.stderr


def test_a_zombie_gets_one_line_naming_its_parent() -> None:
    """A child that exited but was not collected is a zombie: exit 3, and the line names the parent to ask."""
    child = subprocess.Popen(["/bin/true"])
    try:
        deadline = time.monotonic() + 30
        while Path("/proc/%d/stat" % child.pid).read_bytes().rpartition(b")")[2].split()[0] != b"Z":
            assert time.monotonic() < deadline
            time.sleep(0.01)
        result = run_cadoctor(["check", "--pid", str(child.pid)], child_env())
    finally:
        child.wait()
    assert result.returncode == 3
    assert "zombie" in result.stderr
    assert str(os.getpid()) in result.stderr


@pytest.mark.root("a mount namespace of its own for the process")
def test_a_process_in_another_mount_namespace_is_judged_by_its_own_files(tmp_path: Path) -> None:
    """A bundle that is empty only inside the process's mount namespace is read as it sees it, not as we do."""
    unshare = shutil.which("unshare")
    bundle = Path("/etc/ssl/certs/ca-certificates.crt")
    if unshare is None or not bundle.is_file():
        pytest.skip("needs unshare and the Debian bundle")
    empty = tmp_path / "empty.pem"
    empty.write_text("")
    script = 'mount --bind "$1" "$2" && exec "$3" -c "import ssl; %s"' % WAIT.replace('"', '\\"')
    args = [unshare, "--mount", "--propagation", "private", "sh", "-c", script, "sh", str(empty), str(bundle)]
    probe = subprocess.run([unshare, "--mount", "true"], capture_output=True, check=False)
    if probe.returncode != 0:
        pytest.skip("cannot make a mount namespace here: %s" % probe.stderr.decode().strip())
    env = child_env(SSL_CERT_FILE=str(bundle))
    with running([*args, sys.executable], env) as child:
        status, report = check_json(child_env(), "--pid", str(child.pid), "--no-verify")
    assert bundle.stat().st_size > 0  # on this side of the namespace, the bundle is whole
    assert report["subject"]["root"] == "/proc/%d/root" % child.pid
    finding = next(f for f in report["findings"] if f["code"] == "env-path-invalid")
    assert finding["evidence"]["path"] == str(bundle)
    assert finding["evidence"]["problem"] == "is an empty file"
    assert status == 1
