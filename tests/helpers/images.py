"""Real Debian images built from Debian's packages, and the ground truth measured by the image's own python3.

`check --root DIR` reads an unpacked image from its files alone; what the image would do is only known by
running it. So the images here are real: debootstrap of bookworm (minbase) from the mirror apt uses, and each
verdict comes from the image's own Python in a chroot, against a loopback server of the host (a chroot keeps the
host's network namespace, so 127.0.0.1 is the same there).

- Cached bases (`base_image(BASE)`, `NO_CA_CERTIFICATES`, `DEBIAN_REQUESTS`): each built once by debootstrap
  under the artefacts cache (`helpers.artefacts.cache_root()`), in `<name>.partial` under an flock, checked by
  its own python3 and renamed to `<name>` only then, as the other artefacts are. Debian's packages are kept in
  one deb cache there, so a later base downloads only what it adds.
- `image_copy(tmp_path, base)`: a private copy (`cp -a`) of a cached base that a test may change freely.
- Variants, each a fresh copy changed as a user would change it: `without_ca_certificates`, `anchor_waiting`,
  `debian_requests`, `pypi_certifi_shadowing`, `app_venv`; `trust_root` puts a root in an image's store the
  Debian way (an anchor, then update-ca-certificates).
- `run_in_image(image, argv, env)`: a command inside the image (`unshare -m`, /proc mounted, `chroot`), with
  exactly `env` (`image_env()` is the clean one); `apt_get` runs apt there, with the host's resolv.conf.
- `image_python_outcome(image, port, env)`: Y, N or X for one request by the image's own Python, classified as
  `helpers.clients` classifies the host's clients (it runs the same child script, passed with `-c`).

Everything needs root (debootstrap, chroot, mount): the callers skip, saying so, when not root, without
debootstrap or unshare, or when the mirror cannot be reached.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import subprocess
import time
import urllib.request
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from helpers.artefacts import BuildError, Recipe, built, cache_root, locked, run_step
from helpers.clients import Observation, observe, python_output
from helpers.environment import child_env, index_env
from helpers.venvs import CERTIFI

IMAGES = "2"  # bump to rebuild every image after a change that the digest of a base does not see
SUITE = "bookworm"
MIRROR = "http://deb.debian.org/debian"  # the mirror apt uses here (/etc/apt/sources.list.d/debian.sources)
IMAGE_PYTHON = "3.11"  # bookworm's python3
ROOT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"  # what root's shell searches
RUN_TIMEOUT = 60.0
APT_TIMEOUT = 600.0
SYSTEM_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"
LOCAL_ANCHOR = "usr/local/share/ca-certificates/corp.crt"  # relative to the image
LOCAL_SITE = "usr/local/lib/python%s/dist-packages" % IMAGE_PYTHON  # before /usr/lib/python3/dist-packages
# What the image's python3 prints when its ssl module is there and its default context holds no root, or some.
STORE_COUNT = "import ssl; print(ssl.create_default_context().cert_store_stats()['x509_ca'])"
CERTIFI_WHERE = "import certifi; print(certifi.where())"
# Wheels for the image's Python (3.11), downloaded on the host: the versions CLIENTS.md measured.
IMAGE_WHEELS = ("requests==2.34.2", "urllib3==2.8.0", CERTIFI)
# /etc/hosts as Docker and Podman give a container: `localhost` is the loopback server's name in the image
HOSTS = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
# apt's words for a mirror it never reached (as opposed to one that answered with an error)
APT_UNREACHABLE = ("Temporary failure resolving", "Could not resolve", "Could not connect", "Network is unreachable")


@dataclass(frozen=True)
class Base:
    """One cached image: the packages debootstrap includes, and the code its python3 runs to prove it complete.

    `check` runs in the finished image as `python3 -c check` and must print exactly `ready`.
    """

    label: str
    include: tuple[str, ...]
    check: str

    @property
    def name(self) -> str:
        """Its directory in the cache: suite, label and a digest of everything that makes it."""
        recipe = [IMAGES, SUITE, MIRROR, "minbase", self.include, self.check]
        digest = hashlib.sha256(json.dumps(recipe).encode()).hexdigest()[:12]
        return "debian-%s-%s-%s" % (SUITE, self.label, digest)


BASE = Base(
    "base",
    ("python3", "python3-venv", "ca-certificates"),
    "import ensurepip, ssl, venv\n"
    "count = ssl.create_default_context().cert_store_stats()['x509_ca']\n"
    "assert count > 100, count\n"
    "print('ready')\n",
)
# Its own debootstrap (30 s, once: the debs are cached), not the base with `dpkg --purge ca-certificates` (a second
# on a copy): dpkg refuses, since python3-venv's python3-pip-whl depends on ca-certificates, and --force-depends
# leaves an image whose dpkg database is broken and which had ca-certificates once.
NO_CA_CERTIFICATES = Base(
    "no-ca-certificates",
    ("python3",),
    "import os, ssl\n"
    "folder = '/etc/ssl/certs'\n"
    "assert not os.path.isdir(folder) or not os.listdir(folder), os.listdir(folder)\n"
    "assert ssl.create_default_context().cert_store_stats()['x509_ca'] == 0\n"
    "print('ready')\n",
)
DEBIAN_REQUESTS = Base(
    "debian-requests",
    ("python3", "python3-venv", "ca-certificates", "python3-requests"),
    "import certifi, requests\nassert certifi.where() == %r, certifi.where()\nprint('ready')\n" % SYSTEM_BUNDLE,
)


def root_or_skip() -> None:
    """Skip unless this is root with debootstrap, unshare, mount and chroot: images are built and entered as root."""
    if os.geteuid() != 0:
        pytest.skip("Debian images need root (debootstrap, chroot, mount)")
    for tool in ("unshare", "mount", "chroot"):
        if shutil.which(tool, path=ROOT_PATH) is None:
            pytest.skip("%s is needed to run a command inside a Debian image" % tool)


def _mirror_or_skip() -> None:
    """Skip unless the mirror answers for the suite's Release file (debootstrap would fail deep inside otherwise)."""
    url = "%s/dists/%s/Release" % (MIRROR, SUITE)
    try:
        with urllib.request.urlopen(url, timeout=20) as response:  # noqa: S310 - a constant http(s) URL
            response.read(1)
    except OSError as exc:
        pytest.skip("the Debian mirror %s cannot be reached: %s" % (MIRROR, exc))


