"""Contracts others build on: a JSON Schema for every command's output, JSON on exit 3, public exception types."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from helpers import CHECKOUT
from helpers.environment import child_env
from helpers.openssl import ForeignOpenSSL
from helpers.pki import make_ca
from helpers.processes import WAIT, running
from helpers.runs import CHILD_TIMEOUT, SCHEMAS, check_json, run_cadoctor, validate

import cadoctor

ROOT = CHECKOUT
SCHEMA = SCHEMAS["report-v1.json"]


def _json_of(args: list[str], statuses: tuple[int, ...] = (0, 1)) -> dict[str, Any]:
    """Run a cadoctor command with --format json and parse stdout."""
    result = run_cadoctor([*args, "--format", "json"], child_env())
    assert result.returncode in statuses, result.stderr
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def test_every_schema_is_published_and_valid() -> None:
    """Each shipped schema is a valid 2020-12 schema, copied unchanged to docs/schema/ and linked from docs/json.md."""
    assert set(SCHEMAS) == {"report-v1.json", "ps-v1.json", "inspect-v1.json", "explain-v1.json"}
    page = (ROOT / "docs" / "json.md").read_text()
    for name, schema in SCHEMAS.items():
        jsonschema.Draft202012Validator.check_schema(schema)
        assert json.loads((ROOT / "docs" / "schema" / name).read_text()) == schema, name
        assert "(schema/%s)" % name in page, name


def test_ps_output_validates() -> None:
    """Real `ps` output, holding a process this test started, validates against ps-v1.json."""
    with running([sys.executable, "-c", "import ssl; " + WAIT], child_env()) as child:
        document = _json_of(["ps", "--fail-on", "never"], (0,))
    validate(document, "ps-v1.json")
    assert any(p["pid"] == child.pid for group in document["groups"] for p in group["processes"])


def test_inspect_output_validates(tmp_path: Path) -> None:
    """Real `inspect` output for libcrypto, _ssl, a CA file, a directory, text and a missing path validates."""
    import _ssl

    libcrypto = next(
        (line.split()[-1] for line in Path("/proc/self/maps").read_text().splitlines() if "/libcrypto" in line),
        None,
    )
    ca = make_ca(tmp_path / "ca")
    (tmp_path / "notes.txt").write_text("hello")
    paths = [str(p) for p in (_ssl.__file__, ca.bundle, tmp_path / "ca", tmp_path / "notes.txt", tmp_path / "gone")]
    document = _json_of(["inspect", *paths, *([libcrypto] if libcrypto else [])], (3,))
    validate(document, "inspect-v1.json")
    kinds = {Path(f["path"]).name: f["kind"] for f in document["files"]}
    assert (kinds["ca.pem"], kinds["ca"], kinds["notes.txt"]) == ("bundle", "directory", "other")


@pytest.mark.parametrize(
    ("text", "known"),
    [
        ("certificate verify failed: unable to get local issuer certificate (_ssl.c:1006)", True),
        ("SSL_accept: error:0A000418:SSL routines::tlsv1 alert unknown ca", True),
        ("hello", False),
    ],
)
def test_explain_output_validates(text: str, known: bool) -> None:
    """Real `explain` output validates, carries cadoctor_version, and has no field the schema does not name."""
    document = _json_of(["explain", text])
    validate(document, "explain-v1.json")
    assert (document["known"], document["cadoctor_version"]) == (known, cadoctor.__version__)
    schema = json.loads((Path(cadoctor.__file__).parent / "schema" / "explain-v1.json").read_text())
    assert set(document) == set(schema["properties"])


def _failed(args: list[str], tmp_path: Path) -> tuple[str, dict[str, Any]]:
    """Run a check that cannot examine its subject with --format json; the stderr line and the stdout document."""
    result = run_cadoctor(["check", *args, "--format", "json"], child_env(), cwd=tmp_path)
    assert result.returncode == 3
    assert result.stderr.count("\n") == 1
    document: dict[str, Any] = json.loads(result.stdout)
    validate(document, "report-v1.json")
    return result.stderr, document


def test_a_check_that_cannot_run_still_prints_json(tmp_path: Path) -> None:
    """Exit 3 with --format json prints a document with status `failed` and an `error` saying what could not be read."""
    with running([sys.executable, "-S", "-c", WAIT], child_env()) as child:
        line, document = _failed(["--pid", str(child.pid)], tmp_path)
    assert document["status"] == "failed"
    assert document["error"]["kind"] == "process"
    assert "maps no OpenSSL" in document["error"]["message"]
    assert line == "cadoctor: %s\n" % document["error"]["message"]
    assert _failed(["--python", str(tmp_path / "nothing")], tmp_path)[1]["error"]["kind"] == "interpreter"
    (tmp_path / "file").write_text("")
    assert _failed(["--root", str(tmp_path / "file")], tmp_path)[1]["error"]["kind"] == "root"


def test_the_failure_document_goes_where_the_report_would(tmp_path: Path) -> None:
    """With --output, the exit-3 document is written to that file and stdout stays empty."""
    target = tmp_path / "report.json"
    result = run_cadoctor(
        ["check", "--python", str(tmp_path / "nothing"), "--format", "json", "--output", str(target)], child_env()
    )
    assert (result.returncode, result.stdout) == (3, "")
    validate(json.loads(target.read_text()), "report-v1.json")


def test_reports_without_error_still_need_every_report_field() -> None:
    """The schema's failure branch is only for documents with `error`: a report missing its fields is still invalid."""
    with pytest.raises(jsonschema.ValidationError):
        validate({"schema_version": 1, "cadoctor_version": "0", "status": "ok"}, "report-v1.json")
    with pytest.raises(jsonschema.ValidationError):
        validate({"schema_version": 1, "cadoctor_version": "0", "status": "ok", "error": {}}, "report-v1.json")


