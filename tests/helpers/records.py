"""Model records for the pure rules' and fixes' tests: healthy defaults that a test changes by keyword.

Paths here are names only: no rule opens a file, so nothing depends on this machine's files. Where a rule
resolves a name (`os.path.realpath` on a library), the tests pass paths under `tmp_path`.
"""

from __future__ import annotations

from typing import Any

from cadoctor._model import (
    Bundle,
    ChainCertificate,
    Distribution,
    Facts,
    HostCheck,
    LoadedLibrary,
    LocalRoot,
    RootHolder,
    Runtime,
    Stack,
    Subject,
    SystemLibrary,
    TrustSource,
)
from cadoctor._record import replace

OPENSSLDIR = "/usr/lib/ssl"
COMPILED_CAFILE = "/usr/lib/ssl/cert.pem"
COMPILED_CAPATH = "/usr/lib/ssl/certs"
SYSTEM_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"
CERTIFI = "/srv/app/venv/lib/python3.12/site-packages/certifi/cacert.pem"
PRIVATE = "/srv/app/private-ca.pem"
GRPC_ROOTS = "/srv/app/venv/lib/python3.12/site-packages/grpc/_cython/_credentials/roots.pem"
LIBCRYPTO = "/usr/lib/x86_64-linux-gnu/libcrypto.so.3"
PUBLIC_ROOTS = frozenset({"public-root-1", "public-root-2", "public-root-3"})


def bundle(path: str, *roles: str, **changes: Any) -> Bundle:
    """A regular CA file owned by root that holds 140 parseable, valid certificates."""
    base = Bundle(
        path,
        roles,
        "file",
        "regular",
        realpath=path,
        size=200_000,
        uid=0,
        gid=0,
        mode=0o644,
        certificates=140,
        marked=140,
        identities=PUBLIC_ROOTS,
    )
    return replace(base, **changes)


def directory(path: str, *roles: str, **changes: Any) -> Bundle:
    """A hashed CA directory owned by root: 140 hash links, each named by its certificate's subject hash."""
    base = Bundle(path, roles, "directory", "directory", realpath=path, uid=0, gid=0, mode=0o755, hash_links=140)
    return replace(base, **changes)


def missing(path: str, *roles: str) -> Bundle:
    """A name that reaches nothing, as the disk inventory records one."""
    return Bundle(path, roles, "other", "missing", error="does not exist")


def runtime(**changes: Any) -> Runtime:
    """CPython 3.12 on Debian with OpenSSL 3.0, reading its compiled defaults; no CA variable set."""
    base = Runtime(
        python_version="3.12.3",
        implementation="cpython",
        executable="/usr/bin/python3.12",
        prefix="/usr",
        base_prefix="/usr",
        hints=(),
        system="linux",
        os_release={"ID": "debian", "VERSION_ID": "12"},
        euid=1000,
        ssl_available=True,
        ssl_error=None,
        openssl_version="OpenSSL 3.0.13 30 Jan 2024",
        openssl_version_info=(3, 0, 0, 13, 0),
        ssl_module_file="/usr/lib/python3.12/lib-dynload/_ssl.cpython-312-x86_64-linux-gnu.so",
        cafile_env="SSL_CERT_FILE",
        capath_env="SSL_CERT_DIR",
        compiled_cafile=COMPILED_CAFILE,
        compiled_capath=COMPILED_CAPATH,
        cafile=TrustSource(COMPILED_CAFILE, "compiled"),
        capaths=(TrustSource(COMPILED_CAPATH, "compiled"),),
        context_ok=True,
        context_error=None,
        context_skipped=None,
        context_loaded=140,
        libraries_available=True,
        libraries_reason=None,
        environment={},
    )
    return replace(base, **changes)


def library(path: str = LIBCRYPTO, **changes: Any) -> LoadedLibrary:
    """The libcrypto the `ssl` module runs, as the loader found it, with an OPENSSLDIR that exists."""
    base = LoadedLibrary(
        path=path,
        realpath=path,
        role="libcrypto",
        in_use=True,
        deleted=False,
        replaced=False,
        flavour="OpenSSL",
        version="OpenSSL 3.0.13 30 Jan 2024",
        openssldir=OPENSSLDIR,
        enginesdir=None,
        modulesdir=None,
        openssldir_exists=True,
    )
    return replace(base, **changes)


def system_library(soname: str, path: str, **changes: Any) -> SystemLibrary:
    """A library the loader's cache names, with an OPENSSLDIR that exists."""
    return replace(SystemLibrary(soname, path, OPENSSLDIR, True), **changes)


