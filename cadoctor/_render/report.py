"""Turn one report into JSON, shell exports or human text. Renderers format; they never compute (see formats.py)."""

from __future__ import annotations

import json

from cadoctor._model import SCHEMA_VERSION, Bundle, Fix, HostCheck, Report, plain
from cadoctor._redact import redacted_argv, redacted_document
from cadoctor._render.terminal import columns, counted, folded_text, shown
from cadoctor._version import __version__

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from rich.console import Console


def to_document(report: Report) -> dict[str, Any]:
    """The versioned JSON document of a report."""
    return redacted_document(_document(report))


def _document(report: Report) -> dict[str, Any]:
    """The document before its secrets are masked."""
    runtime = report.facts.runtime
    return {
        "schema_version": SCHEMA_VERSION,
        "cadoctor_version": __version__,
        "status": report.status,
        "unreachable": [host.target for host in report.unreachable],
        "findings": plain(report.findings),
        "fixes": plain(report.fixes),
        "python": {
            "version": runtime.python_version,
            "implementation": runtime.implementation,
            "executable": runtime.executable,
            "prefix": runtime.prefix,
            "base_prefix": runtime.base_prefix,
            "hints": list(runtime.hints),
            "platform": runtime.system,
            "os_release": dict(runtime.os_release),
            "certifi": runtime.certifi,
            "certifi_decided": runtime.certifi_decided,
            "site_folders": list(runtime.site_folders),
            "site_source": runtime.site_source,
        },
        "ssl": {
            "available": runtime.ssl_available,
            "error": runtime.ssl_error,
            "openssl_version": runtime.openssl_version,
            "openssl_version_info": list(runtime.openssl_version_info),
            "module_file": runtime.ssl_module_file,
            "default_context": {
                "ok": runtime.context_ok,
                "error": runtime.context_error,
                "skipped": runtime.context_skipped,
                "certificates": runtime.context_loaded,
            },
        },
        "verify_paths": {
            "cafile_env": runtime.cafile_env,
            "capath_env": runtime.capath_env,
            "compiled_cafile": runtime.compiled_cafile,
            "compiled_capath": runtime.compiled_capath,
            "cafile": plain(runtime.cafile),
            "capaths": plain(runtime.capaths),
        },
        "environment": dict(runtime.environment),
        "libraries_available": runtime.libraries_available,
        "libraries_reason": runtime.libraries_reason,
        "libraries": plain(report.facts.libraries),
        "system_libraries": plain(report.facts.system_libraries),
        "bundles": plain(report.facts.bundles),
        "hosts": plain(report.facts.hosts),
        "inventory": report.facts.inventory,
        "subject": plain(report.facts.subject),
        "clients": plain(report.clients),
        "distributions": plain(report.facts.distributions),
        "injectors": plain(report.facts.injectors),
        "local_roots": plain(report.facts.local_roots),
        "anchor_tools": plain(report.facts.anchor_tools),
        "anchors": plain(report.facts.anchors),
        "settings": plain(report.facts.settings),
        "stacks": plain(report.stacks),
        "mozilla": report.facts.mozilla,
    }


def render_json(report: Report) -> str:
    """The report as a JSON document (schema_version 1)."""
    return json.dumps(to_document(report), indent=2, sort_keys=False) + "\n"


def best_env_fix(report: Report) -> Fix | None:
    """The first environment fix shown to work for every client it is for, which `--format env` prints."""
    return next((f for f in report.fixes if f.kind == "env" and f.verified and f.env is not None), None)


def render_env(report: Report) -> str:
    """POSIX exports of the best verified env fix; empty when there is nothing to change."""
    fix = best_env_fix(report)
    return fix.lines["shell"] + "\n" if fix is not None else ""


_MARK = {"error": ("x", "bold red"), "warning": ("!", "yellow"), "info": ("i", "cyan")}


