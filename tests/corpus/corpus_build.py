"""Builds one real-world setup of tests/corpus/data/setups.json here: its PKI, files, OS store and interpreter.

A setup is data (see `docs` in tests/corpus/data/setups.json); this module turns it into real things:

- `make_pki`: a private root (optionally with an intermediate, or made the legacy way Python 3.13 rejects), a leaf
  for `localhost` and 127.0.0.1, an unrelated root, and a second root that stands in for a public one.
- `write_content`: the vocabulary a setup names files with (`root`, `root.der`, `system+root`, `hashed:root`,
  `fifo`, ...).
- `Context`: the private mount namespace a setup needs (a copy of /etc/ssl/certs built by the real
  update-ca-certificates, a copy of /usr/local/share/ca-certificates, Debian's packages where apt puts them, the
  host's /etc/pip.conf hidden), as an argv prefix; `guarded()` is the same with / read-only and no network, for
  running what a fix prints without letting it touch this machine.
- `foreign_openssl`: a copy of this machine's libcrypto whose compiled OPENSSLDIR is another folder (an
  interpreter that carries its own OpenSSL). The Pythons themselves come from corpus_pythons.py.

Nothing here changes the machine: copies live in the setup's work folder and are bind-mounted only inside the
namespace of the commands that run through a prefix.
"""

from __future__ import annotations

import datetime
import hashlib
import ipaddress
import json
import os
import shutil
import ssl
import subprocess
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from corpus_pythons import debian_minor, debian_packages, interpreter
from helpers import environment, os_store

SETUPS_FILE = Path(__file__).resolve().parent / "data" / "setups.json"
SYSTEM_CERTS = Path("/etc/ssl/certs")
SYSTEM_BUNDLE = SYSTEM_CERTS / "ca-certificates.crt"
LOCAL_ANCHORS = Path("/usr/local/share/ca-certificates")
DEBIAN_SITE = Path("/usr/lib/python3/dist-packages")
PIP_CONFIGS = (Path("/etc/pip.conf"), Path("/etc/xdg/pip/pip.conf"))  # site-wide pip configuration a setup hides
TOOL_TIMEOUT = 120.0
ROOT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"  # what root's shell searches
# What each need names: the slice of issue 23 that builds the mechanism a failing setup waits for.
NEEDS = {
    "resolvers": "each client's store from its own resolver; .egg-info discovery in the examined interpreter's paths",
    "semantics": "one measured semantics per client for every value; config-file settings as variables",
    "openssl": "files as the loaded libcrypto reads them; partial chains judged by the examined Python's flags",
    "anchors": "the store tools' own rules for anchor folders",
    "evidence": "fixes chosen from stores proven to verify the host; only a fix that worked is first",
}


def load_setups() -> list[dict[str, Any]]:
    """Every setup of the corpus, in file order."""
    document: dict[str, Any] = json.loads(SETUPS_FILE.read_text(encoding="utf-8"))
    return list(document["setups"])


# ----- the PKI -----


@dataclass(frozen=True)
class Pki:
    """PEM (and DER) bytes of one setup's certificates: the private root, its optional intermediate, a leaf."""

    root: bytes
    root_der: bytes
    intermediate: bytes | None
    leaf: bytes
    key: bytes
    unrelated: bytes  # a root that signs nothing here: a bundle that "lacks the root"
    public: bytes  # a second root that stands in for a public one (put in the OS store where a setup says so)
    public_leaf: bytes
    public_key: bytes
    untrusted_leaf: (
        bytes  # a leaf under the unrelated root, which no store holds: a client that accepts it verifies nothing
    )
    untrusted_key: bytes
    reissued_leaf: bytes  # the private leaf as its issuer should have made it (with an authority key identifier)
    reissued_key: bytes


def _name(common_name: str) -> Any:
    """An X.509 name with one CN."""
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _ca(subject: str, key: Any, issuer: str, issuer_key: Any, options: Mapping[str, Any]) -> Any:
    """A CA certificate: strict by default (critical basicConstraints, keyUsage, key identifiers)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=2))
        .not_valid_after(now + datetime.timedelta(days=60))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=options.get("bc_critical", True))
    )
    if options.get("key_usage", True):
        usage = x509.KeyUsage(False, False, False, False, False, True, True, False, False)
        builder = builder.add_extension(usage, critical=True)
    if options.get("ski", True):
        builder = builder.add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    if subject != issuer:
        aki = x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key())
        builder = builder.add_extension(aki, critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def _leaf(issuer: str, issuer_key: Any, aki: bool = True) -> tuple[Any, Any]:
    """A server certificate for localhost and 127.0.0.1, and its key."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    now = datetime.datetime.now(datetime.timezone.utc)
    key = ec.generate_private_key(ec.SECP256R1())
    names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name("localhost"))
        .issuer_name(_name(issuer))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
    )
    if aki:
        aki_extension = x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key())
        builder = builder.add_extension(aki_extension, critical=False)
    return builder.sign(issuer_key, hashes.SHA256()), key


