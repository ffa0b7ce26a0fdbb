"""The corpus of real setups (tests/corpus/data/setups.json): trust problems from public issue threads, each rebuilt on
loopback, its ground truth measured by the real client, then cadoctor's first cause and first fix held to it.

The data tests below are quick; each setup's own test is `slow`, runs real clients and cadoctor in child
processes (in a private mount namespace where the setup needs the OS store: root only), and needs the package
index once to build the client venvs (and Debian's mirror for Debian's own packages), cached afterwards. Setups
run side by side (`CADOCTOR_CORPUS_WORKERS`, default up to 4); the session's end reports the corpus's wall time,
and `CADOCTOR_CORPUS_RESULTS=<file>` writes one JSON line per setup (ground truth, first cause, first fix).
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import corpus_build as build
import pytest
from corpus_pythons import INTERPRETERS
from corpus_run import CADOCTOR_NAMES, HOSTS, CadoctorMismatch, Outcome, expected_codes, run_setup
from helpers import clients
from helpers.runs import SCHEMAS

SETUPS = build.load_setups()
BY_ID = {setup["id"]: setup for setup in SETUPS}
DOCUMENT = json.loads(build.SETUPS_FILE.read_text(encoding="utf-8"))
# What the issue asks the corpus to include; each setup says which of these it covers.
REQUIRED_COVERAGE = {
    "debian-packages",
    "directory",
    "empty-value",
    "config-file",
    "anchor-folder",
    "partial-chain",
    "injector",
    "uv-mode",
}
THREAD = re.compile(r"^https://github\.com/[\w.-]+/[\w.-]+/(issues|pull|discussions)/\d+$")
CLIENT_NAMES = {*clients.CLIENTS, *clients.TOOLS}


def _param(setup: dict[str, Any]) -> Any:
    """One setup as a test parameter: slow, skipped below the Python its versions need, and an expected failure of
    cadoctor's while what it needs is built."""
    marks = [pytest.mark.slow]
    if "python_at_least" in setup:  # the thread's client versions no longer install on this Python
        least = setup["python_at_least"]
        wanted = tuple(int(part) for part in least["version"].split("."))
        marks.append(pytest.mark.skipif(sys.version_info < wanted, reason=least["because"]))
    if setup.get("needs"):
        reason = "needs %s" % "; ".join("%s (%s)" % (need, build.NEEDS[need]) for need in setup["needs"])
        marks.append(pytest.mark.xfail(strict=True, raises=CadoctorMismatch, reason=reason))
    return pytest.param(setup["id"], marks=marks, id=setup["id"])


def test_the_corpus_holds_forty_distinct_setups() -> None:
    """At least 40 setups, each with its own id."""
    assert len(SETUPS) >= 40
    assert len(BY_ID) == len(SETUPS)


def test_each_setup_cites_the_public_threads_it_comes_from() -> None:
    """Every setup names at least one GitHub issue or pull request it was drawn from; each source has its title."""
    for setup in SETUPS:
        assert any(THREAD.match(source["url"]) for source in setup["sources"]), setup["id"]
        for source in setup["sources"]:
            assert source["url"].startswith("https://"), (setup["id"], source)
            assert source["title"].strip(), (setup["id"], source)


def test_every_kind_of_setup_the_issue_names_is_covered() -> None:
    """Debian's packages, directories, empty values, config files, anchor folders, partial chains, injectors, uv."""
    covered = {kind for setup in SETUPS for kind in setup.get("covers", [])}
    assert covered >= REQUIRED_COVERAGE, REQUIRED_COVERAGE - covered
    assert covered <= REQUIRED_COVERAGE | set(DOCUMENT["coverage"]), covered - REQUIRED_COVERAGE


def test_each_setup_is_data_the_harness_can_build() -> None:
    """Interpreters, clients, hosts, file contents and needs are all names the harness knows."""
    for setup in SETUPS:
        where = setup["id"]
        assert setup["python"] in INTERPRETERS, where
        assert setup["client"] in CLIENT_NAMES, where
        assert set(setup.get("others", [])) <= CLIENT_NAMES, where
        assert set(setup.get("hosts", ["private"])) <= set(HOSTS), where
        assert set(setup.get("needs", [])) <= set(build.NEEDS), where
        assert set(setup.get("debian", {}).get("usr_local", [])) <= {"certifi"}, where
        contents = list(setup.get("files", {}).values())
        for part in ("anchors", "certs", "replace_certs", "openssldir"):
            contents += setup.get("os", {}).get(part, {}).values()
        if isinstance(setup.get("openssl", {}).get("openssldir"), dict):
            contents += setup["openssl"]["openssldir"].values()
        assert all(build.known_content(spec) for spec in contents), where
        for moment in ("before", "after"):
            assert set(expected_codes(setup, moment).values()) <= {"Y", "N", "X"}, where