def healthy_bundles() -> tuple[Bundle, ...]:
    """The compiled defaults in effect (a full file and a hashed folder) and the OS bundle they link to."""
    return (
        bundle(COMPILED_CAFILE, "in-effect:cafile", "compiled-cafile"),
        directory(COMPILED_CAPATH, "in-effect:capath", "compiled-capath"),
        bundle(SYSTEM_BUNDLE, "system"),
    )


def facts(**changes: Any) -> Facts:
    """A healthy interpreter: its compiled defaults serve 140 roots and nothing else is installed."""
    base = Facts(runtime=runtime(), libraries=(library(),), system_libraries=(), bundles=healthy_bundles())
    return replace(base, **changes)


def unserved(**changes: Any) -> Facts:
    """Facts whose default context loaded nothing and whose hashed folder has no link: nothing serves."""
    empty_dir = directory(COMPILED_CAPATH, "in-effect:capath", "compiled-capath", hash_links=0)
    base = with_bundles(facts(runtime=runtime(context_loaded=0)), empty_dir)
    return replace(base, **changes)


def with_bundles(base: Facts, *added: Bundle) -> Facts:
    """The facts with more bundles, or with these replacing the ones of the same path."""
    paths = {b.path for b in added}
    return replace(base, bundles=(*(b for b in base.bundles if b.path not in paths), *added))


def with_environment(base: Facts, **variables: str) -> Facts:
    """The facts with variables added to the examined process's environment."""
    return replace(base, runtime=replace(base.runtime, environment={**base.runtime.environment, **variables}))


def with_clients(*clients: tuple[str, str], certifi: bool = True, **changes: Any) -> Facts:
    """Healthy facts with these clients installed (grpcio with its roots.pem) and, unless told not to, certifi."""
    installed = tuple(distribution(n, v, GRPC_ROOTS if n == "grpcio" else None) for n, v in clients)
    base = facts(runtime=runtime(certifi=CERTIFI if certifi else None), distributions=installed)
    base = with_bundles(base, bundle(CERTIFI, "certifi")) if certifi else base
    return replace(base, **changes)


def certificate(subject: str, issuer: str | None = None, **changes: Any) -> ChainCertificate:
    """A certificate a server presented, issued by `issuer` (self-issued when none is named)."""
    base = ChainCertificate(
        subject=subject,
        issuer=issuer or subject,
        not_before="2025-01-01T00:00:00+00:00",
        not_after="2026-01-01T00:00:00+00:00",
        subject_key_id=None,
        authority_key_id=None,
        self_issued=issuer is None or issuer == subject,
    )
    return replace(base, **changes)


def host(code: str | None = "host-unknown-ca", **changes: Any) -> HostCheck:
    """A handshake with app.example.test:443 that the default context refused for `code` (None: it succeeded)."""
    base = HostCheck(
        target="app.example.test",
        host="app.example.test",
        port=443,
        server_name="app.example.test",
        proxy=None,
        ok=code is None,
        stage="done" if code is None else "handshake",
        code=code,
        reason=None if code is None else "CERTIFICATE_VERIFY_FAILED",
        verify_code=None if code is None else 20,
        verify_message=None if code is None else "unable to get local issuer certificate",
        chain=(certificate("CN=app.example.test", "CN=Example Private Root"),),
        top_issuer="CN=Example Private Root",
    )
    return replace(base, **changes)


def holder(path: str, *roles: str, verifies: bool | None = True, reason: str | None = None) -> RootHolder:
    """A bundle on disk that holds the root a server's chain ends at."""
    return RootHolder(path, roles, verifies, reason)


def distribution(name: str, version: str, bundle: str | None = None) -> Distribution:
    """A TLS client installed in the examined interpreter's site-packages."""
    site = "/srv/app/venv/lib/python3.12/site-packages"
    return Distribution(name, version, "%s/%s-%s.dist-info" % (site, name, version), site, bundle=bundle)


def local_root(subject: str, identity: str, *found_in: str) -> LocalRoot:
    """A root the OS store holds that certifi lacks."""
    return LocalRoot(subject, found_in or (SYSTEM_BUNDLE,), identity=identity, der=b"0\x82" + identity.encode())


def stack(consumer: str, path: str = LIBCRYPTO, **changes: Any) -> Stack:
    """A TLS stack of the examined process: `consumer` verifies with the OpenSSL copy at `path`."""
    return replace(Stack(consumer, "OpenSSL", path, version="OpenSSL 3.0.13", library=path), **changes)


def process_subject(executable: str, *command: str, python: bool = False) -> Subject:
    """A process examined by --pid, read from files."""
    return Subject("process", executable, python, "files", pid=4242, command=command or (executable,))