def make_pki(label: str, options: Mapping[str, Any]) -> Pki:
    """The certificates of one setup, named after it so that no store on the host holds them by chance.

    `options`: `intermediate` (the leaf is signed by an intermediate), `root` (`bc_critical`, `key_usage`, `ski`:
    False makes the legacy CA Python 3.13's strict verification rejects), `leaf_aki` (False: the leaf lacks an
    authority key identifier).
    """
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    pem, der = serialization.Encoding.PEM, serialization.Encoding.DER
    label = "%s %s" % (label[:16], hashlib.sha256(label.encode()).hexdigest()[:6])  # a CN holds 64 characters
    root_name = "cadoctor corpus %s Root" % label
    root_key = ec.generate_private_key(ec.SECP256R1())
    root = _ca(root_name, root_key, root_name, root_key, options.get("root", {}))
    signer_name, signer_key, intermediate = root_name, root_key, None
    if options.get("intermediate"):
        signer_name = "cadoctor corpus %s Intermediate" % label
        signer_key = ec.generate_private_key(ec.SECP256R1())
        intermediate = _ca(signer_name, signer_key, root_name, root_key, {})
    leaf, key = _leaf(signer_name, signer_key, aki=options.get("leaf_aki", True))
    reissued, reissued_key = _leaf(signer_name, signer_key)
    unrelated_name = "cadoctor corpus %s Unrelated Root" % label
    unrelated_key = ec.generate_private_key(ec.SECP256R1())
    unrelated = _ca(unrelated_name, unrelated_key, unrelated_name, unrelated_key, {})
    public_name = "cadoctor corpus %s Public Stand-in Root" % label
    public_key = ec.generate_private_key(ec.SECP256R1())
    public = _ca(public_name, public_key, public_name, public_key, {})
    public_leaf, public_leaf_key = _leaf(public_name, public_key)
    untrusted_leaf, untrusted_key = _leaf(unrelated_name, unrelated_key)
    private = serialization.PrivateFormat.PKCS8

    def key_bytes(one: Any) -> bytes:
        return bytes(one.private_bytes(pem, private, serialization.NoEncryption()))

    return Pki(
        root=root.public_bytes(pem),
        root_der=root.public_bytes(der),
        intermediate=intermediate.public_bytes(pem) if intermediate is not None else None,
        leaf=leaf.public_bytes(pem),
        key=key_bytes(key),
        unrelated=unrelated.public_bytes(pem),
        public=public.public_bytes(pem),
        public_leaf=public_leaf.public_bytes(pem),
        public_key=key_bytes(public_leaf_key),
        untrusted_leaf=untrusted_leaf.public_bytes(pem),
        untrusted_key=key_bytes(untrusted_key),
        reissued_leaf=reissued.public_bytes(pem),
        reissued_key=key_bytes(reissued_key),
    )


# ----- file contents -----

CERTIFICATES = ("root", "root.der", "intermediate", "root+intermediate", "unrelated", "public", "leaf", "key")
BUNDLES = ("system", "system+root", "system+public+root", "stale-system")
DIRECTORIES = ("hashed:root", "unhashed:root", "hashed:unrelated", "empty-dir")
# and `text:...`, `link:...`
OTHERS = ("fifo", "certifi-without-bundle", "certifi", "certifi-2018.zip", "botocore-without-bundle")
VOCABULARY = (*CERTIFICATES, *BUNDLES, *DIRECTORIES, *OTHERS)


def known_content(spec: str) -> bool:
    """Whether a setup's content spec is one this module can build."""
    return spec in VOCABULARY or spec.startswith(("text:", "link:"))


def _certificate(pki: Pki, spec: str) -> bytes:
    """The bytes of one of the named certificates."""
    intermediate = pki.intermediate or b""
    return {
        "root": pki.root,
        "root.der": pki.root_der,
        "intermediate": intermediate,
        "root+intermediate": intermediate + pki.root,
        "unrelated": pki.unrelated,
        "public": pki.public,
        "leaf": pki.leaf,
        "key": pki.key,
    }[spec]