def test_expected_codes_are_known_or_announced() -> None:
    """An expected finding code is in the report schema already, or listed as new with the slice that adds it."""
    known = set(SCHEMAS["report-v1.json"]["knownCodes"])
    announced = set(DOCUMENT["new_codes"])
    for setup in SETUPS:
        cause = setup["expect"].get("cause")
        for code in (cause or {}).get("codes", []):
            assert code in known or code in announced, (setup["id"], code)


class Corpus:
    """The selected setups, run side by side in a pool; each test waits for its own."""

    def __init__(self, futures: dict[str, Future[Outcome]]) -> None:
        self.futures = futures

    def outcome(self, setup_id: str) -> Outcome:
        """The setup's outcome (its skip or harness error re-raised here)."""
        return self.futures[setup_id].result()


@pytest.fixture(scope="session")
def corpus(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Corpus]:
    """Start every selected setup at once (a few at a time), and report the corpus's wall time at the end."""
    selected = [
        item.callspec.params["setup_id"]
        for item in request.session.items
        if hasattr(item, "callspec") and "setup_id" in item.callspec.params
    ]
    root = tmp_path_factory.mktemp("corpus")
    workers = int(os.environ.get("CADOCTOR_CORPUS_WORKERS") or min(4, os.cpu_count() or 1))
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="corpus") as pool:
        futures = {setup_id: pool.submit(run_setup, BY_ID[setup_id], root / setup_id) for setup_id in selected}
        yield Corpus(futures)
    done = [f.result() for f in futures.values() if f.done() and not f.cancelled() and f.exception() is None]
    wall = time.monotonic() - started
    summed = sum(outcome.seconds for outcome in done)
    line = "corpus: %d setups in %.0f s wall (%.0f s of setup time, %d at a time)" % (
        len(selected),
        wall,
        summed,
        workers,
    )
    request.config.pluginmanager.register(WallTime(line))  # printed in the session's summary, past output capture
    results = os.environ.get("CADOCTOR_CORPUS_RESULTS")
    if results:
        with Path(results).open("w", encoding="utf-8") as stream:
            for outcome in done:
                stream.write(json.dumps(outcome.summary()) + "\n")


class WallTime:
    """A plugin that prints the corpus's wall time in the terminal summary."""

    def __init__(self, line: str) -> None:
        self.line = line

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        """Write the line."""
        terminalreporter.write_line(self.line)


@pytest.mark.parametrize("setup_id", [_param(setup) for setup in SETUPS])
def test_setup(setup_id: str, corpus: Corpus) -> None:
    """The real client fails as the thread says, cadoctor names the cause first, and its first fix makes it work."""
    outcome = corpus.outcome(setup_id)
    try:
        _assert_first_cause(outcome)
        _assert_client_verdicts(outcome)
        _assert_first_fix(outcome)
    except CadoctorMismatch as exc:
        outcome.verdict = str(exc)
        raise
    outcome.verdict = "as expected"


SEVERITIES = ("info", "warning", "error")


def _mentions(finding: dict[str, Any], name: str) -> bool:
    """Whether a finding's text names `name`: a path or phrase as written, a client's name as a word of its own."""
    text = json.dumps(finding)
    if "/" in name or " " in name or not re.fullmatch(r"[\w.-]+", name):
        return name in text
    return re.search(r"(?<![\w./-])%s(?![\w./-])" % re.escape(name), text) is not None