def _build_env() -> dict[str, str]:
    """debootstrap's environment: root's PATH and this user's proxy settings (its wget reads them), nothing else."""
    proxies = {key: value for key, value in os.environ.items() if key.lower().endswith("_proxy")}
    return child_env(PATH=ROOT_PATH, **proxies)


def _complete(directory: Path) -> bool:
    """Whether a cached image was finished: its stamp is written last, after its python3 proved it whole."""
    return (directory / "image.json").is_file() and (directory / "root" / "usr" / "bin" / "python3").is_file()


def _debootstrap(base: Base, directory: Path, log: Path) -> None:
    """Make the image in `directory/root` from the mirror, check it with its own python3, and stamp it."""
    started = time.monotonic()
    debs = cache_root() / "debian-debs"  # shared by the bases, under the one images lock
    debs.mkdir(exist_ok=True)
    # in a private mount namespace: the /proc and /sys debootstrap mounts in the image end with it, even if killed
    argv = ["unshare", "-m", "--propagation", "private", "--", "debootstrap", "--variant=minbase"]
    argv += ["--cache-dir=%s" % debs, "--include=%s" % ",".join(base.include), SUITE, str(directory / "root"), MIRROR]
    try:
        run_step("debootstrap", argv, _build_env(), directory, log)
    except BuildError as exc:
        unreachable = [line for line in exc.output.splitlines() if "Failed getting release file" in line]
        if unreachable:
            pytest.skip("debootstrap cannot reach %s: %s" % (MIRROR, unreachable[-1]))
        raise
    hosts = directory / "root" / "etc" / "hosts"  # minbase writes none; a container runtime provides one
    hosts.write_text(HOSTS, encoding="utf-8")
    output = run_in_image(directory / "root", ["/usr/bin/python3", "-c", base.check], image_env())
    if output.returncode != 0 or output.stdout != "ready\n":
        argv = ["python3", "-c", base.check]
        raise BuildError("trial run", argv, output.returncode, output.stdout + output.stderr, log)
    packages = run_in_image(directory / "root", ["dpkg-query", "-W", "-f", "${Package}=${Version}\\n"], image_env())
    stamp = {
        "suite": SUITE,
        "mirror": MIRROR,
        "include": base.include,
        "packages": packages.stdout.split(),
        "seconds": round(time.monotonic() - started, 1),
        "built": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    (directory / "image.json").write_text(json.dumps(stamp, indent=1), encoding="utf-8")


def ensure_image(base: Base) -> Path:
    """The cached image's root directory, debootstrapped first if it is not there yet."""
    cache = cache_root()
    final = cache / base.name
    if _complete(final):
        return final / "root"
    root_or_skip()
    if shutil.which("debootstrap", path=ROOT_PATH) is None:
        pytest.skip("debootstrap is needed to build a Debian image (apt-get install debootstrap)")
    cache.mkdir(parents=True, exist_ok=True)
    with locked(cache / "debian-images.lock"):  # one build at a time: they share the deb cache
        if _complete(final):  # built by another process while this one waited
            return final / "root"
        _mirror_or_skip()
        partial = cache / (base.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)  # left by a build that was killed
        shutil.rmtree(final, ignore_errors=True)  # damaged since it was built
        partial.mkdir()
        log = cache / (base.name + ".log")
        log.write_text("", encoding="utf-8")
        _debootstrap(base, partial, log)
        os.rename(partial, final)
    return final / "root"


_OUTCOMES: dict[str, Path | BaseException] = {}


def base_image(base: Base) -> Path:
    """`ensure_image` at most once per session: later calls give the same path, or the same skip or failure.

    The cached image is shared: change only a copy of it (`image_copy`).
    """
    known = _OUTCOMES.get(base.name)
    if isinstance(known, BaseException):
        raise known.with_traceback(None)
    if known is not None:
        return known
    try:
        root = ensure_image(base)
    except (BuildError, pytest.skip.Exception) as exc:
        _OUTCOMES[base.name] = exc
        raise
    _OUTCOMES[base.name] = root
    return root


def image_copy(tmp_path: Path, base: Base = BASE) -> Path:
    """A private copy of a cached base for one test, which it may change freely; a new folder under `tmp_path`.

    `cp -a` keeps owners, modes, links and device nodes, and takes one to three seconds for a base of 280 MB; a
    hard-linked copy takes a tenth of a second but would let a file changed in place (an append, dpkg's
    status) reach the cache that every later test copies.
    """
    source = base_image(base)
    number = 0
    while (tmp_path / ("image-%s-%d" % (base.label, number))).exists():
        number += 1
    target = tmp_path / ("image-%s-%d" % (base.label, number))
    subprocess.run(["cp", "-a", str(source), str(target)], check=True, timeout=RUN_TIMEOUT)
    return target


def discard(folder: Path) -> None:
    """Remove a test's image copies (280 MB each), which pytest would otherwise keep for three sessions.

    Safe to call once their commands have ended: /proc and /dev were mounted only in those commands' private
    mount namespaces, which ended with them, so nothing under `folder` is mounted in this one.
    """
    shutil.rmtree(folder, ignore_errors=True)


# ----- running inside an image -----


def image_env(**extra: str) -> dict[str, str]:
    """A command's environment inside an image: root's PATH, LANG and HOME there, nothing of this host; then `extra`."""
    env = {"PATH": ROOT_PATH, "LANG": "C.UTF-8", "HOME": "/root"}
    env.update(extra)
    return env


def image_prefix(image: Path) -> tuple[str, ...]:
    """The argv prefix that runs a command inside `image`: a private mount namespace, /proc mounted, chroot.

    /dev is bound from the host only when the image has no device nodes of its own (debootstrap makes them).
    The mounts vanish with the namespace; the host's mounts are never touched.
    """
    script = (
        'mount -t proc proc "$0/proc" && { [ -c "$0/dev/null" ] || mount --rbind /dev "$0/dev"; } '
        '&& exec chroot "$0" "$@"'
    )
    return ("unshare", "-m", "--propagation", "private", "--", "/bin/sh", "-c", script, str(image))


def run_in_image(
    image: Path, argv: Sequence[str], env: Mapping[str, str], *, timeout: float = RUN_TIMEOUT
) -> subprocess.CompletedProcess[str]:
    """Run `argv` inside `image` (chroot) with exactly `env`; its output is captured, its exit code not checked."""
    root_or_skip()
    return subprocess.run(
        [*image_prefix(image), *argv],
        env=dict(env),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def run_ok(
    image: Path, argv: Sequence[str], env: Mapping[str, str] | None = None, *, timeout: float = RUN_TIMEOUT
) -> str:
    """Run `argv` inside `image` (with `image_env()` by default) and return its output; fail the test on an error."""
    done = run_in_image(image, argv, image_env() if env is None else env, timeout=timeout)
    assert done.returncode == 0, "%s in %s exited %d:\n%s%s" % (argv, image, done.returncode, done.stdout, done.stderr)
    return done.stdout


def apt_get(image: Path, *args: str, timeout: float = APT_TIMEOUT) -> str:
    """`apt-get update`, then `apt-get <args>` inside `image`, from the mirror its sources.list names.

    The host's resolv.conf is copied in first (the one debootstrap copied may be stale). Skips when the mirror
    cannot be reached; fails the test on any other error.
    """
    resolv = image / "etc" / "resolv.conf"
    if resolv.is_symlink() or resolv.exists():
        resolv.unlink()
    shutil.copyfile("/etc/resolv.conf", resolv)
    proxies = {key: value for key, value in os.environ.items() if key.lower().endswith("_proxy")}
    env = image_env(DEBIAN_FRONTEND="noninteractive", **proxies)
    script = 'apt-get update -q && exec apt-get "$@"'
    done = run_in_image(image, ["/bin/sh", "-c", script, "apt-get", *args], env, timeout=timeout)
    output = done.stdout + done.stderr
    unreachable = [line for line in output.splitlines() if any(word in line for word in APT_UNREACHABLE)]
    if unreachable:
        pytest.skip("apt in the image cannot reach its mirror: %s" % unreachable[-1])
    assert done.returncode == 0, "apt-get %s in %s exited %d:\n%s" % (" ".join(args), image, done.returncode, output)
    return output


def image_observe(
    image: Path, port: int, env: Mapping[str, str], python: str = "/usr/bin/python3", client: str = "urllib"
) -> Observation:
    """One request by `client` in the image's own `python` to https://localhost:`port`/, with its evidence."""
    root_or_skip()
    return observe(python, client, port, env, prefix=image_prefix(image))


def image_python_outcome(
    image: Path, port: int, env: Mapping[str, str], python: str = "/usr/bin/python3", client: str = "urllib"
) -> str:
    """Y, N or X for one request by `client` (urllib, or requests where installed) in the image's own `python`."""
    return image_observe(image, port, env, python, client).code


def image_python_output(image: Path, code: str, python: str = "/usr/bin/python3") -> str:
    """What `python -c code` prints inside the image (stripped), with `image_env()`; fail the test on an error."""
    root_or_skip()
    return python_output(python, code, image_env(), prefix=image_prefix(image))


def store_count(image: Path) -> int:
    """How many roots the image's python3 loads into a default context (its OpenSSL's default paths)."""
    return int(image_python_output(image, STORE_COUNT))


# ----- the variants -----


def trust_root(image: Path, root_pem: Path) -> str:
    """Put `root_pem` in the image's store the Debian way, and return what update-ca-certificates said.

    The root becomes an anchor in /usr/local/share/ca-certificates, then the image's own update-ca-certificates
    adds it to /etc/ssl/certs (its bundle and a hashed link).
    """
    _write_anchor(image, root_pem)
    return run_ok(image, ["update-ca-certificates"])


def _write_anchor(image: Path, root_pem: Path) -> None:
    """Copy the root into the image's folder of local anchors as corp.crt (a new file: never through a link)."""
    anchor = image / LOCAL_ANCHOR
    anchor.parent.mkdir(parents=True, exist_ok=True)
    if anchor.is_symlink() or anchor.exists():
        anchor.unlink()
    anchor.write_bytes(root_pem.read_bytes())


def without_ca_certificates(tmp_path: Path) -> Path:
    """A copy of the base that never had ca-certificates: no /etc/ssl/certs, and an ssl module that loads no root."""
    return image_copy(tmp_path, NO_CA_CERTIFICATES)


def anchor_waiting(tmp_path: Path, root_pem: Path) -> Path:
    """A copy of the base where an administrator added `root_pem` as an anchor but ran no update-ca-certificates."""
    image = image_copy(tmp_path, BASE)
    _write_anchor(image, root_pem)
    return image


def debian_requests(tmp_path: Path) -> Path:
    """A copy of the base with Debian's python3-requests, whose certifi names the system bundle."""
    return image_copy(tmp_path, DEBIAN_REQUESTS)


def _download_wheels(python: Path, directory: Path, log: Path) -> None:
    """Download the image's wheels (for its Python, not this one) into `wheelhouse/`."""
    argv = [str(python), "-m", "pip", "download", "--only-binary=:all:", "--python-version", IMAGE_PYTHON]
    run_step("pip download", [*argv, "-d", str(directory / "wheelhouse"), *IMAGE_WHEELS], index_env(), directory, log)


WHEELS_CHECK = """\
import glob
assert glob.glob("wheelhouse/certifi-*.whl") and glob.glob("wheelhouse/requests-*.whl"), glob.glob("wheelhouse/*")
print("ready")
"""


def image_wheelhouse() -> Path:
    """A folder of wheels for the image's Python: requests, urllib3, certifi and their dependencies, from PyPI."""
    recipe = Recipe(
        tool="debian-image-wheels",
        version=IMAGES,
        requirements=("pip",),
        product="venv/bin/python",
        files=(("wheels.txt", "\n".join((IMAGE_PYTHON, *IMAGE_WHEELS))),),  # in the digest: another set downloads
        build=_download_wheels,
        check=("-c", WHEELS_CHECK),
    )
    return built(recipe) / "wheelhouse"


def pypi_certifi_shadowing(tmp_path: Path) -> Path:
    """Debian's requests, with PyPI's certifi unpacked into /usr/local/lib/python3.11/dist-packages.

    That folder comes before /usr/lib/python3/dist-packages on Debian's sys.path, so `import certifi` finds
    PyPI's, and Debian's requests verifies with its cacert.pem instead of the system bundle.
    """
    image = debian_requests(tmp_path)
    (wheel,) = image_wheelhouse().glob("certifi-*.whl")
    site = image / LOCAL_SITE
    site.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    return image


APP_VENV = "/opt/venv"


def app_venv(tmp_path: Path) -> Path:
    """The base with /opt/venv made by the image's own `python3 -m venv`, requests and certifi in it from PyPI.

    The wheels are downloaded on the host and installed in the chroot without an index; the venv's python is
    `/opt/venv/bin/python` inside the image.
    """
    image = image_copy(tmp_path, BASE)
    wheels = image / "tmp" / "wheels"
    shutil.copytree(image_wheelhouse(), wheels)
    try:
        run_ok(image, ["/usr/bin/python3", "-m", "venv", APP_VENV])
        pip = ["%s/bin/python" % APP_VENV, "-m", "pip", "install", "-q", "--no-index", "--find-links", "/tmp/wheels"]
        run_ok(image, [*pip, *IMAGE_WHEELS], image_env(PIP_DISABLE_PIP_VERSION_CHECK="1"), timeout=120)
    finally:
        with contextlib.suppress(OSError):
            shutil.rmtree(wheels)
    return image
