"""The OS store: this host's /etc/ssl/certs and its bundle, read only, and private copies of it to run on top of.

- `system_bundle_or_skip()` / `copy_bundle(tmp_path)`: the Debian-family bundle several tests lean on.
- `os_store_with(*roots)` / `run_in_os_store(argv, env, roots)`: run a command in a private mount namespace whose
  `/etc/ssl/certs` is a bind-mounted copy of the real one with the roots added to `ca-certificates.crt` and as
  `<subject-hash>.N` links (or, with `hash_links=False`, a RHEL-like directory holding only the bundle). The real
  `/etc/ssl/certs` is only ever read. Needs root (mark the test `root`); skips without a working `unshare -m`.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shlex
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

CHILD_TIMEOUT = 20.0  # the command run on top of the copy, as the clients' own children
SYSTEM_CERTS = Path("/etc/ssl/certs")
SYSTEM_BUNDLE_NAME = "ca-certificates.crt"
LOCAL_ANCHORS = Path("/usr/local/share/ca-certificates")  # Debian's folder for roots an administrator adds
SYSTEM_BUNDLE = str(SYSTEM_CERTS / SYSTEM_BUNDLE_NAME)


def system_bundle_or_skip() -> str:
    """The Debian-family system bundle, which several tests lean on."""
    if not os.path.isfile(SYSTEM_BUNDLE):
        pytest.skip("no %s on this host" % SYSTEM_BUNDLE)
    return SYSTEM_BUNDLE


def copy_bundle(tmp_path: Path, name: str = "bundle.pem") -> Path:
    """A private copy of the system bundle that a test may change."""
    target = tmp_path / name
    shutil.copyfile(system_bundle_or_skip(), target)
    return target


@dataclass(frozen=True)
class OsStore:
    """A private copy of /etc/ssl/certs with extra roots, and the argv prefix that runs a command on top of it."""

    directory: Path  # the copy; it is mounted on /etc/ssl/certs only inside the commands run through `prefix`
    prefix: tuple[str, ...]  # `unshare -m --propagation private -- sh -c 'mount --bind ... && exec "$@"' <copy>`
    hash_links: bool

    def run(
        self, argv: Sequence[str], env: Mapping[str, str], timeout: float = CHILD_TIMEOUT
    ) -> subprocess.CompletedProcess[str]:
        """Run `argv` with exactly `env` where /etc/ssl/certs is this copy."""
        return subprocess.run(
            [*self.prefix, *argv],
            env=dict(env),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )


def subject_hash(pem: Path) -> str:
    """OpenSSL's subject hash of a PEM certificate (the `<hash>` of its `<hash>.N` link)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl command is needed to name hashed links")
    done = subprocess.run(
        [openssl, "x509", "-subject_hash", "-noout", "-in", str(pem)],
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT,
        check=True,
    )
    return done.stdout.strip()


def namespace_or_skip() -> None:
    """Skip unless a private mount namespace with a bind mount works here (unshare, mount; root: see `root`)."""
    if not SYSTEM_CERTS.is_dir() or not (SYSTEM_CERTS / SYSTEM_BUNDLE_NAME).is_file():
        pytest.skip("no Debian-style %s/%s on this host" % (SYSTEM_CERTS, SYSTEM_BUNDLE_NAME))
    if shutil.which("unshare") is None or shutil.which("mount") is None:
        pytest.skip("unshare and mount (util-linux) are needed for a private mount namespace")
    with tempfile.TemporaryDirectory(prefix="cadoctor-mount-trial-") as scratch:
        trial = subprocess.run(
            ["unshare", "-m", "--propagation", "private", "--", "mount", "--bind", scratch, scratch],
            capture_output=True,
            text=True,
            timeout=CHILD_TIMEOUT,
            check=False,
        )
    if trial.returncode != 0:
        pytest.skip("unshare -m cannot bind-mount here: %s" % (trial.stderr.strip() or trial.returncode))


