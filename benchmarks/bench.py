"""Benchmarks for `nox -s bench`: ratios against baselines measured in the same run, never timed assertions."""

from __future__ import annotations

import importlib.util
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUNS = int(os.environ.get("CADOCTOR_BENCH_RUNS", "7"))
TESTS = Path(__file__).resolve().parent.parent / "tests"


def _child_env() -> dict[str, str]:
    """The tests' one clean environment (tests/helpers/environment.py), loaded from its file by path.

    The bench session installs the package, not the tests: the module is read by `spec_from_file_location`, which
    leaves sys.path alone. It is built from nothing: no CA variable, and no pip or AWS configuration file of this
    machine's (its /etc/pip.conf names a CA file, which every check would then read and verify against).
    """
    spec = importlib.util.spec_from_file_location("cadoctor_tests_environment", TESTS / "helpers" / "environment.py")
    if spec is None or spec.loader is None:
        raise SystemExit("no tests/helpers/environment.py beside the benchmarks")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    env: dict[str, str] = module.child_env()
    return env


ENV = _child_env()
# The variable each installed client reads: set to one bundle, every client trusts what the others do.
CLIENT_VARIABLES: tuple[str, ...] = (
    "SSL_CERT_FILE",
    "REQUESTS_CA_BUNDLE",
    "AWS_CA_BUNDLE",
    "GRPC_DEFAULT_SSL_ROOTS_FILE_PATH",
)
CLIENT_VARIABLES += ("HTTPLIB2_CA_CERTS", "PIP_CERT")
SYSTEM_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"


