r"""`check --format prometheus`: the report as Prometheus' text exposition format, for node_exporter's textfile.

Written with `--output DIR/cadoctor.prom`, the file is replaced whole, so the textfile collector never reads it
half-written. Names follow Prometheus' conventions: one `cadoctor_` prefix, base units in the name (`_seconds`,
`_timestamp_seconds`), every family with its HELP and TYPE lines, no timestamps (the collector refuses them). Every
label takes a bounded set of values: a verdict, a severity, a finding code, a client's name, and the `--host`
targets the operator named (as `host:port`, never the URL given: no userinfo). No free text is a label: a finding's
summary, a path or an error message would make a new series per run. Label values are escaped as the format says
(`\`, `\"`, `\n`), after every control character was written visibly, so the file is valid UTF-8 whatever the
host's name holds.

Written with `--output`, every series carries `file`, the file's name: node_exporter serves one folder's files as
one set of series, and two checks' files (one per application's venv, one per `--pid`) would otherwise hold the same
series, which it drops with a gathering error. The operator names the files, so its values are theirs, and bounded.
"""

from __future__ import annotations

from collections.abc import Iterable

from cadoctor._model import HostCheck, Report
from cadoctor._render.run import Run
from cadoctor._render.terminal import shown
from cadoctor._version import __version__

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence

    Labels = Sequence[tuple[str, str]]
    Sample = tuple[Labels, float]

STATUSES = ("ok", "warning", "error")


def label_value(text: str) -> str:
    r"""A label value as the text format writes it: control characters made visible, then `\`, `"`, `\n` escaped."""
    return shown(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _help_text(text: str) -> str:
    r"""A HELP line's text: `\` and a newline escaped, as the text format says."""
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def _number(value: float) -> str:
    """A sample value: an integer as one, a float in Go's shortest form (`repr`)."""
    if isinstance(value, int) or value.is_integer():
        return str(int(value))
    return repr(value)


class _Families:
    """The families of one file, each sample with the labels every series of that file carries (its `file`)."""

    def __init__(self, run: Run) -> None:
        """Every series of a file written with --output names it."""
        self.common: Labels = (("file", run.file),) if run.file else ()

    def __call__(self, name: str, text: str, samples: Iterable[Sample]) -> list[str]:
        """One metric family: its HELP and TYPE lines (every family here is a gauge), then its samples."""
        return _family(name, text, (((*self.common, *labels), value) for labels, value in samples))


def _family(name: str, text: str, samples: Iterable[Sample]) -> list[str]:
    """One metric family: its HELP and TYPE lines (every family here is a gauge), then its samples."""
    lines = ["# HELP %s %s" % (name, _help_text(text)), "# TYPE %s gauge" % name]
    for labels, value in samples:
        shown = ",".join('%s="%s"' % (key, label_value(val)) for key, val in labels)
        lines.append("%s%s %s" % (name, "{%s}" % shown if shown else "", _number(value)))
    return lines


def host_label(host: HostCheck) -> str:
    """A `--host` target as a label: `host:port` (`[v6]:port`), never the URL as given (it may carry userinfo)."""
    name = "[%s]" % host.host if ":" in host.host else host.host
    return "%s:%d" % (name, host.port)


def _about_the_run(run: Run, success: bool) -> list[str]:
    """The families every file has, a check that could not run included."""
    family = _Families(run)
    return [
        *family("cadoctor_info", "The cadoctor that wrote this file (always 1).", [((("version", __version__),), 1)]),
        *family(
            "cadoctor_check_success",
            "Whether the check examined its subject (0: it could not, exit 3, and no verdict follows).",
            [((), 1 if success else 0)],
        ),
        *family(
            "cadoctor_check_timestamp_seconds", "When the check ended, in Unix time.", [((), round(run.finished, 3))]
        ),
        *family("cadoctor_check_duration_seconds", "How long the check took.", [((), round(run.seconds, 3))]),
    ]


def _hosts(report: Report, family: _Families) -> list[str]:
    """Each `--host` target's verdicts: a TLS answer, the default context's, and each client's by its own store."""
    hosts: dict[str, HostCheck] = {}
    for host in report.facts.hosts:  # one series per label: a target named twice (URL and host:port) counts once
        hosts.setdefault(host_label(host), host)
    if not hosts:
        return []
    lines = family(
        "cadoctor_host_reachable",
        "Whether the --host target answered in TLS (0: refused, unknown name, timeout, not TLS, cut off).",
        [((("host", label),), 1 if host.reached else 0) for label, host in hosts.items()],
    )
    lines += family(
        "cadoctor_host_verified",
        "Whether the examined Python's default context verified the --host target's chain.",
        [((("host", label),), 1 if host.ok else 0) for label, host in hosts.items()],
    )
    timed = [((("host", label),), round(host.seconds, 3)) for label, host in hosts.items() if host.seconds is not None]
    if timed:
        lines += family("cadoctor_host_handshake_seconds", "How long the --host handshake took.", timed)
    answers: dict[tuple[str, str], bool] = {}
    for label, host in hosts.items():
        for answer in host.clients:
            if answer.ok is not None:
                answers.setdefault((label, answer.name), answer.ok)
    if answers:
        lines += family(
            "cadoctor_host_client_verified",
            "Whether each TLS client of the examined Python would accept the --host target's chain by its own store.",
            [((("host", label), ("client", client)), 1 if ok else 0) for (label, client), ok in answers.items()],
        )
    return lines


def render_prometheus(report: Report, run: Run) -> str:
    """The report's verdicts as gauges, for node_exporter's textfile collector; ends with a newline."""
    family = _Families(run)
    lines = _about_the_run(run, success=True)
    lines += family(
        "cadoctor_status",
        "The trust verdict: 1 for the one in effect (ok, warning or error), 0 for the others.",
        [((("status", status),), 1 if report.status == status else 0) for status in STATUSES],
    )
    lines += family(
        "cadoctor_findings",
        "Trust findings by severity, as the verdict counts them (a host that gave no TLS answer is not one).",
        [((("severity", severity),), count) for severity, count in report.counts],
    )
    by_code: dict[tuple[str, str], int] = {}
    for finding in report.findings:
        key = (finding.code, finding.severity.value)
        by_code[key] = by_code.get(key, 0) + 1
    if by_code:
        lines += family(
            "cadoctor_finding",
            "Every finding by its code and severity (the number of them; codes: docs/findings.md).",
            [((("code", code), ("severity", severity)), count) for (code, severity), count in sorted(by_code.items())],
        )
    lines += family(
        "cadoctor_hosts_unreachable",
        "The --host targets that gave no TLS answer to judge trust by.",
        [((), len(report.unreachable))],
    )
    expires = report.roots_expire
    if expires is not None:
        lines += family(
            "cadoctor_roots_earliest_expiry_timestamp_seconds",
            "The earliest end of validity among the valid certificates of the stores in use, in Unix time.",
            [((), expires)],
        )
    clients: dict[str, bool] = {}
    for client in report.clients:
        clients.setdefault(client.name, client.verdict == "ok")
    if clients:
        lines += family(
            "cadoctor_client_store_ok",
            "Whether each TLS client of the examined Python has a sound store by its own rules (0: see the report).",
            [((("client", name),), 1 if ok else 0) for name, ok in clients.items()],
        )
    lines += _hosts(report, family)
    return "".join(line + "\n" for line in lines)


def render_prometheus_failure(run: Run) -> str:
    """The file of a check that could not run (exit 3): `cadoctor_check_success 0`, and when it was tried."""
    return "".join(line + "\n" for line in _about_the_run(run, success=False))