def test_check_raises_the_public_exception_types(tmp_path: Path) -> None:
    """`cadoctor.check()` raises `cadoctor.ProcessError`, `InterpreterError` and `RootError`, all `CheckError`s."""
    with running([sys.executable, "-S", "-c", WAIT], child_env()) as child, pytest.raises(cadoctor.ProcessError):
        cadoctor.check(pid=child.pid, verify=False)
    with pytest.raises(cadoctor.InterpreterError):
        cadoctor.check(python=str(tmp_path / "nothing"))
    with pytest.raises(cadoctor.RootError):
        cadoctor.check(root=str(tmp_path / "nothing"))
    for name in ("InterpreterError", "ProcessError", "RootError"):
        assert issubclass(getattr(cadoctor, name), cadoctor.CheckError)
    with pytest.raises(cadoctor.ClientCertificateError):
        cadoctor.check(hosts=["localhost:1"], client_cert=str(tmp_path / "nothing.pem"))


def test_public_names_are_all_importable() -> None:
    """Every name in `cadoctor.__all__` resolves, and each exception is documented in docs/api.md."""
    page = (ROOT / "docs" / "api.md").read_text()
    for name in cadoctor.__all__:
        value = getattr(cadoctor, name)
        if isinstance(value, type) and issubclass(value, BaseException):
            assert "`cadoctor.%s`" % name in page, name


def test_documented_warning_filter_works() -> None:
    """The code docs/api.md gives to turn TrustPathWarning into an error makes a broken trust path raise at import."""
    page = (ROOT / "docs" / "api.md").read_text()
    section = page[page.index("## `cadoctor.TrustPathWarning`") :]
    code = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert code is not None
    broken = child_env(SSL_CERT_FILE="/nonexistent/cadoctor-test.pem", CADOCTOR_SELFCHECK="warn")
    done = subprocess.run(
        [sys.executable, "-c", code.group(1)], env=broken, capture_output=True, text=True, timeout=CHILD_TIMEOUT
    )
    assert done.returncode == 1
    assert done.stderr.splitlines()[-1].startswith("cadoctor.TrustPathWarning: cadoctor selfcheck: env-path-invalid")
    healthy = subprocess.run([sys.executable, "-c", code.group(1)], env=child_env(), timeout=CHILD_TIMEOUT)
    assert healthy.returncode == 0


def test_healthy_json_validates_against_the_schema() -> None:
    """Real output of a healthy check validates against the shipped schema."""
    _status, report = check_json(child_env())
    jsonschema.validate(report, SCHEMA)
    assert report["schema_version"] == 1


def test_broken_json_validates_and_uses_known_codes(foreign_openssl: ForeignOpenSSL) -> None:
    """Real output of a broken check validates, and every code it uses is a documented one."""
    _status, report = check_json(child_env(LD_LIBRARY_PATH=str(foreign_openssl.directory)))
    jsonschema.validate(report, SCHEMA)
    assert {f["code"] for f in report["findings"]} <= set(SCHEMA["knownCodes"])


def test_every_known_code_is_documented() -> None:
    """Each finding code in the schema has its own anchor in docs/findings.md."""
    text = (CHECKOUT / "docs" / "findings.md").read_text()
    for code in SCHEMA["knownCodes"]:
        assert "{#%s}" % code in text, code
