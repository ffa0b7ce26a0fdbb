"""The monitoring formats from records: Prometheus' exposition as prometheus_client reads it, the plugin's status line,
perfdata and long output as the monitoring-plugins guidelines write them, and foreign text made safe in both."""

from __future__ import annotations

import re

import pytest
from helpers.records import (
    CERTIFI,
    COMPILED_CAFILE,
    COMPILED_CAPATH,
    bundle,
    directory,
    facts,
    host,
    process_subject,
    with_bundles,
)
from hypothesis import given
from hypothesis import strategies as st
from prometheus_client.parser import text_string_to_metric_families

from cadoctor._model import Client, ClientTrust, Finding, HostClient, Report, Severity
from cadoctor._record import replace
from cadoctor._redact import MASK, redacted
from cadoctor._render.nagios import OUTPUT_LIMIT, render_nagios, render_nagios_unknown
from cadoctor._render.prometheus import label_value, render_prometheus, render_prometheus_failure
from cadoctor._render.report import render_human
from cadoctor._render.run import Run

NOW = 1_800_000_000.0
RUN = Run(finished=NOW, seconds=1.25, state=2)
DAY = 86400
# The monitoring-plugins guidelines' perfdata: 'label'=value[UOM];[warn];[crit];[min];[max], space separated
PERFDATA = re.compile(r"^('[^'=]+'|[^ '=]+)=-?[0-9.]+(s|ms|us|%|B|KB|MB|TB|c)?(;[-0-9.:~@]*){0,4}$")
STATUS_LINE = re.compile(r"^CADOCTOR (OK|WARNING|CRITICAL|UNKNOWN) - ([^|]+?)(?: \| (.*))?$")


def _report(*findings: Finding, **changes: object) -> Report:
    """A report of healthy facts with these findings (facts changed by keyword)."""
    return Report(facts=facts(**changes), findings=findings, fixes=())


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of an exposition as prometheus_client's parser reads it, by name and labels."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def _families(text: str) -> dict[str, tuple[str, str]]:
    """Each family's type and help, as the parser reads them."""
    return {family.name: (family.type, family.documentation) for family in text_string_to_metric_families(text)}


ERROR = Finding("trust-store-empty", Severity.ERROR, "The default context trusts nothing")
WARNING = Finding("openssldir-missing", Severity.WARNING, "OPENSSLDIR /usr/local/ssl does not exist here")
INFO = Finding("certifi-lacks-system-roots", Severity.INFO, "43 roots are not in certifi")


def test_the_exposition_has_the_verdict_the_counts_and_each_finding() -> None:
    """prometheus_client reads the status, the counts by severity and one series per code and severity."""
    report = _report(ERROR, WARNING, WARNING, INFO)
    text = render_prometheus(report, RUN)
    samples = _samples(text)
    assert samples[("cadoctor_status", (("status", "error"),))] == 1
    assert samples[("cadoctor_status", (("status", "ok"),))] == 0
    assert [samples[("cadoctor_findings", (("severity", s),))] for s in ("error", "warning", "info")] == [1, 2, 1]
    assert dict(report.counts) == {"error": 1, "warning": 2, "info": 1}  # the one count every format shows
    assert samples[("cadoctor_finding", (("code", "openssldir-missing"), ("severity", "warning")))] == 2
    assert samples[("cadoctor_check_success", ())] == 1
    assert samples[("cadoctor_check_timestamp_seconds", ())] == NOW
    assert samples[("cadoctor_check_duration_seconds", ())] == 1.25
    assert samples[("cadoctor_hosts_unreachable", ())] == 0
    families = _families(text)
    assert all(kind == "gauge" and help_text for kind, help_text in families.values())
    assert text.count("# HELP ") == text.count("# TYPE ") == len(families)
    assert text.endswith("\n")