def _joined(*parts: bytes) -> bytes:
    """PEM texts one after another, each ending in a newline (as update-ca-certificates writes them)."""
    return b"".join(part.rstrip(b"\n") + b"\n" for part in parts if part)


def expand(text: str, work: Path) -> str:
    """A setup's value with `{work}` (its work folder) and `{system}` (the system bundle's path) filled in."""
    return text.replace("{work}", str(work)).replace("{system}", str(SYSTEM_BUNDLE))


def write_content(path: Path, spec: str, pki: Pki, context: Context) -> None:
    """Create `path` holding what `spec` names (a file, a folder, a FIFO or a link); parents are made."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if spec in CERTIFICATES:
        path.write_bytes(_certificate(pki, spec))
    elif spec == "system":
        path.write_bytes(context.system_bundle())
    elif spec == "system+root":
        path.write_bytes(_joined(context.system_bundle(), pki.root))
    elif spec == "system+public+root":
        path.write_bytes(_joined(context.system_bundle(), pki.public, pki.root))
    elif spec == "stale-system":  # the machine's bundle as it was before this setup added any root
        path.write_bytes(SYSTEM_BUNDLE.read_bytes())
    elif spec.startswith(("hashed:", "unhashed:")):
        path.mkdir()
        member = path / "corp-root.pem"
        member.write_bytes(_certificate(pki, spec.split(":", 1)[1]))
        if spec.startswith("hashed:"):
            (path / ("%s.0" % os_store.subject_hash(member))).symlink_to(member.name)
    elif spec == "empty-dir":
        path.mkdir()
    elif spec == "fifo":
        os.mkfifo(path)
    elif spec.startswith("text:"):
        path.write_text(expand(spec[len("text:") :], context.work), encoding="utf-8")
    elif spec.startswith("link:"):
        path.symlink_to(expand(spec[len("link:") :], context.work))
    elif spec in ("certifi", "certifi-without-bundle"):
        _copy_certifi(path, with_bundle=spec == "certifi")
    elif spec == "certifi-2018.zip":
        _zip_old_certifi(path)
    elif spec == "botocore-without-bundle":
        _copy_botocore_without_bundle(path)
    else:
        raise ValueError("unknown content %r" % spec)


def _copy_certifi(folder: Path, *, with_bundle: bool) -> None:
    """PyPI certifi (package and .dist-info) copied from the clients venv into `folder`, as pip installs it there.

    Without the bundle, it is certifi as a slimmed image or a frozen app leaves it: where() names a missing file.
    """
    site = next(Path(interpreter("clients")).parent.parent.glob("lib/python3*/site-packages"))
    folder.mkdir(parents=True, exist_ok=True)
    for entry in [site / "certifi", *site.glob("certifi-*.dist-info")]:
        ignore = None if with_bundle else shutil.ignore_patterns("cacert.pem")
        shutil.copytree(entry, folder / entry.name, ignore=ignore)


def _copy_botocore_without_bundle(folder: Path) -> None:
    """PyPI botocore (package and .dist-info) from the certifi-less venv, without botocore/cacert.pem.

    As a freezer that does not collect the package's data files leaves it (Nuitka#505): where() names a missing file.
    """
    site = next(Path(interpreter("botocore-no-certifi")).parent.parent.glob("lib/python3*/site-packages"))
    folder.mkdir(parents=True, exist_ok=True)
    for entry in [site / "botocore", *site.glob("botocore-*.dist-info")]:
        shutil.copytree(entry, folder / entry.name, ignore=shutil.ignore_patterns("cacert.pem", "__pycache__"))


def _zip_old_certifi(archive: Path) -> None:
    """certifi 2018.4.16 (package and .dist-info) in a zip, as PySpark's addPyFile or an old freezer ships it.

    Its where() is the module's folder joined with cacert.pem: inside the archive, a path no one can open.
    """
    site = next(Path(interpreter("certifi-2018")).parent.parent.glob("lib/python3*/site-packages"))
    with zipfile.ZipFile(archive, "w") as stream:
        for entry in sorted([*(site / "certifi").rglob("*"), *site.glob("certifi-*.dist-info/*")]):
            if entry.is_file() and "__pycache__" not in entry.parts:
                stream.write(entry, entry.relative_to(site).as_posix())


# ----- the namespace -----


@dataclass
class Context:
    """What a setup's build has made so far: its work folder, mounts, and the OS store copy (if any)."""

    work: Path
    mounts: list[tuple[Path, Path]] = field(default_factory=list)  # (source, target) bind mounts, in order
    certs: Path | None = None  # the copy mounted on /etc/ssl/certs
    cleanups: list[Path] = field(default_factory=list)  # folders made outside the work folder, removed at the end

    def system_bundle(self) -> bytes:
        """The system bundle as the setup's namespace shows it (the machine's when the setup keeps the real one)."""
        if self.certs is not None and (self.certs / SYSTEM_BUNDLE.name).is_file():
            return (self.certs / SYSTEM_BUNDLE.name).read_bytes()
        return SYSTEM_BUNDLE.read_bytes()

    def prefix(self) -> tuple[str, ...]:
        """The argv prefix that runs a command in the setup's namespace (nothing when it needs none)."""
        return _mount_prefix(self.mounts, guard=None) if self.mounts else ()

    def guarded(self) -> tuple[str, ...]:
        """The prefix for what a fix prints: the same mounts, the work folder writable, / read-only, no network."""
        os_store.namespace_or_skip()
        return _mount_prefix([*self.mounts, (self.work, self.work)], guard=self.work)


