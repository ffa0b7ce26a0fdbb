"""The fuzzing campaign behind `nox -s fuzz`: each reader of foreign bytes, the DER differential, cadoctor outside.

Prints one figure line per part; exits 1 on any crash, disagreement or undocumented outcome.

    python fuzz/campaign.py readers [SECONDS]     coverage-guided (atheris, one child per reader), else mutation
    python fuzz/campaign.py differential [COUNT]  DER read by cadoctor, cryptography and the loaded libcrypto
    python fuzz/campaign.py outside [RUNS]        `python -m cadoctor` on damaged bundles, ELF files and messages
    python fuzz/campaign.py all                   the three, with their defaults

Every input that breaks a reader is written to tests/facts/data/fuzz-corpus/<reader>/, which the tests replay.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import ssl
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from helpers.fuzzing import CORPUS, campaign, corpus, mutate, readers, real_certificates, real_elf_files  # noqa: E402


def keep(name: str, data: bytes) -> Path:
    """Write an input that broke a reader to its corpus."""
    folder = CORPUS / name
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / ("crash-" + hashlib.sha1(data).hexdigest()[:16])  # noqa: S324 - a name, not a digest of trust
    path.write_bytes(data)
    return path


def _atheris_child(name: str, seconds: int) -> None:
    """Run atheris on one reader until its time is up (libFuzzer exits the process then, or at a crash)."""
    import atheris  # type: ignore[import-untyped,import-not-found,unused-ignore]  # no stubs; only where it installs

    reader = readers()[name]
    with tempfile.TemporaryDirectory() as seeds:
        for index, data in enumerate(reader.seeds() + corpus(name)):
            Path(seeds, "seed-%d" % index).write_bytes(data)
        atheris.instrument_all()
        declared = reader.declared

        def one_input(data: bytes) -> None:
            try:
                reader.call(data)
            except Exception as exc:
                if declared is None or not isinstance(exc, declared):
                    raise

        folder = CORPUS / name
        folder.mkdir(parents=True, exist_ok=True)
        argv = [sys.argv[0], "-max_total_time=%d" % seconds, "-print_final_stats=1", "-rss_limit_mb=4096"]
        argv += ["-artifact_prefix=%s/" % folder, "-timeout=10", "-max_len=1048576", seeds]
        atheris.Setup(argv, one_input)
        atheris.Fuzz()


def _atheris_available() -> bool:
    """Whether atheris is installed here (its wheels serve CPython 3.9 to 3.13 on Linux x86-64)."""
    import importlib.util

    return importlib.util.find_spec("atheris") is not None


def run_readers(seconds: int) -> bool:
    """Each reader for `seconds`: coverage-guided where atheris runs, else the mutator. True when none broke."""
    healthy = True
    for name, reader in readers().items():
        started = time.monotonic()
        if _atheris_available():
            done = subprocess.run(
                [sys.executable, __file__, "atheris-child", name, str(seconds)],
                capture_output=True,
                text=True,
                check=False,
                timeout=seconds * 3 + 120,
            )
            executed = re.findall(r"stat::number_of_executed_units: (\d+)", done.stderr)
            crashed = done.returncode != 0
            print(
                "%-14s atheris   %9s inputs in %4.0fs%s"
                % (
                    name,
                    executed[-1] if executed else "?",
                    time.monotonic() - started,
                    ": CRASH (%s)" % done.stderr.strip().splitlines()[-1] if crashed else "",
                ),
                flush=True,
            )
            if crashed:
                print(done.stderr[-4000:], file=sys.stderr)
            healthy = healthy and not crashed
            continue
        tried = 0
        crashes = 0
        while time.monotonic() - started < seconds:
            for data, error in campaign(reader, 200, seed=tried):
                crashes += 1
                print("%s: %r kept in %s" % (name, error, keep(name, data)), file=sys.stderr)
            tried += 200
        print("%-14s mutation  %9d inputs in %4.0fs, %d crashes" % (name, tried, time.monotonic() - started, crashes))
        healthy = healthy and not crashes
    return healthy


def run_differential(count: int) -> bool:
    """The DER differential on `count` mutations of the real roots."""
    from helpers.differential import differential

    started = time.monotonic()
    try:
        outcomes = differential(count, seed=int(time.time()), both=False)
    except AssertionError as exc:
        print("differential: %s" % exc)
        return False
    print("differential   %d mutations in %.0fs: %s" % (count, time.monotonic() - started, dict(outcomes)))
    return True


# ---- from outside: cadoctor as a user runs it

INSPECT_EXITS, CHECK_EXITS, EXPLAIN_EXITS = {0, 1, 3}, {0, 1}, {0, 1}  # docs/exit-codes.md


def _environment(**extra: str) -> dict[str, str]:
    """A child's environment: this host's CA and proxy variables never reach it unless named."""
    from helpers.environment import child_env

    return child_env(**extra)


def _damaged_bundle(rnd: random.Random, ders: list[bytes], count: int) -> bytes:
    """A bundle of real roots in which `count` certificates are malformed DER inside well-formed PEM."""
    blocks = [ssl.DER_cert_to_PEM_cert(der).encode() for der in rnd.sample(ders, min(len(ders), 40))]
    for _ in range(count):
        blocks.insert(
            rnd.randrange(len(blocks) + 1), ssl.DER_cert_to_PEM_cert(mutate(rnd.choice(ders), rnd, [])).encode()
        )
    return b"".join(blocks)


def _run(argv: list[str], env: dict[str, str], allowed: set[int], schema: str) -> str | None:
    """Run `python -m cadoctor`; why its outcome is not a documented one (None: it is)."""
    from helpers.runs import validate

    done = subprocess.run(
        [sys.executable, "-m", "cadoctor", *argv], env=env, capture_output=True, text=True, timeout=300, check=False
    )
    if "Traceback" in done.stderr or done.returncode not in allowed:
        return "exit %d: %s" % (done.returncode, done.stderr[-2000:])
    try:
        validate(json.loads(done.stdout), schema)
    except Exception as exc:  # invalid JSON, or JSON the schema refuses
        return "output: %s" % str(exc)[:500]
    return None


def run_outside(runs: int) -> bool:
    """`runs` seeds of damaged input, each read by `inspect`, `check` and `explain` as a user runs them.

    Each seed: a bundle with malformed DER inside good PEM (1 to 1000 certificates; inspected, and SSL_CERT_FILE for
    check), a mutated bundle, a mutated ELF file, and messages spliced from explain's corpus.
    """
    ders = real_certificates()
    elves = [p for p in real_elf_files() if os.path.getsize(p) < 8 << 20]
    bundles = [p.read_bytes() for p in map(Path, ("/etc/ssl/certs/ca-certificates.crt",)) if p.exists()]
    import json as _json

    messages = [e["message"] for e in _json.loads((ROOT / "tests/rules/data/explain_corpus.json").read_text())]
    failures = 0
    damaged = 0
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as folder:
        for seed in range(runs):
            rnd = random.Random(seed)  # noqa: S311 - a run replayed by its seed
            bundle = Path(folder, "damaged-%d.pem" % seed)
            count = rnd.choice((1, 10, 200, 1000))
            damaged += count
            bundle.write_bytes(_damaged_bundle(rnd, ders, count))
            mutated = Path(folder, "mutated-%d.pem" % seed)
            mutated.write_bytes(mutate(rnd.choice(bundles or [bundle.read_bytes()]), rnd, []))
            elf = Path(folder, "mutated-%d.so" % seed)
            elf.write_bytes(mutate(Path(rnd.choice(elves)).read_bytes(), rnd, []))
            message = "".join(rnd.choice(messages)[rnd.randrange(40) :][: rnd.randrange(400)] for _ in range(3))
            checks = [
                (
                    ["inspect", "--format", "json", str(bundle), str(mutated), str(elf)],
                    _environment(),
                    INSPECT_EXITS,
                    "inspect-v1.json",
                ),
                (
                    ["check", "--format", "json", "--no-verify"],
                    _environment(SSL_CERT_FILE=str(bundle)),
                    CHECK_EXITS,
                    "report-v1.json",
                ),
                (
                    ["check", "--format", "json", "--no-verify"],
                    _environment(SSL_CERT_FILE=str(mutated)),
                    CHECK_EXITS,
                    "report-v1.json",
                ),
                (["explain", "--format", "json", message], _environment(), EXPLAIN_EXITS, "explain-v1.json"),
            ]
            for argv, env, allowed, schema in checks:
                why = _run(argv, env, allowed, schema)
                if why is not None:
                    failures += 1
                    kept = Path("fuzz-outside-failure-%d" % seed)
                    kept.mkdir(exist_ok=True)
                    for path in (bundle, mutated, elf):
                        (kept / path.name).write_bytes(path.read_bytes())
                    print("seed %d: %s %s (inputs kept in %s)" % (seed, argv[0], why, kept), file=sys.stderr)
    print(
        "outside        %d seeds, %d runs of cadoctor, %d malformed certificates in good PEM, %d failures in %.0fs"
        % (runs, 4 * runs, damaged, failures, time.monotonic() - started)
    )
    return failures == 0


def main(argv: list[str]) -> int:
    part = argv[0] if argv else "all"
    if part == "atheris-child":
        _atheris_child(argv[1], int(argv[2]))
        return 0
    amount = int(argv[1]) if len(argv) > 1 else None
    results = []
    if part in ("readers", "all"):
        results.append(run_readers(amount or 60))
    if part in ("differential", "all"):
        results.append(run_differential(amount or 1_000_000))
    if part in ("outside", "all"):
        results.append(run_outside(amount or 40))
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
