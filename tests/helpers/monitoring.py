"""The monitoring systems' own programs, from Debian's packages (installed by .ci/run): node_exporter serving a
textfile folder on loopback, Nagios Core running plugins, promtool linting, systemd-analyze verifying units.

Each is looked for in /usr/bin and /usr/sbin only, and a test that needs a missing one skips naming its package.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from helpers.environment import child_env

NODE_EXPORTER = "prometheus-node-exporter"
DEADLINE = 30.0  # seconds for a daemon to answer, or Nagios to run its checks


def tool_or_skip(name: str, package: str) -> str:
    """The path of a Debian package's program, or a skip saying which package brings it."""
    import pytest

    found = shutil.which(name, path="/usr/bin:/usr/sbin:/bin:/sbin")
    if found is None:
        pytest.skip("no %s here (apt-get install %s)" % (name, package))
    return found


def _free_port() -> int:
    """A loopback port nothing listens on now (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def node_exporter(textfiles: Path, log: Path) -> Iterator[str]:
    """node_exporter on loopback with only the textfile collector, reading `textfiles`; yields its /metrics URL.

    Its log (stderr) goes to `log`: gathering errors, such as a series two files both hold, are said only there.
    """
    program = tool_or_skip(NODE_EXPORTER, NODE_EXPORTER)
    port = _free_port()
    args = [
        program,
        "--web.listen-address=127.0.0.1:%d" % port,
        "--collector.disable-defaults",
        "--collector.textfile",
        "--collector.textfile.directory=%s" % textfiles,
    ]
    with log.open("w") as stderr:
        server = subprocess.Popen(args, env=child_env(), stdout=subprocess.DEVNULL, stderr=stderr)
    url = "http://127.0.0.1:%d/metrics" % port
    try:
        deadline = time.monotonic() + DEADLINE
        while True:
            assert server.poll() is None, "node_exporter exited: %s" % log.read_text()[-2000:]
            try:
                with urllib.request.urlopen(url, timeout=5):  # noqa: S310 (a loopback URL made here)
                    break
            except OSError:
                assert time.monotonic() < deadline, "node_exporter did not answer on %s" % url
                time.sleep(0.1)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=DEADLINE)


def scrape(url: str) -> str:
    """One scrape of /metrics, as Prometheus makes it."""
    with urllib.request.urlopen(url, timeout=10) as answer:  # noqa: S310 (a loopback URL made here)
        return str(answer.read().decode("utf-8"))


NAGIOS_CFG = """log_file={d}/nagios.log
cfg_file={d}/objects.cfg
object_cache_file={d}/objects.cache
precached_object_file={d}/objects.precache
resource_file={d}/resource.cfg
status_file={d}/status.dat
status_update_interval=1
nagios_user={user}
nagios_group={group}
check_external_commands=0
command_file={d}/nagios.cmd
lock_file={d}/nagios.lock
temp_file={d}/nagios.tmp
temp_path={d}
check_result_path={d}/checkresults
retain_state_information=0
state_retention_file={d}/retention.dat
interval_length=1
service_inter_check_delay_method=n
max_service_check_spread=1
enable_notifications=0
execute_host_checks=0
query_socket={socket}
illegal_macro_output_chars=`~$&|'"<>
"""
# The templates Debian's nagios4 ships (generic-service, a time period, a contact), reduced to what a check needs,
# so that a service defined as its documentation writes it (`use generic-service`) runs here.
NAGIOS_OBJECTS = """define timeperiod {
    timeperiod_name 24x7
    alias always
    sunday 00:00-24:00
    monday 00:00-24:00
    tuesday 00:00-24:00
    wednesday 00:00-24:00
    thursday 00:00-24:00
    friday 00:00-24:00
    saturday 00:00-24:00
}
define command {
    command_name notify-nobody
    command_line /bin/true
}
define contact {
    contact_name nobody
    host_notifications_enabled 0
    service_notifications_enabled 0
    host_notification_period 24x7
    service_notification_period 24x7
    host_notification_options n
    service_notification_options n
    host_notification_commands notify-nobody
    service_notification_commands notify-nobody
}
define service {
    name generic-service
    register 0
    max_check_attempts 1
    check_interval 3600
    retry_interval 3600
    check_period 24x7
    notification_interval 0
    notification_period 24x7
    contacts nobody
}
define host {
    host_name {host}
    address 127.0.0.1
    max_check_attempts 1
    check_period 24x7
    contacts nobody
    notification_period 24x7
}
"""


def nagios_verify(config: Path) -> subprocess.CompletedProcess[str]:
    """`nagios4 -v`: Nagios Core's own check of a configuration, without running anything."""
    program = tool_or_skip("nagios4", "nagios4-core")
    return subprocess.run(
        [program, "-v", str(config)], env=child_env(), capture_output=True, text=True, timeout=60, check=False
    )


# A Unix socket's path fits in 108 bytes (sun_path), and Nagios copies its query socket's path there unchecked: a
# longer one aborts it ("buffer overflow detected"). A clone in a deep folder under nox's TMPDIR reaches that.
SOCKET_PATH_MAX = 100


def _query_socket(folder: Path) -> Path:
    """Where Nagios' query socket goes: in `folder`, or in a short private folder under /tmp when that is too deep."""
    here = folder / "nagios.qh"
    if len(os.fsencode(here)) < SOCKET_PATH_MAX:
        return here
    short = tempfile.mkdtemp(prefix="nagios-", dir="/tmp")
    atexit.register(shutil.rmtree, short, True)
    return Path(short) / "nagios.qh"


def nagios_config(folder: Path, objects: str, host: str) -> Path:
    """A Nagios Core configuration in `folder`: the templates above, host `host` and `objects`; its nagios.cfg."""
    import grp
    import pwd

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "checkresults").mkdir(exist_ok=True)
    user = pwd.getpwuid(os.geteuid()).pw_name
    group = grp.getgrgid(os.getegid()).gr_name
    (folder / "nagios.cfg").write_text(
        NAGIOS_CFG.format(d=folder, user=user, group=group, socket=_query_socket(folder))
    )
    (folder / "resource.cfg").write_text("$USER1$=/usr/lib/nagios/plugins\n")
    (folder / "objects.cfg").write_text(NAGIOS_OBJECTS.replace("{host}", host) + objects)
    return folder / "nagios.cfg"


def _status_blocks(text: str, kind: str) -> list[dict[str, str]]:
    """The `kind` blocks (servicestatus) of Nagios' status.dat, each as its key=value lines."""
    blocks = []
    for chunk in text.split(kind + " {")[1:]:
        body = chunk.split("\n\t}", 1)[0]
        blocks.append(dict(line.strip().split("=", 1) for line in body.splitlines() if "=" in line))
    return blocks


def nagios_run(config: Path, services: int) -> list[dict[str, str]]:
    """Run Nagios Core until it has checked `services` services once; their status as Nagios recorded it.

    Each service's `current_state`, `plugin_output` (the status line's text), `long_plugin_output` (the lines after
    it, `\\n` between them) and `performance_data`: the plugin's output as a real runner splits it.
    """
    program = tool_or_skip("nagios4", "nagios4-core")
    status = config.parent / "status.dat"
    with (config.parent / "run.log").open("w") as log:
        daemon = subprocess.Popen([program, str(config)], env=child_env(), stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + DEADLINE
        while True:
            assert daemon.poll() is None, "nagios4 exited: %s" % (config.parent / "run.log").read_text()[-2000:]
            text = status.read_text() if status.exists() else ""
            checked = [b for b in _status_blocks(text, "servicestatus") if b.get("has_been_checked") == "1"]
            if len(checked) >= services:
                return checked
            assert time.monotonic() < deadline, "Nagios did not run its checks: %s" % text[-2000:]
            time.sleep(0.2)
    finally:
        daemon.terminate()
        daemon.wait(timeout=DEADLINE)