def test_the_human_summary_counts_what_the_exposition_counts() -> None:
    """The human summary line and cadoctor_findings come from the same count (Report.counts)."""
    import io

    from rich.console import Console

    report = _report(ERROR, WARNING, WARNING, INFO)
    stream = io.StringIO()
    render_human(report, Console(file=stream, highlight=False, soft_wrap=True))
    assert "1 error, 2 warnings, 1 info" in stream.getvalue().splitlines()[-1]


def test_the_earliest_expiry_is_of_the_stores_in_use_and_unknown_when_one_was_not_read() -> None:
    """The cafile, the capath and each client's store count; a bundle in no use does not; a light look knows none."""
    base = with_bundles(
        facts(),
        bundle(COMPILED_CAFILE, "in-effect:cafile", expires=int(NOW) + 90 * DAY),
        directory(COMPILED_CAPATH, "in-effect:capath", expires=int(NOW) + 60 * DAY),
        bundle("/srv/unused.pem", "env:UNUSED", expires=int(NOW) + DAY),
        bundle(CERTIFI, "certifi", expires=int(NOW) + 30 * DAY),
    )
    assert Report(facts=base, findings=(), fixes=()).roots_expire == int(NOW) + 60 * DAY
    requests = Client("requests", "2.32.3", "requests", ClientTrust("certifi", CERTIFI, 140, "default"), (), "")
    report = Report(facts=base, findings=(), fixes=(), clients=(requests,))
    assert report.roots_expire == int(NOW) + 30 * DAY
    assert _samples(render_prometheus(report, RUN))[("cadoctor_roots_earliest_expiry_timestamp_seconds", ())] == (
        NOW + 30 * DAY
    )
    assert "root_expiry_days=30.0;;;" in render_nagios(report, RUN).split(" | ")[1]
    light = with_bundles(base, bundle(COMPILED_CAFILE, "in-effect:cafile", parsed=False))
    unknown = Report(facts=light, findings=(), fixes=())
    assert unknown.roots_expire is None
    assert "cadoctor_roots_earliest_expiry" not in render_prometheus(unknown, RUN)
    assert "root_expiry_days" not in render_nagios(unknown, RUN)


def test_hosts_are_labelled_host_port_once_and_without_userinfo() -> None:
    """Per-host and per-client verdicts; a URL with a password is labelled by host:port, and a target named twice
    is one series."""
    secret = host(
        None,
        target="https://user:hunter2@app.example.test/",
        clients=(HostClient("requests", False, "unknown CA"), HostClient("httpx", None)),
        seconds=0.25,
    )
    refused = host("host-unreachable", target="[::1]:8443", host="::1", port=8443, stage="connect", error="refused")
    report = _report(
        Finding("host-unreachable", Severity.ERROR, "[::1]:8443: refused"), hosts=(secret, host(None), refused)
    )
    text = render_prometheus(report, RUN)
    assert "hunter2" not in text
    assert "user" not in text.replace("cadoctor_", "")
    samples = _samples(text)
    assert samples[("cadoctor_host_verified", (("host", "app.example.test:443"),))] == 1
    assert samples[("cadoctor_host_reachable", (("host", "[::1]:8443"),))] == 0
    assert samples[("cadoctor_host_handshake_seconds", (("host", "app.example.test:443"),))] == 0.25
    assert samples[("cadoctor_host_client_verified", (("client", "requests"), ("host", "app.example.test:443")))] == 0
    assert not any(name == "cadoctor_host_client_verified" and ("client", "httpx") in k for name, k in samples)
    assert samples[("cadoctor_hosts_unreachable", ())] == 1
    assert samples[("cadoctor_findings", (("severity", "error"),))] == 0  # no TLS answer is no trust finding
    assert samples[("cadoctor_finding", (("code", "host-unreachable"), ("severity", "error")))] == 1
    assert samples[("cadoctor_status", (("status", "ok"),))] == 1