def timed(argv: list[str], env: dict[str, str] | None = None) -> tuple[float, int]:
    """Wall time and peak RSS (KiB) of one child run."""
    start = time.perf_counter()
    child = subprocess.Popen(argv, env=env or ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, _status, usage = os.wait4(child.pid, 0)
    return time.perf_counter() - start, usage.ru_maxrss


def interleaved(
    commands: dict[str, list[str]], runs: int = RUNS, env: dict[str, str] | None = None
) -> dict[str, tuple[float, int]]:
    """Median wall time and max peak RSS of each command, runs interleaved so drift hits all alike."""
    samples: dict[str, list[tuple[float, int]]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, argv in commands.items():
            samples[name].append(timed(argv, env))
    return {n: (statistics.median(t for t, _ in s), max(m for _, m in s)) for n, s in samples.items()}


def distinct_bundle(path: str, count: int) -> None:
    """Write `count` distinct self-signed CA certificates (one key, many names) as one PEM bundle."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    start = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=1)
    with open(path, "wb") as out:
        for index in range(count):
            name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "cadoctor bench CA %d" % index)])
            cert = (
                x509.CertificateBuilder()
                .subject_name(name)
                .issuer_name(name)
                .public_key(key.public_key())
                .serial_number(index + 1)
                .not_valid_before(start)
                .not_valid_after(start + datetime.timedelta(days=365))
                .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                .sign(key, hashes.SHA256())
            )
            out.write(cert.public_bytes(serialization.Encoding.PEM))


def inventory_rates(sizes: tuple[int, ...] = (1000, 5000, 10000)) -> list[tuple[int, float]]:
    """Certificates per second for bundles of distinct certificates: linear scaling keeps the rate flat."""
    from cadoctor._facts.certs import bundle

    rates = []
    with tempfile.TemporaryDirectory() as scratch:
        for size in sizes:
            path = os.path.join(scratch, "bundle-%d.pem" % size)
            distinct_bundle(path, size)
            bundle.parse.cache_clear()  # no certificate seen before: measure parsing, not the cache
            start = time.perf_counter()
            inventory = bundle.inventory_bundle(path, ("bench",))
            elapsed = time.perf_counter() - start
            if inventory.certificates != size:
                raise SystemExit("inventory counted %d of %d certificates" % (inventory.certificates, size))
            rates.append((size, size / elapsed))
    return rates


IN_PROCESS = """
import ssl, time
start = time.perf_counter()
import cadoctor.selfcheck
middle = time.perf_counter()
ssl.create_default_context()
print(middle - start, time.perf_counter() - middle)
"""


def in_process_costs(py: str) -> tuple[float, float]:
    """Median seconds that the self-check adds to a process that has imported ssl, and one default context."""
    added, context = [], []
    for _ in range(RUNS * 3):
        out = subprocess.run([py, "-c", IN_PROCESS], env=ENV, capture_output=True, text=True, check=True).stdout
        first, second = out.split()
        added.append(float(first))
        context.append(float(second))
    return statistics.median(added), statistics.median(context)


HANDSHAKE = """
import socket, ssl, sys
context = ssl.create_default_context()
with socket.create_connection(("localhost", int(sys.argv[1])), timeout=10) as sock:
    with context.wrap_socket(sock, server_hostname="localhost"):
        pass
"""


HOST_RUNS = max(3 * RUNS, 21)  # pairs: a shared VM drifts between a fast and a slow state for seconds at a time


def host_check_ratio(py: str, failing: bool = False) -> tuple[float, float, float]:
    """Median seconds of `check --host` and of one plain default-context handshake, and the median paired ratio.

    Each check runs right after its handshake, to the same loopback server: the ratio of a pair cancels the
    machine's drift, which the two medians alone do not. `failing`: no variable names the root, so verification
    fails (in both): the check then classifies the failure, attributes the root and tries its fixes.
    """
    import pathlib
    import ssl

    sys.path.insert(0, str(TESTS))
    from helpers.pki import make_chain
    from helpers.servers import serve, server_context, tls_handler

    with tempfile.TemporaryDirectory() as scratch:
        chain = make_chain(pathlib.Path(scratch) / "pki")
        if chain.intermediate is None:
            raise SystemExit("the benchmark chain has no intermediate")
        context: ssl.SSLContext = server_context(chain.leaf, chain.key, chain.intermediate)
        with serve(tls_handler(context)) as port:
            # every client told about the root, by the variable it reads: the case where every client verifies
            env = {**ENV, **({} if failing else {name: str(chain.root) for name in CLIENT_VARIABLES})}
            commands = {
                "check": [py, "-m", "cadoctor", "check", "--format", "json", "--host", "localhost:%d" % port],
                "handshake": [py, "-c", HANDSHAKE, str(port)],
            }
            samples: dict[str, list[float]] = {name: [] for name in commands}
            for _ in range(HOST_RUNS):
                for name, argv in commands.items():
                    start = time.perf_counter()
                    subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
                    samples[name].append(time.perf_counter() - start)
    paired = statistics.median(c / h for c, h in zip(samples["check"], samples["handshake"]))
    return statistics.median(samples["check"]), statistics.median(samples["handshake"]), paired


def _loaded_libcrypto() -> str:
    """The libcrypto this interpreter's ssl module mapped."""
    import ssl  # noqa: F401 - maps libcrypto

    with open("/proc/self/maps", encoding="utf-8") as maps:
        paths = [line.split()[-1] for line in maps if "/" in line]
    return next(p for p in paths if os.path.basename(p).startswith("libcrypto.so"))


def ps_figures(py: str, count: int = 300) -> tuple[float, float, int, int, int]:
    """`cadoctor ps` with `count` extra processes mapping two libcrypto files, against grep over every maps file."""
    crypto = _loaded_libcrypto()
    started: list[subprocess.Popen[bytes]] = []
    with tempfile.TemporaryDirectory() as folder:
        copy = os.path.join(folder, os.path.basename(crypto))
        with open(crypto, "rb") as source, open(copy, "wb") as target:
            target.write(source.read())
        try:
            for index in range(count):
                env = dict(ENV, LD_PRELOAD=crypto if index % 2 else copy)
                started.append(subprocess.Popen(["sleep", "600"], env=env))
            time.sleep(0.5)  # let every child map its libraries
            # the baseline the issue names: lsof over every process (grep over the maps files where lsof is absent)
            baseline = (
                "lsof -n 2>/dev/null | grep -c libcrypto"
                if shutil.which("lsof")
                else "grep -l libcrypto /proc/[0-9]*/maps"
            )
            results = interleaved(
                {
                    "ps": [py, "-m", "cadoctor", "ps", "--format", "json", "--fail-on", "never"],
                    "grep": ["sh", "-c", baseline],
                }
            )
            document = json.loads(
                subprocess.run(
                    [py, "-m", "cadoctor", "ps", "--format", "json", "--fail-on", "never"],
                    env=ENV,
                    capture_output=True,
                    check=False,
                ).stdout
            )
        finally:
            for child in started:
                child.kill()
                child.wait()
    users = sum(len(g["processes"]) for g in document["groups"])
    return results["ps"][0], results["grep"][0], document["processes_examined"], users, document["files_read"]


MAX_RSS = "import resource, subprocess, sys; subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)\n"
MAX_RSS += "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"


def max_rss_kib(argv: list[str]) -> int:
    """The peak resident memory of one run of `argv`, in KiB, measured by a fresh parent."""
    out = subprocess.run([sys.executable, "-c", MAX_RSS, *argv], env=ENV, capture_output=True, text=True, check=True)
    return int(out.stdout.strip())


def inspect_figures(py: str) -> tuple[str, int, float, float, int, int] | None:
    """`cadoctor inspect` of the largest program here carrying OpenSSL, against `grep -c OPENSSLDIR` on it.

    Also its peak memory, against `python -c pass`: the file is searched in bounded windows.
    """
    node = shutil.which("node")
    if node is None:
        return None
    target = os.path.realpath(node)
    inspect = [py, "-m", "cadoctor", "inspect", "--format", "json", target]
    results = interleaved({"inspect": inspect, "grep": ["grep", "-c", "OPENSSLDIR", target]})
    memory = max_rss_kib(inspect)
    baseline = max_rss_kib([py, "-c", "pass"])
    return target, os.path.getsize(target), results["inspect"][0], results["grep"][0], memory, baseline


def explain_figures(py: str) -> tuple[str, float, float, float, float]:
    """`explain` on 1 MiB made of each pattern family's own phrases: the worst family, in process and as a command.

    Baselines from the same run: one case-folded literal search over the same text (in process), and a Python
    that only reads the text from stdin (as a command).
    """
    import re

    from cadoctor._rules.explain.clues import CLUES
    from cadoctor._rules.explain.reading import explain
    from cadoctor._rules.explain.table import PATTERNS

    families = {
        p.name: re.findall(r"[a-z][a-z _'=:-]{3,}", p.source + " ".join(a + b for a, b in p.ordered)) for p in PATTERNS
    }
    # A clue is looked for only beside an error it reranks: each clue's phrases with an undetailed failure.
    families.update(
        {
            "clue " + c.name: [*re.findall(r"[a-z][a-z _'=:-]{3,}", c.source + c.also), "certificate verify failed"]
            for c in CLUES
        }
    )
    families["hosts"] = ["host='a", "host: a", "connect to a", "cannot connect to host a", 'get "https://a']
    families["clue dates"] = [  # what the clue finders read: dates in every form, expired roots, Let's Encrypt
        "--2021-10-06 08:26:19--",
        "Sat Jan  1 00:47:51 UTC 2000",
        "1-Feb-2017::10:25:07",
        "notAfter=Apr  9 14:23:00 2021 GMT",
        "CN = DST Root CA X3 certificate has expired",
        "issued by '/C=US/O=Let's Encrypt/CN=R3': Issued certificate has expired.",
        "server certificate verification failed. CAfile: x CRLfile: none",
    ]
    worst = ("", 0.0, "")
    for name, phrases in families.items():
        for separator in (" ", "\n"):
            unit = separator.join(phrases) + separator
            text = (unit * ((1 << 20) // len(unit) + 1))[: 1 << 20]
            started = time.perf_counter()
            explain(text)
            took = time.perf_counter() - started
            if took > worst[1]:
                worst = (name + (" (one line)" if separator == " " else " (many lines)"), took, text)
    name, took, text = worst
    started = time.perf_counter()
    re.search("certificate verify failed", text.lower())
    scan = time.perf_counter() - started
    with tempfile.NamedTemporaryFile("w", suffix=".txt") as handle:
        handle.write(text)
        handle.flush()
        commands = {
            "explain": [py, "-m", "cadoctor", "explain", "-"],
            "read": [py, "-c", "import sys; sys.stdin.read()"],
        }
        samples: dict[str, list[float]] = {k: [] for k in commands}
        for _ in range(RUNS):
            for key, argv in commands.items():
                with open(handle.name, "rb") as stdin:
                    started = time.perf_counter()
                    subprocess.run(argv, env=ENV, stdin=stdin, stdout=subprocess.DEVNULL, check=False)
                    samples[key].append(time.perf_counter() - started)
    return name, took, scan, statistics.median(samples["explain"]), statistics.median(samples["read"])


def main() -> None:
    """Print each figure with its baseline and ratio."""
    py = sys.executable
    results = interleaved(
        {
            "cadoctor check --format json": [py, "-m", "cadoctor", "check", "--format", "json"],
            "python -m requests.help": [py, "-m", "requests.help"],
        }
    )
    ours, base = results["cadoctor check --format json"], results["python -m requests.help"]
    print(
        "check --format json, ten clients, the local roots missing from their stores (the fix verified by each "
        "client in a child): %.0f ms (peak %.1f MiB); requests.help: %.0f ms; ratio %.2fx"
        % (ours[0] * 1000, ours[1] / 1024, base[0] * 1000, ours[0] / base[0])
    )
    if os.path.isfile(SYSTEM_BUNDLE):
        healthy = interleaved(
            {
                "check": [py, "-m", "cadoctor", "check", "--format", "json"],
                "help": [py, "-m", "requests.help"],
            },
            env={**ENV, **{name: SYSTEM_BUNDLE for name in CLIENT_VARIABLES}},
        )
        print(
            "check --format json, ten clients, each pointed at the system bundle (nothing to fix): %.0f ms; "
            "requests.help: %.0f ms; ratio %.2fx (target <= 1.0x)"
            % (healthy["check"][0] * 1000, healthy["help"][0] * 1000, healthy["check"][0] / healthy["help"][0])
        )
    startup = interleaved(
        {
            "import ssl": [py, "-c", "import ssl"],
            "import cadoctor.selfcheck": [py, "-c", "import cadoctor.selfcheck"],
            "one default context": [py, "-c", "import ssl; ssl.create_default_context()"],
        },
        runs=RUNS * 6,  # short runs: more of them for a stable median
    )
    plain, selfcheck, context = (
        startup[k][0] for k in ("import ssl", "import cadoctor.selfcheck", "one default context")
    )
    print(
        "import cadoctor.selfcheck (healthy): %.1f ms; import ssl: %.1f ms; ratio %.3fx (target <= 1.10x); "
        "its cost beyond import ssl is %.2fx that of one ssl.create_default_context() (%.1f ms)"
        % (
            selfcheck * 1000,
            plain * 1000,
            selfcheck / plain,
            (selfcheck - plain) / (context - plain),
            (context - plain) * 1000,
        )
    )
    added, one_context = in_process_costs(py)
    print(
        "in process, after import ssl: import cadoctor.selfcheck adds %.2f ms; one ssl.create_default_context() "
        "costs %.2f ms (ratio %.3f)" % (added * 1000, one_context * 1000, added / one_context)
    )
    checked, shaken, paired = host_check_ratio(py)
    print(
        "check --host (handshake succeeds, ten clients, each verifies): %.0f ms; python -c one default-context "
        "handshake: %.0f ms; ratio of medians %.2fx, median of %d paired ratios %.2fx (target <= 1.3x)"
        % (checked * 1000, shaken * 1000, checked / shaken, HOST_RUNS, paired)
    )
    checked, shaken, paired = host_check_ratio(py, failing=True)
    print(
        "check --host (verification fails: classified, attributed, the hosts' fixes tried): %.0f ms; python -c one "
        "failing default-context handshake: %.0f ms; ratio of medians %.2fx, median of %d paired ratios %.2fx "
        "(target <= 1.5x)" % (checked * 1000, shaken * 1000, checked / shaken, HOST_RUNS, paired)
    )
    static = inspect_figures(py)
    if static is None:
        print("inspect of a large static binary: skipped (no node here)")
    else:
        target, size, inspected, grepped, memory, baseline = static
        print(
            "inspect %s (%.0f MB, OpenSSL linked in): %.0f ms; grep -c OPENSSLDIR: %.0f ms; ratio %.2fx (target <= 1x)"
            % (target, size / 1e6, inspected * 1000, grepped * 1000, inspected / grepped)
        )
        print(
            "inspect peak memory: %.0f MiB; python -c pass: %.0f MiB; ratio %.2fx (target <= 1.3x)"
            % (memory / 1024, baseline / 1024, memory / baseline)
        )
    wall, grep_wall, examined, users, files = ps_figures(py)
    print(
        "ps with 300 extra processes (%d examined, %d using OpenSSL): %.0f ms, %d files read; "
        "baseline (lsof -n | grep -c libcrypto, or grep over the maps files): %.0f ms; ratio %.2fx (target <= 1x)"
        % (examined, users, wall * 1000, files, grep_wall * 1000, wall / grep_wall)
    )
    family, inside, scan, command, reading = explain_figures(py)
    print(
        "explain on 1 MiB of adversarial text, worst family %s: %.0f ms in process (one literal search over it: "
        "%.1f ms, ratio %.0fx); as a command %.0f ms against a Python that only reads it, %.0f ms (ratio %.2fx)"
        % (family, inside * 1000, scan * 1000, inside / scan, command * 1000, reading * 1000, command / reading)
    )
    for size, rate in inventory_rates():
        print("bundle inventory: %.0f certificates/s on a bundle of %d distinct certificates" % (rate, size))
    print("this process peak RSS: %.1f MiB" % (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))


if __name__ == "__main__":
    main()