_VERDICT = {
    "ok": ("OK", "bold green", "nothing at warning level or above"),
    "warning": ("WARNING", "bold yellow", "trust works, but something will bite"),
    "error": ("ERROR", "bold red", "trust is broken or unsafe now"),
}


def _bundle_line(bundle: Bundle) -> str:
    """A bundle in a few words."""
    if bundle.error and not bundle.certificates:
        state = bundle.error
    elif bundle.kind == "directory":
        state = counted(bundle.working_links, "hash link")
        if bundle.unlinked:
            state += ", %s" % counted(bundle.unlinked, "unlinked file")
    elif not bundle.parsed:
        state = "%s, not read" % counted(bundle.size or 0, "byte")
    else:
        state = counted(bundle.certificates, "certificate")
    return "%s: %s (%s)" % (bundle.path, state, ", ".join(bundle.roles))


def _host_line(host: HostCheck) -> str:
    """One handshake in a few words."""
    via = " via %s" % host.proxy if host.proxy else ""
    if host.ok:
        took = " in %.0f ms" % (host.seconds * 1000) if host.seconds is not None else ""
        return "%s%s: ok, %s%s" % (host.target, via, host.protocol, took)
    if host.code is None:
        return "%s: %s" % (host.target, host.error)
    return "%s%s: %s at %s (%s)" % (host.target, via, host.code, host.stage, host.reason or host.error)


def subject_line(report: Report, command: bool = True) -> str:
    """Who was examined: this Python, another interpreter, a process by PID, or an image's root.

    A process is named with its command line, its secrets masked before it is cut to 80 characters (a cut could
    split a URL from the `@` that marks its userinfo); without `command` (a monitoring plugin's line, kept by
    the monitoring system), by its program alone.
    """
    runtime = report.facts.runtime
    subject = report.facts.subject
    python = "Python %s %s" % (runtime.python_version, runtime.executable)
    if subject is None or subject.kind == "interpreter":
        return python
    within = " in root %s" % subject.root if subject.root else ""
    if subject.kind == "root":
        return "Image %s: %s" % (subject.root, python if subject.python else "no Python found")
    program = python if subject.python else subject.executable or "?"
    if not command:
        return "PID %d (user %s)%s: %s" % (subject.pid or 0, subject.user, within, program)
    line = " ".join(redacted_argv(subject.command))
    if len(line) > 80:
        line = line[:77] + "..."
    return "PID %d (%s, user %s)%s: %s" % (subject.pid or 0, line, subject.user, within, program)


_STATE = {True: "verified", False: "did not work", None: "not tried"}


_LABEL_STYLES = {"verified": "green", "did not work": "red", "partly tried": "yellow", "on the server": "cyan"}


def _state(fix: Fix) -> str:
    """A fix's trial in a word or two: the one label of a fix, in "Fix first" and in the list of fixes alike."""
    if fix.kind == "server" and fix.verified is None:
        return "on the server"
    return "partly tried" if fix.partly else _STATE[fix.verified]


_LEAD = "Fix first: "


def _first_fix(report: Report) -> list[tuple[str, int | None]]:
    """The fix to apply first in a line or three, under the verdict: what to do before reading why.

    Only a fix shown to work leads (the fixes come ranked: those that worked first). When none did, the line
    says so and names the first untried one to try; and an error no working fix addresses is said to remain.
    Each line comes with its hang on a terminal (its text continues under its text; None: a line to paste).
    """
    if not report.fixes or report.status == "ok":
        return []
    fix = report.fixes[0]
    if fix.worked:
        lines: list[tuple[str, int | None]] = [
            ("%s%s [%s, %s]" % (_LEAD, fix.summary, fix.kind, _state(fix)), len(_LEAD))
        ]
        paste = next(iter(fix.lines.values()), "").splitlines()
        lines += [("  " + paste[0], None)] if len(paste) == 1 else []
        if report.unworked:
            left = "It leaves %s: no fix for %s was shown to work" % (", ".join(report.unworked), _them(report))
            lines.append((left, 2))
        return lines
    untried = next((f for f in report.fixes if f.verified is None), None)
    if untried is None:
        return [("No fix worked here: each one tried is listed below with what its trial showed", 2)]
    state = "%s, %s" % (untried.kind, _state(untried))
    return [("No fix was shown to work here; to try first: %s [%s]" % (untried.summary, state), 2)]