@pytest.mark.parametrize("name", ['quo"te', "back\\slash", "new\nline", "esc\x1b[31m", "bad\udcffbyte", "wide \u202e"])
def test_label_values_are_escaped_as_the_format_says(name: str) -> None:
    """A host or client name with `"`, `\\`, a newline, a control character or an undecodable byte stays one valid
    UTF-8 label value that the parser reads back as the name written visibly."""
    client = Client(name, "1", "x", ClientTrust("certifi", CERTIFI, 1, "default"), (), "", verdict="bad")
    text = render_prometheus(Report(facts=facts(), findings=(), fixes=(), clients=(client,)), RUN)
    text.encode("utf-8")  # raises on a lone surrogate
    lines = [line for line in text.splitlines() if line.startswith("cadoctor_client_store_ok{")]
    assert len(lines) == 1
    (read,) = [labels for sample, labels in _samples(text) if sample == "cadoctor_client_store_ok"]
    assert "\n" not in dict(read)["client"]
    assert "\x1b" not in dict(read)["client"]
    assert label_value('a"b\\c\nd') == 'a\\"b\\\\c\\\\nd'  # the newline is made visible first, then escaped


def test_a_check_that_could_not_run_says_so_and_when() -> None:
    """Exit 3's file: success 0, its time and length, and no verdict to mistake for one."""
    samples = _samples(render_prometheus_failure(RUN))
    assert samples[("cadoctor_check_success", ())] == 0
    assert samples[("cadoctor_check_timestamp_seconds", ())] == NOW
    assert not any(name == "cadoctor_status" for name, _ in samples)


def _plugin(report: Report, state: int = 2, critical: Severity | None = Severity.ERROR) -> tuple[str, str, list[str]]:
    """The plugin output's status line text, its perfdata and its long output lines."""
    lines = render_nagios(report, Run(finished=NOW, seconds=0.5, state=state, critical=critical)).splitlines()
    match = STATUS_LINE.match(lines[0])
    assert match is not None, lines[0]
    return match.group(2), match.group(3), lines[1:]


def test_the_status_line_names_the_state_the_verdict_and_the_codes() -> None:
    """One status line with the counts and codes, perfdata as the guidelines write it, the long output after."""
    report = _report(ERROR, WARNING, INFO)
    first = render_nagios(report, RUN).splitlines()[0]
    assert first.startswith("CADOCTOR CRITICAL - trust is broken or unsafe now: 1 error (trust-store-empty), ")
    summary, perfdata, rest = _plugin(report)
    assert "1 warning (openssldir-missing)" in summary
    assert "1 info" in summary
    items = perfdata.split(" ")
    assert all(PERFDATA.match(item) for item in items), items
    assert items[:4] == ["errors=1;;0;0", "warnings=1;0;;0", "info=1;;;0", "unreachable=0;;0;0"]
    assert items[-1] == "time=0.500s;;;0"
    assert rest[0] == "Python 3.12.3 /usr/bin/python3.12"
    assert rest[1:] == [
        "error trust-store-empty: The default context trusts nothing",
        "warning openssldir-missing: OPENSSLDIR /usr/local/ssl does not exist here",
        "info certifi-lacks-system-roots: 43 roots are not in certifi",
    ]
    assert render_nagios(_report(), Run(NOW, 0.5, 0)).startswith("CADOCTOR OK - trust ok: no findings | ")


@pytest.mark.parametrize(
    ("critical", "errors", "warnings", "info", "unreachable"),
    [
        (Severity.ERROR, "errors=0;;0;0", "warnings=0;0;;0", "info=0;;;0", "unreachable=0;;0;0"),
        (Severity.WARNING, "errors=0;;0;0", "warnings=0;;0;0", "info=0;;;0", "unreachable=0;;0;0"),
        (Severity.INFO, "errors=0;;0;0", "warnings=0;;0;0", "info=0;;0;0", "unreachable=0;;0;0"),
        (None, "errors=0;0;;0", "warnings=0;0;;0", "info=0;;;0", "unreachable=0;0;;0"),
    ],
)
def test_the_thresholds_follow_fail_on(
    critical: Severity | None, errors: str, warnings: str, info: str, unreachable: str
) -> None:
    """What --fail-on fails is CRITICAL above 0; a warning or an error it does not fail is WARNING above 0."""
    _, perfdata, _ = _plugin(_report(), 0, critical)
    assert perfdata.split(" ")[:4] == [errors, warnings, info, unreachable]