# Bind-mount each (source, target) pair, then (guarded) make / read-only; `cd "$PWD"` enters the working folder
# anew, through the mounts (the inherited one is the folder underneath them).
_MOUNT_SCRIPT = (
    'while [ "$1" != -- ]; do mount --bind "$1" "$2" || exit 97; shift 2; done; shift; %s cd "$PWD"; exec "$@"'
)


def _mount_prefix(mounts: Sequence[tuple[Path, Path]], guard: Path | None) -> tuple[str, ...]:
    """`unshare -m` (and `-n` when guarded) with a script that bind-mounts each pair, then runs the command."""
    pairs = [str(part) for pair in mounts for part in pair]
    readonly = "mount -o remount,bind,ro / || exit 97;" if guard is not None else ""
    network = ("-n",) if guard is not None else ()
    script = _MOUNT_SCRIPT % readonly
    return ("unshare", "-m", *network, "--propagation", "private", "--", "/bin/sh", "-c", script, "sh", *pairs, "--")


def build_os_store(spec: Mapping[str, Any], pki: Pki, context: Context) -> None:
    """Mount copies of the OS store and the local anchor folder, changed as the setup says.

    `anchors` are written into the anchor folder; `tool` runs the real update-ca-certificates on the copies (its
    hooks left out: they keep Java's store, not OpenSSL's); `certs` are files dropped into /etc/ssl/certs by hand
    afterwards; `replace_certs` makes /etc/ssl/certs hold exactly those entries (a RHEL layout, a secret mounted
    over it, an image without ca-certificates); `openssldir` replaces the compiled OPENSSLDIR folder.
    """
    os_store.namespace_or_skip()
    if not LOCAL_ANCHORS.is_dir():
        pytest.skip("no %s (Debian's local anchor folder) to copy" % LOCAL_ANCHORS)
    work = context.work / "os"
    certs, anchors = work / "certs", work / "anchors"
    shutil.copytree(SYSTEM_CERTS, certs, symlinks=True)
    shutil.copytree(LOCAL_ANCHORS, anchors, symlinks=True)  # the store's links into it keep working
    context.certs = certs
    context.mounts += [(certs, SYSTEM_CERTS), (anchors, LOCAL_ANCHORS)]
    for name, content in spec.get("anchors", {}).items():
        write_content(anchors / name, content, pki, context)
    if spec.get("tool"):
        hooks = work / "no-hooks"
        hooks.mkdir()
        (context.work / "tmp").mkdir(exist_ok=True)
        done = subprocess.run(
            [*context.guarded(), update_ca_certificates(), "--hooksdir", str(hooks)],
            env=environment.child_env(TMPDIR=str(context.work / "tmp")),
            capture_output=True,
            text=True,
            timeout=TOOL_TIMEOUT,
            check=False,
        )
        assert done.returncode == 0, "update-ca-certificates failed: %s%s" % (done.stdout, done.stderr)
    for name, content in spec.get("certs", {}).items():
        write_content(certs / name, content, pki, context)
    if "replace_certs" in spec:
        replaced = work / "replaced-certs"
        replaced.mkdir()
        for name, content in spec["replace_certs"].items():
            write_content(replaced / name, content, pki, context)
        context.mounts[0] = (replaced, SYSTEM_CERTS)
        context.certs = replaced
    if "openssldir" in spec:
        openssldir = Path(ssl.get_default_verify_paths().openssl_cafile).parent
        tree = work / "openssldir"
        tree.mkdir()
        for entry in sorted(openssldir.iterdir()):  # openssl.cnf and friends stay as they are
            if entry.name not in ("cert.pem", "certs"):
                (tree / entry.name).symlink_to(os.readlink(entry) if entry.is_symlink() else entry)
        for name, content in spec["openssldir"].items():
            write_content(tree / name, content, pki, context)
        context.mounts.append((tree, openssldir))