def snapshot(directory: Path = SYSTEM_CERTS) -> str:
    """A digest of a directory's names, link targets and file contents (to prove it was not changed)."""
    digest = hashlib.sha256()
    for entry in sorted(directory.iterdir()):
        digest.update(entry.name.encode() + b"\0")
        if entry.is_symlink():
            digest.update(b"-> " + os.readlink(entry).encode())
        elif entry.is_file():
            digest.update(hashlib.sha256(entry.read_bytes()).digest())
        digest.update(b"\n")
    return digest.hexdigest()


def _write_fresh(path: Path, data: bytes) -> None:
    """Replace `path` in the copy by a new regular file: never write through a link that may lead out of the copy."""
    if path.is_symlink() or path.exists():
        path.unlink()
    with path.open("xb") as stream:
        stream.write(data)


@contextlib.contextmanager
def os_store_with(
    *roots: Path, hash_links: bool = True, anchors: bool = False, in_store: bool = True
) -> Iterator[OsStore]:
    """A copy of /etc/ssl/certs that also trusts `roots` (PEM files), usable through the yielded `OsStore`.

    With `anchors`, the roots are also added to a copy of /usr/local/share/ca-certificates (the folder an
    administrator adds roots to, from which update-ca-certificates builds the bundle): they are local roots.
    Without `in_store` they are only there: added by the administrator, but update-ca-certificates not run.

    With `hash_links` (Debian): the whole directory, each root appended to ca-certificates.crt and linked as
    `<subject-hash>.N` (N past any existing link). Without (RHEL-like): a directory holding only the bundle, so a
    lookup by hashed name (capath, SSL_CERT_DIR) finds nothing. The copy lives in a temporary directory that is
    removed afterwards; the real directory is read, never written.
    """
    namespace_or_skip()
    with tempfile.TemporaryDirectory(prefix="cadoctor-os-store-") as scratch:
        copy = Path(scratch) / "certs"
        bundle = (SYSTEM_CERTS / SYSTEM_BUNDLE_NAME).read_bytes()
        if hash_links:
            shutil.copytree(SYSTEM_CERTS, copy, symlinks=True)
        else:
            copy.mkdir()
        for index, root in enumerate(roots if in_store else ()):
            pem = root.read_bytes()
            bundle = bundle.rstrip(b"\n") + b"\n" + pem.rstrip(b"\n") + b"\n"
            if hash_links:
                own = "cadoctor-extra-%d.pem" % index
                _write_fresh(copy / own, pem)
                stem = subject_hash(root)
                number = 0
                while os.path.lexists(copy / ("%s.%d" % (stem, number))):
                    number += 1
                (copy / ("%s.%d" % (stem, number))).symlink_to(own)
        _write_fresh(copy / SYSTEM_BUNDLE_NAME, bundle)
        script = 'mount --bind "$0" %s && exec "$@"' % SYSTEM_CERTS
        if anchors:
            if not LOCAL_ANCHORS.is_dir():
                pytest.skip("no %s to mount local roots over" % LOCAL_ANCHORS)
            folder = Path(scratch) / "anchors"
            shutil.copytree(LOCAL_ANCHORS, folder, symlinks=True)  # the store's links into it keep working
            for index, root in enumerate(roots):
                _write_fresh(folder / ("cadoctor-extra-%d.crt" % index), root.read_bytes())
            mount = "mount --bind %s %s" % (shlex.quote(str(folder)), LOCAL_ANCHORS)
            script = 'mount --bind "$0" %s && %s && exec "$@"' % (SYSTEM_CERTS, mount)
        prefix = ("unshare", "-m", "--propagation", "private", "--", "/bin/sh", "-c", script, str(copy))
        yield OsStore(copy, prefix, hash_links)


def run_in_os_store(
    argv: Sequence[str],
    env: Mapping[str, str],
    extra_roots: Sequence[Path],
    *,
    hash_links: bool = True,
    timeout: float = CHILD_TIMEOUT,
) -> subprocess.CompletedProcess[str]:
    """Run `argv` with exactly `env` in a private mount namespace whose /etc/ssl/certs also trusts `extra_roots`."""
    with os_store_with(*extra_roots, hash_links=hash_links) as store:
        return store.run(argv, env, timeout)