def test_foreign_text_cannot_start_perfdata_break_a_line_or_show_a_password() -> None:
    """`|` becomes `/`, control characters are written visibly, a URL's password is masked."""
    nasty = Finding(
        "host-unknown-ca",
        Severity.ERROR,
        "https://user:p@ss@app.example.test:8443/x | rm -rf\nCADOCTOR OK - fake\x1b[2J through http://u:pw@proxy:3128",
    )
    text = render_nagios(_report(nasty), RUN)
    lines = text.splitlines()
    assert len(lines) == 3
    assert text.count("|") == 1  # the status line's own
    assert "\x1b" not in text
    assert "p@ss" not in text
    assert ":pw@" not in text
    assert lines[2] == (
        "error host-unknown-ca: https://user:****@app.example.test:8443/x / rm -rf\\nCADOCTOR OK - fake\\x1b[2J "
        "through http://u:****@proxy:3128"
    )
    unknown = render_nagios_unknown("--host: invalid port '0' in 'https://me:secret@h:0'\nsecond line | x")
    assert unknown == "CADOCTOR UNKNOWN - --host: invalid port '0' in 'https://me:****@h:0'\\nsecond line / x\n"


def test_the_output_stays_within_what_nagios_keeps() -> None:
    """Hundreds of long findings: the output stops within 8 KiB at a line, and says how many lines it left out."""
    many = [Finding("bundle-unparseable", Severity.WARNING, "/srv/%04d.pem: " % n + "x" * 200) for n in range(200)]
    text = render_nagios(_report(*many), RUN)
    assert len(text.encode()) <= OUTPUT_LIMIT
    assert re.fullmatch(r"\.\.\. \d+ more lines: cadoctor check shows them all", text.splitlines()[-1])
    assert "1 more)" not in text.splitlines()[0]
    assert "(bundle-unparseable)" in text.splitlines()[0]


@given(st.text(max_size=200))
def test_text_without_a_url_or_a_pair_is_left_as_it_is(text: str) -> None:
    """Text with no `@`, `=` or `-` (no URL credentials, no option, no pair) comes out as it went in."""
    if not set(text) & set("@=-"):
        assert redacted(text) == text


@given(st.text(alphabet="ab:/@ |\n", max_size=60))
def test_plugin_output_is_one_status_line_with_one_perfdata_mark(summary: str) -> None:
    """Whatever a summary holds, the output has one `|` (the status line's) and no line of its own."""
    report = _report(Finding("bundle-unparseable", Severity.WARNING, summary))
    text = render_nagios(report, RUN)
    assert text.count("|") == 1
    assert len(text.splitlines()) == 3
    authority = summary.split("/")[0].split(" ")[0].split("\n")[0]
    userinfo = redacted("https://" + authority + "/")[len("https://") :].split("/")[0].rpartition("@")[0]
    assert userinfo in ("", MASK) or userinfo.endswith(":" + MASK)  # whatever the userinfo, its secret goes


def test_a_process_is_named_by_its_program_never_by_its_command_line() -> None:
    """--pid: the long output names the PID, user and program; the command line, which may hold a token, is left out."""
    subject = replace(process_subject("/usr/bin/node", "node", "server.js", "--token=hunter2"), user="app")
    text = render_nagios(_report(subject=subject), RUN)
    assert text.splitlines()[1] == "PID 4242 (user app): /usr/bin/node"
    assert "hunter2" not in text