def update_ca_certificates() -> str:
    """Debian's update-ca-certificates (in /usr/sbin, which a plain user's PATH leaves out)."""
    found = shutil.which("update-ca-certificates", path=ROOT_PATH)
    if found is None:
        pytest.skip("no update-ca-certificates here (Debian's ca-certificates)")
    return found


def hide_pip_configs(context: Context) -> None:
    """Bind an empty file over the host's site-wide pip configuration, so only the setup's own config counts."""
    present = [path for path in PIP_CONFIGS if path.is_file()]
    if not present:
        return
    os_store.namespace_or_skip()
    empty = context.work / "empty-pip.conf"
    empty.write_text("", encoding="utf-8")
    context.mounts += [(empty, path) for path in present]


def mount_debian(spec: Mapping[str, Any], pki: Pki, context: Context) -> None:
    """Debian's own packages where apt puts them, and /usr/local's dist-packages as the setup says (empty by default).

    The machine's own /usr/lib/python3/dist-packages (whatever this host installed) is hidden: the setup's
    python3 sees exactly the packages it names.
    """
    os_store.namespace_or_skip()
    tree = debian_packages()
    context.mounts.append((tree / DEBIAN_SITE.relative_to("/"), DEBIAN_SITE))
    local = Path("/usr/local/lib/python%s/dist-packages" % debian_minor())
    if not local.is_dir():
        pytest.skip("no %s to mount a /usr/local install over" % local)
    folder = context.work / "usr-local-dist-packages"
    folder.mkdir()
    for package in spec.get("usr_local", []):
        if package != "certifi":
            raise ValueError("only certifi can be put in /usr/local here, not %r" % package)
        _copy_certifi(folder, with_bundle=True)  # as `sudo pip install certifi` leaves it
    context.mounts.append((folder, local))


# ----- a libcrypto with another OPENSSLDIR -----


def foreign_openssl(spec: Mapping[str, Any], pki: Pki, context: Context) -> Path:
    """Copies of this machine's libcrypto and libssl whose compiled OPENSSLDIR is another folder of the same length.

    `openssldir`: `missing` (a folder that does not exist: the classic runtime built elsewhere), or the entries of a
    folder made for it (an interpreter that ships its own snapshot of roots, or an empty one).
    """
    from cadoctor._facts.child import build_strings

    mapped = [line.split()[-1] for line in Path("/proc/self/maps").read_text().splitlines() if "/" in line]
    crypto = next((Path(p) for p in mapped if Path(p).name.startswith("libcrypto.so")), None)
    libssl = next((Path(p) for p in mapped if Path(p).name.startswith("libssl.so")), None)
    if crypto is None or libssl is None:
        pytest.skip("this interpreter does not load a shared libcrypto/libssl")
    original = build_strings.read_build_strings(str(crypto))["openssldir"]
    assert original, "the system libcrypto names its OPENSSLDIR"
    folder = Path("/tmp") / ("c%s" % os.urandom(16).hex())[: len(original) - len("/tmp/")]
    if len(str(folder)) != len(original) or folder.exists():
        pytest.skip("no same-length folder for OPENSSLDIR %s" % original)
    wanted = spec["openssldir"]
    if wanted != "missing":
        folder.mkdir()
        context.cleanups.append(folder)
        for name, content in wanted.items():
            write_content(folder / name, content, pki, context)
    copies = context.work / "foreign-openssl"
    copies.mkdir()
    for source in (crypto, libssl):
        (copies / source.name).write_bytes(source.read_bytes().replace(original.encode(), str(folder).encode()))
    return copies


def remove_tree(folder: Path) -> None:
    """Remove a folder a setup made outside its work folder."""
    shutil.rmtree(folder, ignore_errors=True)
