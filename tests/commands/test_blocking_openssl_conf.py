"""OPENSSL_CONF naming a FIFO, or a file that includes one: OpenSSL reads it when it loads, and would wait forever.

Ground truth: `python -c "import ssl"` in that environment does not return. Every command that loads OpenSSL (all
but `ps`) says so in one line and exits 3 at once, `check` in the format asked for; `ps`, which loads none, runs.
A configuration that includes only regular files is no obstacle.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers.environment import child_env

LIMIT = 60.0  # seconds: a refusal takes a fraction of one; a hang would take forever
CASES = ["fifo", "includes a fifo", "includes a folder holding a fifo"]


def _conf(tmp_path: Path, case: str) -> str:
    """The OPENSSL_CONF of one case: the FIFO itself, or a configuration whose .include reaches one."""
    fifo = tmp_path / "named.pipe"
    os.mkfifo(fifo)
    if case == "fifo":
        return str(fifo)
    conf = tmp_path / "openssl.cnf"
    if case == "includes a fifo":
        conf.write_text("openssl_conf = init\n.include %s\n[init]\n" % fifo)
    elif case == "includes a folder holding a fifo":
        (tmp_path / "conf.d").mkdir()
        os.rename(fifo, tmp_path / "conf.d" / "late.cnf")
        conf.write_text(".include = conf.d\n")  # relative: OpenSSL looks for it in the working folder
    else:
        raise ValueError(case)
    return str(conf)


def _run(args: list[str], env: dict[str, str], cwd: Path) -> tuple[int, str, str, float]:
    """`python -m cadoctor ARGS` in `cwd`: exit status, stdout, stderr and how long it took."""
    began = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "cadoctor", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=LIMIT,
        check=False,
    )
    return done.returncode, done.stdout, done.stderr, time.monotonic() - began


def _imports_ssl(env: dict[str, str], cwd: Path) -> bool:
    """Whether `python -c "import ssl"` returns within 3 s there (killed if not)."""
    try:
        subprocess.run([sys.executable, "-c", "import ssl"], env=env, cwd=cwd, capture_output=True, timeout=3)
    except subprocess.TimeoutExpired:
        return False
    return True


@pytest.mark.parametrize("case", CASES)
def test_loading_openssl_there_does_not_return(tmp_path: Path, case: str) -> None:
    """What the refusal stands on: the interpreter itself blocks in `import ssl`. A relative include is looked for
    in the working folder: from another, the same configuration loads."""
    env = child_env(OPENSSL_CONF=_conf(tmp_path, case))
    assert not _imports_ssl(env, tmp_path)
    if case == "includes a folder holding a fifo":
        elsewhere = tmp_path / "elsewhere"
        elsewhere.mkdir()
        assert _imports_ssl(env, elsewhere)
        status, _, err, _ = _run(["check", "--format", "json", "--no-verify"], env, elsewhere)
        assert status in (0, 1), err


@pytest.mark.parametrize("case", CASES)
def test_check_says_why_in_the_format_asked_for(tmp_path: Path, case: str) -> None:
    """Exit 3 at once, one line on stderr naming OPENSSL_CONF; JSON says `failed`, nagios UNKNOWN."""
    env = child_env(OPENSSL_CONF=_conf(tmp_path, case))
    for fmt in ("human", "json", "nagios", "prometheus"):
        status, out, err, took = _run(["check", "--format", fmt], env, tmp_path)
        assert (status, took < LIMIT / 2) == (3, True), (fmt, err)
        assert len(err.splitlines()) == 1, err
        assert "OPENSSL_CONF" in err
        assert "Traceback" not in err
        if fmt == "json":
            document = json.loads(out)
            assert (document["status"], document["error"]["kind"]) == ("failed", "interpreter")
        elif fmt == "nagios":
            assert out.startswith("CADOCTOR UNKNOWN - "), out


def test_every_other_command_refuses_but_ps(tmp_path: Path) -> None:
    """inspect, explain, help and usage errors would load OpenSSL (hashes, typer's models): one line, exit 3."""
    env = child_env(OPENSSL_CONF=_conf(tmp_path, "fifo"))
    bundle = tmp_path / "bundle.pem"
    bundle.write_text("")
    for args in (["inspect", str(bundle)], ["explain", "unable to get local issuer certificate"], ["--help"]):
        status, _, err, _ = _run(args, env, tmp_path)
        assert status == 3, (args, err)
        assert len(err.splitlines()) == 1, err
        assert "OPENSSL_CONF" in err
    for args in (["check", "--help"], ["check", "--no-such-option"]):
        status, _, err, _ = _run(args, env, tmp_path)
        assert (status, "OPENSSL_CONF" in err) == (3, True), (args, err)
    status, out, err, _ = _run(["ps", "--format", "json"], env, tmp_path)
    assert status in (0, 1), err
    json.loads(out)


@pytest.mark.parametrize("case", ["includes regular files", "/dev/null"])
def test_a_configuration_that_cannot_block_is_no_obstacle(tmp_path: Path, case: str) -> None:
    """The same layout with a regular file where the FIFO was, or /dev/null (the usual way to tell OpenSSL to read
    no configuration): the check runs."""
    (tmp_path / "conf.d").mkdir()
    (tmp_path / "conf.d" / "late.cnf").write_text("# nothing\n")
    conf = tmp_path / "openssl.cnf"
    conf.write_text(".include = conf.d\n")
    env = child_env(OPENSSL_CONF=os.devnull if case == "/dev/null" else str(conf))
    assert _imports_ssl(env, tmp_path)
    status, out, err, _ = _run(["check", "--format", "json", "--no-verify"], env, tmp_path)
    assert status in (0, 1), err
    assert json.loads(out)["status"] != "failed"


def test_a_damaged_configuration_never_breaks_the_guard(tmp_path: Path) -> None:
    """The guard reads a file of anyone's: 3,000 mutations of one that includes a file, a folder and a FIFO (a NUL
    byte in a name among them) each give a reason or None, never an exception. (A mutated name may reach any folder
    of this machine, and a FIFO of another's there: which reason is no part of this test.)"""
    from helpers.trials import mutations

    from cadoctor._facts.child.openssl_paths import blocking_configuration

    (tmp_path / "conf.d").mkdir()
    (tmp_path / "conf.d" / "a.cnf").write_text("# a\n")
    os.mkfifo(tmp_path / "pipe")
    original = (
        "openssl_conf = init\n.include = conf.d\n.include %s/conf.d/a.cnf\n[init]\n# .include %s/pipe\n"
        % (tmp_path, tmp_path)
    ).encode()
    conf = tmp_path / "openssl.cnf"
    for data in [b".include /x\x00y\n", *mutations(original, 3000)]:
        conf.write_bytes(data)
        found = blocking_configuration({"OPENSSL_CONF": str(conf)})
        assert found is None or "is not a regular file" in found, found
