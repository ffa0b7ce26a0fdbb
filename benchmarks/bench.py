"""Benchmarks for `nox -s bench`: ratios against baselines measured in the same run, never timed assertions."""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

RUNS = int(os.environ.get("CADOCTOR_BENCH_RUNS", "7"))
ENV = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": os.environ.get("HOME", "/")}


def timed(argv: list[str]) -> tuple[float, int]:
    """Wall time and peak RSS (KiB) of one child run."""
    start = time.perf_counter()
    child = subprocess.Popen(argv, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, _status, usage = os.wait4(child.pid, 0)
    return time.perf_counter() - start, usage.ru_maxrss


def interleaved(commands: dict[str, list[str]]) -> dict[str, tuple[float, int]]:
    """Median wall time and max peak RSS of each command, runs interleaved so drift hits all alike."""
    samples: dict[str, list[tuple[float, int]]] = {name: [] for name in commands}
    for _ in range(RUNS):
        for name, argv in commands.items():
            samples[name].append(timed(argv))
    return {n: (statistics.median(t for t, _ in s), max(m for _, m in s)) for n, s in samples.items()}


def inventory_rate() -> float:
    """Certificates per second when inventorying a 10,000-certificate bundle."""
    from cadoctor._bundle import inspect

    with open("/etc/ssl/certs/ca-certificates.crt", "rb") as handle:
        data = handle.read()
    blocks = data.count(b"-----BEGIN CERTIFICATE-----")
    with tempfile.NamedTemporaryFile(suffix=".pem") as big:
        for _ in range(10000 // blocks + 1):
            big.write(data)
        big.flush()
        start = time.perf_counter()
        bundle = inspect(big.name, ("bench",))
        elapsed = time.perf_counter() - start
    return bundle.certificates / elapsed


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
        "check --format json: %.0f ms (peak %.1f MiB); requests.help: %.0f ms; ratio %.2fx (target <= 1.5x)"
        % (ours[0] * 1000, ours[1] / 1024, base[0] * 1000, ours[0] / base[0])
    )
    print("bundle inventory: %.0f certificates/s on a 10,000-certificate bundle" % inventory_rate())
    print("this process peak RSS: %.1f MiB" % (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))


if __name__ == "__main__":
    main()
