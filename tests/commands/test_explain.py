"""`cadoctor explain` as a command: a message on stdin or as words, JSON out, and megabytes of log bounded."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from helpers import artefacts
from helpers.environment import child_env
from helpers.pki import make_chain
from helpers.runs import CHILD_TIMEOUT, check_json, run_cadoctor
from helpers.servers import serve, server_context, tls_handler

CURL_MESSAGE = "curl: (60) SSL certificate problem: unable to get local issuer certificate"
SERVER_MESSAGE = "ERROR OpenSSL::SSL::SSLError: SSL_accept returned=1 errno=0 state=error: tlsv1 alert unknown ca"


def test_cli_reads_stdin_and_prints_json() -> None:
    """`explain -` reads stdin; --format json gives the causes; unknown text exits 1 and says so."""
    result = run_cadoctor(["explain", "--format", "json", "-"], child_env(), input=CURL_MESSAGE)
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["known"] is True
    assert "host-unknown-ca" in document["causes"][0]["codes"]
    assert (document["side"], document["side_evidence"]) == ("client", "curl: (")
    server = run_cadoctor(["explain", SERVER_MESSAGE], child_env())
    assert "printed by the server (it shows `SSL_accept`)" in server.stdout
    unknown = run_cadoctor(["explain", "the coffee machine is empty"], child_env())
    assert unknown.returncode == 1
    assert "matches no TLS or CA error" in unknown.stdout


GIT_IN_AN_IMAGE = (
    "Cloning template...\nfatal: unable to access 'https://github.com/vapor/template/': server certificate "
    "verification failed. CAfile: none CRLfile: none"
)


def test_cli_says_which_clue_of_the_paste_put_a_cause_first() -> None:
    """The clue around the error line is in the JSON (`clue`) and in the human text (`because:`), with what shows it."""
    result = run_cadoctor(["explain", "--format", "json", "-"], child_env(), input=GIT_IN_AN_IMAGE)
    (first, *_) = json.loads(result.stdout)["causes"]
    assert (first["codes"][0], first["clue"]["name"]) == ("trust-store-empty", "no-ca-file")
    assert first["clue"]["matched"] == "CAfile: none CRLfile: none"
    human = run_cadoctor(["explain", "-"], child_env(), input=GIT_IN_AN_IMAGE)
    assert "   because: the client says it was given no CA file" in human.stdout
    assert "(it shows `CAfile: none CRLfile: none`)" in " ".join(human.stdout.split())


def test_huge_input_is_bounded() -> None:
    """Megabytes of log on stdin are read only up to the limit, and answered quickly."""
    text = "noise " * 1_000_000 + "certificate has expired"
    result = run_cadoctor(["explain"], child_env(), input=text)
    assert result.returncode == 1  # the message lies beyond the first MiB: unknown, and said so
    assert "Traceback" not in result.stderr


NODE_GET = """require('https').get('https://localhost:' + process.argv[1] + '/', () => console.log('no error'))
  .on('error', (e) => console.log(e.code + ' ' + e.message));"""


@pytest.mark.index
def test_nodes_first_certificate_message_has_two_causes_that_check_host_tells_apart(tmp_path: Path) -> None:
    """node says `unable to verify the first certificate` for a missing intermediate and for a private root alike."""
    private = make_chain(tmp_path / "private", "cadoctor Private Root", intermediate=False)  # mkcert's shape
    public = make_chain(tmp_path / "public", ca_issuers="http://ca.example.test/intermediate.der")  # sent alone
    cases = {  # the code check --host gives: (the chain, node's environment, the check's)
        "host-unknown-ca": (private, child_env(), child_env()),
        "host-incomplete-chain": (
            public,
            child_env(NODE_EXTRA_CA_CERTS=str(public.root)),  # its root trusted: only the intermediate lacks
            child_env(SSL_CERT_FILE=str(public.root)),
        ),
    }
    for code, (chain, node_env, check_env) in cases.items():
        with serve(tls_handler(server_context(chain.leaf, chain.key))) as port:
            argv = [str(artefacts.wheel_node()), "-e", NODE_GET, str(port)]
            done = subprocess.run(
                argv, env=node_env, capture_output=True, text=True, timeout=CHILD_TIMEOUT, check=False
            )
            said = done.stdout
            _, report = check_json(check_env, "--host", "localhost:%d" % port)
        assert said.startswith("UNABLE_TO_VERIFY_LEAF_SIGNATURE unable to verify the first certificate"), said
        explained = run_cadoctor(["explain", "--format", "json", said.split(" ", 1)[1]], child_env())
        (first, *_) = json.loads(explained.stdout)["causes"]
        assert first["codes"] == ["host-incomplete-chain", "host-unknown-ca"]
        assert "signed directly by a root" in first["cause"]
        assert first["command"] == "cadoctor check --host HOST[:PORT]"
        assert [host["code"] for host in report["hosts"]] == [code]
