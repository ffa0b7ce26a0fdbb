"""Reports are shared: no password, token or URL credential fed to cadoctor comes out, in any format or on stderr.

Each path a secret can take is fed one: a proxy variable for `--host`, the command line and environment of a
running process (`ps`, `check --pid`), pip's configuration file, a pasted message, a target on the command line.
Every output of each (human, JSON, env; stdout and stderr) must hold none of them, and still say where it was
(`user:****@`), so that the report stays useful.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.environment import child_env
from helpers.processes import WAIT, running
from helpers.runs import CHILD_TIMEOUT, run_cadoctor

from cadoctor._redact import redacted, redacted_argv, redacted_document

SECRET = "Hunter2Secret"  # noqa: S105 - what must never come out
FORMATS = ("human", "json", "env", "prometheus", "nagios")


def _outputs(args: list[str], env: dict[str, str], formats: tuple[str, ...] = FORMATS) -> str:
    """Everything a command writes, stdout and stderr, in each format."""
    texts = []
    for fmt in formats:
        done = run_cadoctor([*args, "--format", fmt], env)
        assert "Traceback" not in done.stderr, done.stderr
        texts.append(done.stdout + done.stderr)
    return "\n".join(texts)


def test_a_proxy_password_never_leaves_check_host() -> None:
    """HTTPS_PROXY with a password: the report says which proxy, as user:****@, in every format and on stderr."""
    env = child_env(HTTPS_PROXY="http://user:%s@127.0.0.1:9" % SECRET)
    out = _outputs(["check", "--no-verify", "--host", "example.test"], env)
    assert SECRET not in out
    assert "http://user:****@127.0.0.1:9" in out


def test_a_target_with_credentials_is_masked_in_the_usage_error() -> None:
    """An https:// target carrying userinfo and a bad port: the one-line usage error masks the password."""
    done = run_cadoctor(["check", "--host", "https://user:%s@example.test:99999/" % SECRET], child_env())
    assert done.returncode == 2
    assert SECRET not in done.stdout + done.stderr
    assert "user:****@example.test" in done.stderr


HOSTILE_ARGS = [
    "postgresql://app:%s@db/prod" % SECRET,
    "--password=%s" % SECRET,
    "--token",
    SECRET,
    "password=%s host=db" % SECRET,
]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="ps and --pid read Linux's /proc")
def test_command_lines_and_environments_of_processes_are_masked() -> None:
    """ps and check --pid: the process's argv and environment carry secrets; no format shows one, each says ****."""
    env = child_env(PGPASSWORD=SECRET, HTTPS_PROXY="http://proxyuser:%s@proxy.test:3128" % SECRET)
    with running([sys.executable, "-c", "import ssl; " + WAIT, *HOSTILE_ARGS], env) as child:
        listed = _outputs(["ps", "--fail-on", "never"], child_env(), ("human", "json"))
        checked = _outputs(["check", "--no-verify", "--pid", str(child.pid)], child_env())
        document = json.loads(run_cadoctor(["check", "--format", "json", "--pid", str(child.pid)], child_env()).stdout)
    assert str(child.pid) in listed
    for out in (listed, checked):
        assert SECRET not in out
    assert "postgresql://app:****@db/prod" in listed
    assert "--password=****" in listed
    command = document["subject"]["command"]
    assert command[-len(HOSTILE_ARGS) :] == [
        "postgresql://app:****@db/prod",
        "--password=****",
        "--token",
        "****",
        "password=**** host=db",
    ]


def test_pip_configuration_values_are_masked(tmp_path: Path) -> None:
    """A pip.conf whose proxy and index URL carry credentials (read for pip's cert setting): never shown."""
    conf = tmp_path / "pip.conf"
    conf.write_text(
        "[global]\nproxy = http://pipuser:%s@proxy.test:3128\nindex-url = https://__token__:%s@pypi.test/simple\n"
        "cert = %s\n" % (SECRET, SECRET, tmp_path / "missing.pem")
    )
    out = _outputs(["check", "--no-verify"], child_env(PIP_CONFIG_FILE=str(conf)))
    assert SECRET not in out


def test_a_pasted_message_is_explained_without_its_secrets() -> None:
    """explain on a log line holding a URL with credentials and a password pair: neither comes back."""
    message = (
        "requests.exceptions.SSLError: HTTPSConnectionPool(host='pypi.test', port=443): Max retries exceeded with "
        "url: https://__token__:%s@pypi.test/simple/ (Caused by SSLError(SSLCertVerificationError(1, "
        "'[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get local issuer certificate'))) "
        "password=%s" % (SECRET, SECRET)
    )
    for fmt in ("human", "json"):
        done = subprocess.run(
            [sys.executable, "-m", "cadoctor", "explain", "--format", fmt, "-"],
            input=message,
            env=child_env(),
            capture_output=True,
            text=True,
            timeout=CHILD_TIMEOUT,
        )
        assert done.returncode == 0, done.stderr
        assert SECRET not in done.stdout + done.stderr


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("http://user:pw@proxy:3128", "http://user:****@proxy:3128"),
        ("https://ghp_token@github.com/org/repo", "https://****@github.com/org/repo"),
        ("host=db password=pw user=app", "host=db password=**** user=app"),
        (
            "AWS_SECRET_ACCESS_KEY=abc SSL_CERT_FILE=/etc/ssl/cert.pem",
            "AWS_SECRET_ACCESS_KEY=**** SSL_CERT_FILE=/etc/ssl/cert.pem",
        ),
        ("https://h/path?token=abc&page=2", "https://h/path?token=****&page=2"),
        ("--api-key abc --keyring-provider auto", "--api-key **** --keyring-provider auto"),
        ("see https://example.com/a@b for it", "see https://example.com/a@b for it"),  # an @ in the path
        ("CN=Corp Root, O=Auth Team", "CN=Corp Root, O=Auth Team"),  # a certificate's name: no pair, no secret
        ("/etc/ssl/certs/ca-certificates.crt", "/etc/ssl/certs/ca-certificates.crt"),
    ],
)
def test_the_one_redaction(text: str, shown: str) -> None:
    """URL userinfo as pip redacts it; values of names that say secret; the rest untouched."""
    assert redacted(text) == shown


def test_argv_and_documents() -> None:
    """An option's separate value, a variable by its name; a document's own fields are not secrets."""
    assert redacted_argv(["prog", "--password", "pw", "-v", "--client-key", "/k.pem"]) == [
        "prog",
        "--password",
        "****",
        "-v",
        "--client-key",
        "****",
    ]
    document = {"environment": {"PGPASSWORD": "pw", "HOME": "/root"}, "settings": [{"key": "cert", "value": "/p"}]}
    assert redacted_document(document) == {
        "environment": {"PGPASSWORD": "****", "HOME": "/root"},
        "settings": [{"key": "cert", "value": "/p"}],
    }


def test_a_long_command_line_is_masked_before_it_is_cut() -> None:
    """The subject line cuts a long command at 80 characters: a cut between a password and its `@` shows none of it."""
    from helpers.records import facts, process_subject

    from cadoctor._model import Report
    from cadoctor._record import replace
    from cadoctor._render.report import subject_line

    url = "postgresql://app:%s@db.internal.test/prod" % SECRET
    for padding in range(40, 80):  # every cut point across the URL
        subject = replace(process_subject("/usr/bin/psql", "psql", "x" * padding, url), user="app")
        line = subject_line(Report(facts=facts(subject=subject), findings=(), fixes=()))
        assert SECRET[:4] not in line, line