def _them(report: Report) -> str:
    """`it` or `them`, for the errors left."""
    return "it" if len(report.unworked) == 1 else "them"


def _summary_line(report: Report) -> str:
    """The last line: the verdict, the findings by severity and the fixes, for whoever reads only the tail."""
    counts = ["%d %s%s" % (n, name, "s" if n > 1 and name != "info" else "") for name, n in report.counts if n]
    verified = sum(1 for fix in report.fixes if fix.verified)
    fixes = "%s (%d verified)" % (counted(len(report.fixes), "fix", "fixes"), verified) if report.fixes else "no fixes"
    unreached = len(report.unreachable)
    hosts = "; %s unreachable" % counted(unreached, "host") if unreached else ""
    return "cadoctor: %s - %s%s; %s" % (_VERDICT[report.status][0], ", ".join(counts) or "no findings", hosts, fixes)


def _unreachable_line(report: Report) -> str | None:
    """The reachability verdict, above the trust verdict: which hosts gave no TLS answer, so no trust answer."""
    if not report.unreachable:
        return None
    hosts = [
        "%s (%s)" % (h.target, h.reason if h.code == "host-not-tls" else h.error or h.code) for h in report.unreachable
    ]
    return "no TLS answer from %s: trust not judged there" % ", ".join(hosts)


