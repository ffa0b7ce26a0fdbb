"""`check --format nagios`: the monitoring-plugin conventions that Nagios, Icinga, Naemon and Checkmk read.

One status line, `CADOCTOR <STATE> - <summary> | <perfdata>`, then the long output (what was examined, each
finding, each host without a TLS answer, the fix to apply first), one item a line. The CLI decides the state
(its exit code: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN; docs/exit-codes.md) and hands it here with `--fail-on`,
which also sets the perfdata's thresholds.

Foreign text (a finding's summary names paths, hosts, certificate names) is made fit for a plugin's output: a
secret is masked as in every output (`https://user:****@host`: cadoctor/_redact.py), control characters are
written visibly, and `|`, which starts the perfdata wherever it stands, becomes `/`. The whole output stays within the
8 KiB that Nagios keeps of a plugin's output; what does not fit is counted on a last line.
"""

from __future__ import annotations

from cadoctor._model import Finding, Report, Severity
from cadoctor._render.prometheus import host_label
from cadoctor._render.report import subject_line
from cadoctor._render.run import Run
from cadoctor._render.terminal import counted, shown

STATES = ("OK", "WARNING", "CRITICAL", "UNKNOWN")
OUTPUT_LIMIT = 8192  # bytes: what Nagios keeps of a plugin's output (MAX_PLUGIN_OUTPUT_LENGTH)
CODES_SHOWN = 4  # finding codes named on the status line per severity; the long output names them all
_VERDICT = {
    "ok": "trust ok",
    "warning": "trust works, but something will bite",
    "error": "trust is broken or unsafe now",
}


def plugin_text(text: str) -> str:
    """Foreign text fit for a plugin's output: secrets masked, control characters visible, no `|` (perfdata's)."""
    return shown(text).replace("|", "/")


def _named(report: Report, severity: str, count: int) -> str:
    """`2 warnings (a, b)`: a severity's count and its codes, the first few of them."""
    noun = counted(count, severity) if severity != "info" else "%d info" % count
    if severity == "info":
        return noun
    codes = list(dict.fromkeys(f.code for f in report.trust_findings if f.severity.value == severity))
    shown = codes[:CODES_SHOWN] + (["+%d more" % (len(codes) - CODES_SHOWN)] if len(codes) > CODES_SHOWN else [])
    return "%s (%s)" % (noun, ", ".join(shown))


def _summary(report: Report) -> str:
    """The status line's text: hosts without a TLS answer first, then the trust verdict and its counts."""
    parts = []
    if report.unreachable:
        hosts = ", ".join("%s (%s)" % (host_label(h), h.code) for h in report.unreachable)
        parts.append("no TLS answer from %s" % hosts)
    counts = [_named(report, severity, count) for severity, count in report.counts if count]
    parts.append("%s: %s" % (_VERDICT[report.status], ", ".join(counts) or "no findings"))
    return ", and ".join(parts)  # no `;`: Nagios turns one in a status line into `:`


def _range(alerts: bool) -> str:
    """A threshold that alerts on any count above 0 (the plugin range `0`), or none."""
    return "0" if alerts else ""


def _perfdata(report: Report, run: Run) -> str:
    """`label=value;warn;crit;min` for the counts, the earliest root expiry and the duration.

    A severity's count is CRITICAL above 0 when `--fail-on` reaches it, WARNING above 0 when it is a warning or
    an error that does not; hosts without a TLS answer are CRITICAL unless `--fail-on never`.
    """
    items = []
    for name, count in report.counts:
        severity = Severity(name)
        critical = run.critical is not None and severity.rank >= run.critical.rank
        warning = not critical and severity is not Severity.INFO
        label = "errors" if name == "error" else "warnings" if name == "warning" else "info"
        items.append("%s=%d;%s;%s;0" % (label, count, _range(warning), _range(critical)))
    unreached = run.critical is not None
    items.append("unreachable=%d;%s;%s;0" % (len(report.unreachable), _range(not unreached), _range(unreached)))
    expires = report.roots_expire
    if expires is not None:
        items.append("root_expiry_days=%.1f;;;" % ((expires - run.finished) / 86400))
    items.append("time=%.3fs;;;0" % run.seconds)
    return " ".join(items)


def _finding_line(finding: Finding) -> str:
    """One finding of the long output: its severity, code and summary."""
    return "%s %s: %s" % (finding.severity.value, finding.code, finding.summary)


def _long_output(report: Report) -> list[str]:
    """What was examined, every finding (worst first), each host without a TLS answer, and the fix to apply first."""
    lines = [subject_line(report, command=False)]  # never a command line, which may carry a secret
    lines += [_finding_line(f) for f in sorted(report.trust_findings, key=lambda f: -f.severity.rank)]
    for host in report.unreachable:
        lines.append("no TLS answer from %s: %s" % (host_label(host), host.error or host.reason or host.code))
    lead = next((fix for fix in report.fixes if fix.worked), None)
    if lead is not None and report.status != "ok":
        lines.append("fix first: %s [%s]" % (lead.summary, lead.kind))
    return lines


def _bounded(first: str, rest: list[str]) -> str:
    """The output whole, or cut at a line within OUTPUT_LIMIT bytes with a last line counting what was left."""
    text = first + "\n"
    size = len(text.encode("utf-8"))
    for number, line in enumerate(rest):
        row = line + "\n"
        left = len(rest) - number - 1
        reserve = 64 if left else 0  # room for the line that says what was left out
        if size + len(row.encode("utf-8")) + reserve > OUTPUT_LIMIT:
            return text + "... %d more lines: cadoctor check shows them all\n" % (len(rest) - number)
        text += row
        size += len(row.encode("utf-8"))
    return text


def render_nagios(report: Report, run: Run) -> str:
    """The plugin's output for a check that ran: the status line with its perfdata, then the long output."""
    first = "CADOCTOR %s - %s | %s" % (STATES[run.state], plugin_text(_summary(report)), _perfdata(report, run))
    return _bounded(first, [plugin_text(line) for line in _long_output(report)])


def render_nagios_unknown(message: str) -> str:
    """The plugin's output when the check could not run or was called wrongly: UNKNOWN, and why, on one line."""
    return "CADOCTOR UNKNOWN - %s\n" % plugin_text(message)
