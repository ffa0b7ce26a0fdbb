"""`check --pid` when the process will not hold still, or may not be seen: a report or one line, never a traceback.

Processes that exit or exec at random moments during the check (a campaign over seeds), one another user may not
read, and /proc mounted with hidepid, where another user's process is not there at all.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import sysconfig
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from helpers.environment import child_env
from helpers.processes import WAIT, running
from helpers.runs import CHILD_TIMEOUT, exit_for

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="--pid reads Linux's /proc")

# A Python that maps its libcrypto, then after a delay of the seed's choosing exits, or execs another program.
FLEETING = """
import os, ssl, sys, time
time.sleep(float(sys.argv[1]))
if sys.argv[2] == "exec":
    os.execv("/bin/sleep", ["sleep", "0.3"])
"""


def _outcome(done: subprocess.CompletedProcess[str]) -> str:
    """What one check of a fleeting process ended as, after asserting it ended in a documented way."""
    assert "Traceback" not in done.stderr, done.stderr
    if done.returncode == 3:
        assert done.stdout == "" or json.loads(done.stdout)["status"] == "failed"
        assert done.stderr.count("\n") == 1, done.stderr
        return done.stderr.split(":", 1)[1].split(" ")[1]  # "process" / "no" / ...
    report = json.loads(done.stdout)
    assert done.returncode == exit_for(report), done.stderr
    return "report"


@pytest.mark.slow
def test_processes_that_exit_or_exec_mid_check_end_in_documented_ways() -> None:
    """Forty seeds: a report, or exit 3 with one line ("exited while it was being read", "started another program")."""
    seeds = range(40)

    def one(seed: int) -> str:
        chance = random.Random(seed)  # noqa: S311 - a seeded campaign, not a secret
        action = chance.choice(["exit", "exec"])
        child = subprocess.Popen(
            [sys.executable, "-c", FLEETING, "%.3f" % chance.uniform(0.0, 0.4), action],
            env=child_env(),
            stdin=subprocess.DEVNULL,
        )
        try:
            argv = [sys.executable, "-m", "cadoctor", "check", "--format", "json", "--no-verify", "--pid"]
            done = subprocess.run(
                [*argv, str(child.pid)], env=child_env(), capture_output=True, text=True, timeout=CHILD_TIMEOUT
            )
        finally:
            child.wait(timeout=CHILD_TIMEOUT)
        return _outcome(done)

    with ThreadPoolExecutor(max_workers=4) as pool:
        outcomes = list(pool.map(one, seeds))
    assert set(outcomes) <= {"report", "process", "no"}, outcomes
    print("outcomes: %s" % {name: outcomes.count(name) for name in set(outcomes)})


def _unprivileged_argv(args: list[str]) -> list[str] | None:
    """`cadoctor ARGS` as user nobody: the system python3 of this minor with this environment's site folder.

    The tests' own interpreter may live under /root, which nobody cannot enter; None when there is no such python3.
    """
    system = Path("/usr/bin/python%d.%d" % sys.version_info[:2])
    site = sysconfig.get_paths()["purelib"]
    if not system.is_file() or not os.access(site, os.R_OK | os.X_OK):
        return None
    code = "import site, sys; site.addsitedir(sys.argv[1]); from cadoctor._cli.main import entry; "
    code += "sys.argv[1:2] = []; sys.argv[0] = 'cadoctor'; entry()"  # an importable, world-readable cadoctor
    setpriv = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"]
    return [*setpriv, str(system), "-c", code, site, *args]


@pytest.mark.root("switching to user nobody to examine root's process")
@pytest.mark.parametrize("proc", ["plain", "hidepid"])
def test_another_users_process_is_one_line_saying_why(proc: str) -> None:
    """nobody examining root's process: access denied, or with /proc mounted hidepid=2 no such process it may see."""
    with running([sys.executable, "-c", WAIT], child_env()) as child:
        argv = _unprivileged_argv(["check", "--pid", str(child.pid)])
        if argv is None:
            pytest.skip("no /usr/bin/python%d.%d for user nobody to run cadoctor with" % sys.version_info[:2])
        if proc == "hidepid":
            mount = 'mount -t proc -o hidepid=2 proc /proc && exec "$@"'
            argv = ["unshare", "-m", "--propagation", "private", "--", "sh", "-c", mount, "sh", *argv]
        done = subprocess.run(argv, env=child_env(), capture_output=True, text=True, timeout=CHILD_TIMEOUT)
    if "site" in done.stderr and "Error" in done.stderr:
        pytest.skip("user nobody cannot import this environment's cadoctor: %s" % done.stderr.splitlines()[-1])
    assert (done.returncode, done.stdout) == (3, ""), done.stderr
    assert done.stderr.count("\n") == 1, done.stderr
    if proc == "plain":
        assert "access denied to /proc/%d/" % child.pid in done.stderr
        assert "run as the process owner or root" in done.stderr
    else:
        assert "no process %d that this user may see: /proc is mounted with hidepid=" % child.pid in done.stderr