def render_human(report: Report, console: Console) -> None:
    """A verdict first, then the evidence and the ranked fixes; every line's foreign text escaped."""
    from rich.text import Text

    width = columns(console.file)  # None off a terminal: every line whole, as scripts read it

    def say(*parts: str | tuple[str, str], style: str = "", hang: int | None = 2) -> None:
        """Print one line made of plain and styled parts, with control characters shown escaped.

        On a terminal it is folded to the width, its continuation rows `hang` cells in from its own indent;
        a line to paste (`hang` None) is never folded.
        """
        pieces = [shown(p) if isinstance(p, str) else (shown(p[0]), p[1]) for p in parts]
        for row in folded_text(Text.assemble(*pieces, style=style), width, hang):
            console.print(row)

    runtime = report.facts.runtime
    unreached = _unreachable_line(report)
    if unreached is not None:
        say(("cadoctor: ", "bold"), ("UNREACHABLE", "bold magenta"), " - %s" % unreached)
    word, style, meaning = _VERDICT[report.status]
    say(("cadoctor: ", "bold"), (word, style), " - %s" % meaning)
    for line, hang in _first_fix(report):
        say(line, hang=hang)
    library = report.facts.ssl_library
    where = " from %s (OPENSSLDIR %s)" % (library.path, library.openssldir) if library else ""
    say("%s; %s%s" % (subject_line(report), runtime.openssl_version or "no ssl", where))
    if runtime.ssl_available:
        sources = ["CA file %s [%s]" % (runtime.cafile.path, runtime.cafile.source)] if runtime.cafile else []
        sources += ["CA dir %s [%s]" % (c.path, c.source) for c in runtime.capaths]
        loaded = "a default context loads %s" % counted(runtime.context_loaded, "certificate")
        if runtime.context_ok is None and runtime.context_skipped:
            loaded = "certificates loaded %s" % runtime.context_skipped
        own = next((st for st in report.stacks if st.library == getattr(report.facts.ssl_library, "path", None)), None)
        if own is not None and own.reads_default_paths is False:
            say("Trust in effect: %s (%s)" % (own.store, own.consumer))
            say("OpenSSL's default paths, which %s does not read here: %s" % (own.consumer, "; ".join(sources)))
        else:
            say("Trust in effect: %s; %s" % ("; ".join(sources), loaded))
    console.print()
    if report.trust_findings:  # a host with no TLS answer: the verdict above and its handshake below
        say("Findings", style="bold")
        for finding in report.trust_findings:
            mark, mark_style = _MARK[finding.severity.value]
            under = len(finding.code) + 4  # the summary continues under itself
            say("  ", (mark, mark_style), " ", (finding.code, mark_style), "  ", finding.summary, hang=under)
        console.print()
    if report.fixes:
        say("Fixes, what worked first", style="bold")
        for number, fix in enumerate(report.fixes, 1):
            label = _state(fix)
            label_style = _LABEL_STYLES.get(label, "dim")
            head = "%d. [%s, %s] " % (number, fix.kind, label)  # the summary continues under itself
            say("  %d. [%s, " % (number, fix.kind), (label, label_style), "] ", fix.summary, hang=len(head))
            for name, text in fix.lines.items():
                say("     %s:" % name, style="dim")
                for line in text.splitlines():
                    say("       " + line, hang=None)  # pasted as it is: never folded
            if fix.evidence:
                say("     evidence: %s" % fix.evidence, style="dim", hang=len("evidence: "))
            for trial in fix.trials if fix.verified is not True else ():
                outcome = {True: "worked", False: "failed", None: "not shown"}[trial.verified]
                say("     %s: %s (%s)" % (trial.client, outcome, trial.detail), style="dim", hang=len(trial.client) + 2)
        console.print()
    if report.clients:
        say("Clients (each by its own rules)", style="bold")
        for client in report.clients:
            trust = client.trust
            where = " %s" % trust.path if trust.path else ""
            count = " (%s)" % counted(trust.certificates, "certificate") if trust.certificates is not None else ""
            source = "" if trust.source == "default" else " [%s]" % trust.source
            verdict = ("ok", "green") if client.verdict == "ok" else (client.verdict, "yellow")
            say("  %s %s: %s%s%s%s - " % (client.name, client.version, trust.kind, where, count, source), verdict)
        console.print()
    if report.stacks:
        where = "in the image's site folders" if report.facts.subject and report.facts.subject.kind == "root" else ""
        say("TLS stacks %s(each by its own rules)" % (where + " " if where else ""), style="bold")
        for stack in report.stacks:
            version = stack.version or stack.implementation
            if not version.startswith(stack.implementation):
                version = "%s %s" % (stack.implementation, version)
            paths = {True: "reads its default paths", False: "its default paths do not count", None: "not judged"}
            say("  %s: %s in %s" % (stack.consumer, version, stack.path))
            say("     trusts %s; %s" % (stack.store, paths[stack.reads_default_paths]), style="dim")
        console.print()
    if report.facts.hosts:
        say("Handshakes", style="bold")
        for host in report.facts.hosts:
            say("  " + _host_line(host))
            for number, cert in enumerate(host.chain):
                say("     %d. %s (issuer %s, until %s)" % (number, cert.subject, cert.issuer, cert.not_after))
            for answer in host.clients:
                answered = {True: ("ok", "green"), False: ("fails", "red"), None: ("not checked", "dim")}[answer.ok]
                say("     %s: " % answer.name, answered, " (%s)" % answer.reason if answer.reason else "")
        console.print()
    if report.facts.inventory == "light":
        say("Bundles in effect (light look: every handshake succeeded; no certificate read)", style="bold")
    elif report.facts.inventory == "host":
        say("Bundles on disk (read in full: what CA variables name, where a failing host's issuer is)", style="bold")
    else:
        say("Bundles on disk", style="bold")
    for bundle in report.facts.bundles:
        say("  " + _bundle_line(bundle))
    console.print()
    say(_summary_line(report), style="bold")