def _assert_first_cause(outcome: Outcome) -> None:
    """The setup's cause is the first finding at the report's top severity that names what the setup names.

    Several clients can fail one host (a venv full of clients, each by its own store): the first finding at the
    top severity that names the setup's client, variable or file is the one that must carry the cause's code.
    With `anywhere`, the top severity belongs to another consumer (the default context fails the host too): the
    cause is then the first finding, of any severity, that names them, and must reach `severity`. A healthy setup
    has no error about its client (for urllib, whose store is the default context's: no error but those about other
    clients, such as a pip that fails the host by its own store).
    """
    if outcome.report is None:
        raise CadoctorMismatch("cadoctor gave no report (exit %s): %s" % (outcome.status, outcome.cadoctor_output))
    findings = outcome.report["findings"]
    client = outcome.setup["client"]
    name = CADOCTOR_NAMES.get(client, client)
    wanted = outcome.expect.get("cause")
    if wanted is None:
        errors = [
            f
            for f in findings
            if f["severity"] == "error"
            and (_mentions(f, name) or (client == "urllib" and not f["code"].startswith("client-")))
        ]
        if errors:
            raise CadoctorMismatch("a healthy setup, but cadoctor reports an error: %s" % _brief(errors[0]))
        return
    # Each of `names` must be named; a list among them is one fact in other words (any of its strings).
    names = [
        [build.expand(n, outcome.work) for n in ([a] if isinstance(a, str) else a)] for a in wanted.get("names", [])
    ]
    top = max((SEVERITIES.index(f["severity"]) for f in findings), default=0)
    candidates = findings if wanted.get("anywhere") else [f for f in findings if SEVERITIES.index(f["severity"]) == top]
    cause = next((f for f in candidates if all(any(_mentions(f, n) for n in one) for one in names)), None)
    if cause is None:
        raise CadoctorMismatch(
            "no finding%s names %s; the first is %s"
            % (
                "" if wanted.get("anywhere") else " at the top severity",
                ", ".join(" or ".join(one) for one in names),
                _brief(outcome.first_cause()),
            )
        )
    if cause["code"] not in wanted["codes"]:
        raise CadoctorMismatch(
            "the first cause should be %s; cadoctor says %s" % (" or ".join(wanted["codes"]), _brief(cause))
        )
    floor = SEVERITIES.index(wanted.get("severity", "info"))
    if SEVERITIES.index(cause["severity"]) < floor:
        raise CadoctorMismatch("the cause should be at least a %s: %s" % (wanted["severity"], _brief(cause)))


def _assert_client_verdicts(outcome: Outcome) -> None:
    """The report judges the setup's client on each host, as the real client did (Y: ok; N or X: not ok).

    A verdict of null (a store cadoctor cannot check offline, such as roots compiled into a binary) is no answer
    and is not held against it; a client missing from the report is.
    """
    if outcome.expect.get("verdicts", True) is False:
        return
    client = outcome.setup["client"]
    name = CADOCTOR_NAMES.get(client, client)
    for host in (outcome.report or {}).get("hosts", []):
        key = next((k for k, port in outcome.ports.items() if host["target"].endswith(":%d" % port)), None)
        if key is None:
            continue
        verdict = next((v for v in host.get("clients", []) if v["name"] == name), None)
        if verdict is None:
            raise CadoctorMismatch("the report does not judge %s on %s: it does not see it installed" % (name, key))
        real = outcome.before["%s@%s" % (client, key)].code
        if verdict["ok"] is not None and verdict["ok"] != (real == "Y"):
            raise CadoctorMismatch(
                "cadoctor judges %s %s on %s; the real client did %s (%s)"
                % (client, "ok" if verdict["ok"] else "failing", key, real, verdict.get("reason"))
            )


def _assert_first_fix(outcome: Outcome) -> None:
    """The first fix worked in cadoctor's own trial, and applied as printed it makes the real client succeed."""
    if outcome.expect.get("cause") is None:
        return
    fix, wanted = outcome.fix, outcome.expect.get("fix", {})
    if fix is None:
        raise CadoctorMismatch("cadoctor offers no fix")
    if "kinds" in wanted and fix["kind"] not in wanted["kinds"]:
        raise CadoctorMismatch("the first fix should be %s: %s" % (" or ".join(wanted["kinds"]), _brief(fix)))
    allowed = (True, None) if wanted.get("untried_ok") or fix["kind"] == "server" else (True,)
    if fix["verified"] not in allowed:
        raise CadoctorMismatch(
            "the first fix is not one that worked (verified %s): %s" % (fix["verified"], _brief(fix))
        )
    if wanted.get("apply", True) is False:
        return
    if outcome.fix_failed:
        raise CadoctorMismatch(
            "the first fix could not be applied as printed: %s (%s)" % (outcome.fix_failed, _brief(fix))
        )
    client = outcome.setup["client"]
    for host, code in expected_codes(outcome.setup, "after").items():
        seen = outcome.after["%s@%s" % (client, host)]
        if seen.code != code:
            raise CadoctorMismatch(
                "after the first fix (%s) %s on %s did %s, not %s: %s"
                % (_brief(fix), client, host, seen.code, code, seen.evidence)
            )
    for key, before in outcome.before.items():
        if not key.startswith(client + "@") and before.code == "Y" and outcome.after[key].code != "Y":
            raise CadoctorMismatch("the first fix (%s) broke %s: %s" % (_brief(fix), key, outcome.after[key].evidence))


def _brief(item: dict[str, Any] | None) -> str:
    """A finding or a fix in one line for a failure message."""
    if item is None:
        return "nothing"
    if "code" in item:
        return "%s (%s): %s" % (item["code"], item["severity"], item["summary"][:300])
    return "%s fix, verified %s: %s" % (item["kind"], item["verified"], item["summary"][:300])
