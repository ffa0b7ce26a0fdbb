"""Anchor folders laid out as files: which tool applies, and what each tool takes, by its rules.

Debian's rules are proven with the real script in test_anchor_tool_rules.py; p11-kit's (RHEL, SUSE, Arch) here
with the real `trust extract`, configured with the trust paths RHEL builds p11-kit with, in a private mount
namespace; Alpine's are recorded from its source (update-ca.c) and checked on files alone.
"""

from __future__ import annotations

import os
import shutil
import ssl
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import trustme
from helpers.environment import child_env as clean_env
from helpers.os_store import namespace_or_skip
from helpers.runs import CHILD_TIMEOUT

from cadoctor._facts.certs.anchors import read_anchors, store_tools
from cadoctor._facts.child.interpreter import os_release
from cadoctor._facts.fs.fileroot import FileRoot
from cadoctor._model import Anchor, AnchorTool

MODULE = Path("/usr/share/p11-kit/modules/p11-kit-trust.module")
RHEL_SOURCE = "/etc/pki/ca-trust/source"
RHEL_BUNDLE = "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem"
LOCAL = "/usr/local/share/ca-certificates"


def _root(tmp_path: Path, release: str) -> FileRoot:
    """An empty system tree with an os-release naming the distribution."""
    top = tmp_path / "root"
    (top / "etc").mkdir(parents=True)
    (top / "etc/os-release").write_text('ID=%s\nNAME="%s"\n' % (release, release))
    return FileRoot(str(top))


def _put(root: FileRoot, path: str, data: bytes, mode: int = 0o644) -> None:
    """Write a file at a path inside the root."""
    target = Path(root.root + path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    target.chmod(mode)


def _tool(root: FileRoot) -> AnchorTool:
    """The store tool the root's own files name."""
    tools = store_tools(os_release(root.host), root)
    assert tools
    return tools[0]


def _by_name(anchors: tuple[Anchor, ...]) -> dict[str, tuple[bool, str | None]]:
    """Each anchor's file name with whether its tool takes it and why not."""
    return {os.path.relpath(a.path, a.folder): (a.taken, a.reason) for a in anchors}


def _der(ca: trustme.CA) -> bytes:
    """A CA's certificate in DER."""
    return ssl.PEM_cert_to_DER_cert(ca.cert_pem.bytes().decode())


@pytest.mark.parametrize(
    ("program", "text", "name"),
    [
        ("/usr/sbin/update-ca-certificates", b'#!/bin/sh\nfind -L "$LOCALCERTSDIR" -type f -name "*.crt"\n', "debian"),
        ("/usr/sbin/update-ca-certificates", b"\x7fELF\x02\x01\x01\x00 ca-cert- %s%s%s.pem", "alpine"),
        ("/usr/sbin/update-ca-certificates", b"#!/bin/bash\nhooksdir2='/usr/lib/ca-certificates/update.d'\n", "suse"),
        ("/usr/bin/update-ca-trust", b"#!/bin/sh\nDEST=/etc/pki/ca-trust/extracted\n", "rhel"),
    ],
)
def test_the_tool_is_told_by_its_own_program_before_os_release(
    tmp_path: Path, program: str, text: bytes, name: str
) -> None:
    """One program name, three tools: the text of the subject's own program decides, os-release does not."""
    root = _root(tmp_path, "debian")
    _put(root, program, text, 0o755)
    tool = _tool(root)
    assert (tool.name, tool.program) == (name, program)
    assert tool.decided_by == "its program %s" % program


def test_without_its_program_os_release_names_the_tool_and_says_it_is_missing(tmp_path: Path) -> None:
    """A final image stage without update-ca-certificates: Debian's rules, and no program to run."""
    tool = _tool(_root(tmp_path, "ubuntu"))
    assert (tool.name, tool.program, tool.decided_by) == ("debian", None, "os-release ID ubuntu")
    assert store_tools({"ID": "plan9"}, _root(tmp_path / "other", "plan9")) == ()


def test_debian_takes_crt_names_at_any_depth_and_links_only_single_pem_files(tmp_path: Path) -> None:
    """Debian: `*.crt` anywhere below, dot names too; DER and two-certificate files are not wholly taken."""
    root = _root(tmp_path, "debian")
    one, two, three = trustme.CA(), trustme.CA(), trustme.CA()
    _put(root, LOCAL + "/corp.crt", one.cert_pem.bytes())
    _put(root, LOCAL + "/corp.pem", two.cert_pem.bytes())
    _put(root, LOCAL + "/deep/er/.x.crt", three.cert_pem.bytes())
    _put(root, LOCAL + "/der.crt", _der(one))
    _put(root, LOCAL + "/chain.crt", one.cert_pem.bytes() + two.cert_pem.bytes())
    _put(root, LOCAL + "/README", b"put roots here\n")
    _put(root, LOCAL + "/key.crt", b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
    anchors = read_anchors(_tool(root), root)
    assert _by_name(anchors) == {
        "chain.crt": (True, "several"),
        "corp.crt": (True, None),
        "corp.pem": (False, "name"),
        "deep/er/.x.crt": (True, None),
        "der.crt": (False, "der"),
        "key.crt": (False, "no-certificate"),
    }
    assert next(a for a in anchors if a.path.endswith("key.crt")).private_key
    assert {a.in_store for a in anchors if a.certificates} == {False}  # no bundle was built in this tree


def test_debian_selection_files_never_named_are_unselected_and_named_ones_unlinked_are_pending(tmp_path: Path) -> None:
    """/etc/ca-certificates.conf: a selected file without its link waits; an unnamed one is never added."""
    root = _root(tmp_path, "debian")
    waiting, unnamed, deselected = trustme.CA(), trustme.CA(), trustme.CA()
    _put(root, "/usr/share/ca-certificates/local/waiting.crt", waiting.cert_pem.bytes())
    _put(root, "/usr/share/ca-certificates/local/unnamed.crt", unnamed.cert_pem.bytes())
    _put(root, "/usr/share/ca-certificates/local/off.crt", deselected.cert_pem.bytes())
    _put(root, "/etc/ca-certificates.conf", b"# comment\nlocal/waiting.crt\n!local/off.crt\n")
    anchors = read_anchors(_tool(root), root)
    assert _by_name(anchors) == {"local/waiting.crt": (True, None), "local/unnamed.crt": (False, "unselected")}
    Path(root.root + "/etc/ssl/certs").mkdir(parents=True)
    os.symlink("/usr/share/ca-certificates/local/waiting.crt", root.root + "/etc/ssl/certs/waiting.pem")
    assert _by_name(read_anchors(_tool(root), root)) == {"local/unnamed.crt": (False, "unselected")}


def test_alpine_takes_any_name_in_the_folder_itself_but_no_dot_names(tmp_path: Path) -> None:
    """Alpine's C program: readdir() of the folder, any suffix, no sub-folders, no names starting with a dot."""
    root = _root(tmp_path, "alpine")
    ca = trustme.CA()
    for name in ("corp.pem", ".hidden.crt", "sub/corp.crt"):
        _put(root, "%s/%s" % (LOCAL, name), ca.cert_pem.bytes())
    _put(root, "/etc/ssl/certs/ca-certificates.crt", ca.cert_pem.bytes())
    anchors = read_anchors(_tool(root), root)
    assert _by_name(anchors) == {
        "corp.pem": (True, None),
        ".hidden.crt": (False, "hidden"),
        "sub/corp.crt": (False, "sub-folder"),
    }
    assert {a.in_store for a in anchors} == {True}  # the same root is in the bundle: nothing is missing


def _rhel_layout(root: FileRoot) -> dict[str, trustme.CA]:
    """An RHEL source tree with one file per rule; the CA each file holds, by name."""
    cas = {name: trustme.CA() for name in ("pem", "hidden", "der", "deep", "loose", "blocked", "two", "leafs")}
    anchors = RHEL_SOURCE + "/anchors"
    _put(root, anchors + "/corp.pem", cas["pem"].cert_pem.bytes())
    _put(root, anchors + "/.hidden", cas["hidden"].cert_pem.bytes())
    _put(root, anchors + "/corp.cer", _der(cas["der"]))
    _put(root, anchors + "/sub/deep.crt", cas["deep"].cert_pem.bytes())
    _put(root, RHEL_SOURCE + "/loose.crt", cas["loose"].cert_pem.bytes())
    _put(root, anchors + "/blocked.crt", cas["blocked"].cert_pem.bytes())
    _put(root, RHEL_SOURCE + "/blocklist/blocked.crt", cas["blocked"].cert_pem.bytes())
    _put(root, anchors + "/two.crt", cas["two"].cert_pem.bytes() + cas["pem"].cert_pem.bytes())
    leaf = cas["leafs"].issue_cert("leaf.example").cert_chain_pems[0].bytes()
    _put(root, anchors + "/leaf.crt", leaf)
    return cas


RHEL_VERDICTS = {
    "anchors/corp.pem": (True, None),
    "anchors/.hidden": (True, None),
    "anchors/corp.cer": (True, None),
    "anchors/sub/deep.crt": (False, "sub-folder"),
    "loose.crt": (False, "not-anchor"),
    "anchors/blocked.crt": (False, "blocklisted"),
    "anchors/two.crt": (True, None),
    "anchors/leaf.crt": (False, "not-ca"),
}


def test_rhel_takes_any_name_and_form_in_anchors_only_cas_not_blocklisted(tmp_path: Path) -> None:
    """p11-kit's rules: any name, PEM or DER, several per file; not sub-folders, not plain files beside, not leaves."""
    root = _root(tmp_path, "rhel")
    _rhel_layout(root)
    anchors = read_anchors(_tool(root), root)
    assert {os.path.relpath(a.path, root.root and RHEL_SOURCE): (a.taken, a.reason) for a in anchors} == RHEL_VERDICTS


def test_rhel_rules_are_what_p11_kits_trust_extract_does(tmp_path: Path) -> None:
    """The real `trust extract --filter=ca-anchors` on the same tree: the bundle holds exactly what was judged taken."""
    namespace_or_skip()
    trust = shutil.which("trust")
    if trust is None or not MODULE.is_file():
        pytest.skip("p11-kit's trust command and its trust module (Debian: p11-kit, p11-kit-modules) are needed")
    root = _root(tmp_path, "rhel")
    _rhel_layout(root)
    before = read_anchors(_tool(root), root)
    assert {a.in_store for a in before if a.taken} == {False}  # copied in, never extracted: pending
    module = tmp_path / "p11-kit-trust.module"
    paths = "%s%s:%s/usr/share/pki/ca-trust-source" % (root.root, RHEL_SOURCE, root.root)
    module.write_text(
        "".join(
            "x-init-reserved: paths=%s\n" % paths if line.startswith("x-init-reserved:") else line
            for line in MODULE.read_text().splitlines(keepends=True)
        )
    )
    bundle = Path(root.root + RHEL_BUNDLE)
    bundle.parent.mkdir(parents=True)
    extract = [trust, "extract", "--format=pem-bundle", "--filter=ca-anchors", "--overwrite"]
    script = 'mount --bind "$0" %s && exec "$@"' % MODULE
    into = ["--purpose", "server-auth", str(bundle)]
    done = subprocess.run(
        ["unshare", "-m", "--propagation", "private", "--", "/bin/sh", "-c", script, str(module), *extract, *into],
        env=clean_env(P11_KIT_NO_USER_CONFIG="1"),
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    after = read_anchors(_tool(root), root)
    for anchor in after:
        assert anchor.in_store is anchor.taken, anchor  # taken: in the bundle now; not taken: still not
    assert bundle.read_bytes().count(b"-----BEGIN CERTIFICATE-----") == 4  # pem, hidden, der, two's own (pem once)


def test_another_tools_tree_on_the_system_is_judged_by_that_tool(tmp_path: Path) -> None:
    """A Debian system carrying an RHEL tree (anchors and extracted bundle): both tools, each file by its own."""
    root = _root(tmp_path, "debian")
    ca = trustme.CA()
    _put(root, LOCAL + "/corp.pem", ca.cert_pem.bytes())
    _put(root, RHEL_SOURCE + "/anchors/corp.pem", ca.cert_pem.bytes())
    _put(root, RHEL_BUNDLE, trustme.CA().cert_pem.bytes())
    tools = store_tools(os_release(root.host), root)
    assert [(t.name, t.decided_by) for t in tools] == [
        ("debian", "os-release ID debian"),
        ("rhel", "its tree (%s/anchors and %s)" % (RHEL_SOURCE, RHEL_BUNDLE)),
    ]
    found = [(a.tool, a.path, a.taken, a.in_store) for t in tools for a in read_anchors(t, root)]
    assert found == [
        ("debian", LOCAL + "/corp.pem", False, False),
        ("rhel", RHEL_SOURCE + "/anchors/corp.pem", True, False),  # taken by update-ca-trust, not extracted yet
    ]


def test_suse_reads_its_own_anchor_folders(tmp_path: Path) -> None:
    """openSUSE: /etc/pki/trust/anchors by p11-kit's rules; its bundle under /var/lib/ca-certificates."""
    root = _root(tmp_path, "opensuse-leap")
    ca = trustme.CA()
    _put(root, "/etc/pki/trust/anchors/corp.pem", ca.cert_pem.bytes())
    _put(root, "/etc/pki/trust/anchors/sub/x.pem", ca.cert_pem.bytes())
    tool = _tool(root)
    assert (tool.name, tool.bundle) == ("suse", "/var/lib/ca-certificates/ca-bundle.pem")
    assert _by_name(read_anchors(tool, root)) == {"corp.pem": (True, None), "sub/x.pem": (False, "sub-folder")}


def test_a_file_cadoctor_may_not_read_is_unreadable_not_absent() -> None:
    """As another user, a root-only anchor is `unreadable` with the reason; its tool, run as root, still takes it."""
    if os.geteuid() != 0:
        pytest.skip("making a file another user cannot read, and reading as that user, needs root")
    with tempfile.TemporaryDirectory(prefix="cadoctor-unreadable-") as scratch:
        os.chmod(scratch, 0o755)  # noqa: S103 - every user may look in; only the anchor is root's alone
        root = _root(Path(scratch), "debian")
        for folder in ("/etc", "/etc/os-release"):
            os.chmod(root.root + folder, 0o755 if folder == "/etc" else 0o644)
        _put(root, LOCAL + "/corp.crt", trustme.CA().cert_pem.bytes(), mode=0o600)
        for folder in ("/usr", "/usr/local", "/usr/local/share", LOCAL):
            os.chmod(root.root + folder, 0o755)  # noqa: S103 - folders every user may look in
        read, write = os.pipe()
        child = os.fork()
        if child == 0:  # the child reads as nobody, and tells what it saw
            try:
                os.setresgid(65534, 65534, 65534)
                os.setresuid(65534, 65534, 65534)
                [anchor] = read_anchors(_tool(root), root)
                os.write(write, repr((anchor.form, anchor.taken, anchor.problem)).encode())
            except BaseException as exc:  # the parent shows it
                os.write(write, repr(exc).encode())
            finally:
                os._exit(0)
        os.close(write)
        seen = os.read(read, 4096).decode()
        os.waitpid(child, 0)
    assert seen == repr(("unreadable", True, "permission denied"))


def test_a_fifo_in_an_anchor_folder_is_never_opened_for_reading(tmp_path: Path) -> None:
    """A FIFO named like a root: classified, not read (a blocking open would hang the check)."""
    root = _root(tmp_path, "alpine")
    Path(root.root + LOCAL).mkdir(parents=True)
    os.mkfifo(root.root + LOCAL + "/corp.crt")
    [anchor] = read_anchors(_tool(root), root)
    assert (anchor.form, anchor.taken, anchor.reason) == ("unreadable", False, "not-regular")
    assert anchor.problem == "a fifo, not a regular file"


def test_a_link_loop_in_an_anchor_folder_ends(tmp_path: Path) -> None:
    """A folder linking to its parent: each folder is read once, and the reading ends."""
    root = _root(tmp_path, "debian")
    _put(root, LOCAL + "/corp.crt", trustme.CA().cert_pem.bytes())
    os.symlink("..", root.root + LOCAL + "/loop")
    assert _by_name(read_anchors(_tool(root), root)) == {"corp.crt": (True, None)}


def test_a_hostile_anchor_is_read_in_time_linear_in_its_size(tmp_path: Path) -> None:
    """A megabyte of BEGIN lines before one END: read once, in well under a second, and judged to hold nothing."""
    import time

    root = _root(tmp_path, "rhel")
    _put(
        root,
        RHEL_SOURCE + "/anchors/evil.crt",
        b"-----BEGIN CERTIFICATE-----\n" * 37000 + b"-----END CERTIFICATE-----\n",
    )
    start = time.perf_counter()
    [anchor] = read_anchors(_tool(root), root)
    assert time.perf_counter() - start < 1.0
    assert (anchor.form, anchor.reason) == ("none", "no-certificate")


def test_p11_kits_own_format_is_left_to_its_trust_flags(tmp_path: Path) -> None:
    """`.p11-kit` files carry per-certificate trust cadoctor does not read: RHEL's own trust source says nothing."""
    root = _root(tmp_path, "rhel")
    text = b"[p11-kit-object-v1]\nclass: certificate\nx-distrusted: true\n" + trustme.CA().cert_pem.bytes()
    _put(root, "/usr/share/pki/ca-trust-source/ca-bundle.trust.p11-kit", text)
    _put(root, RHEL_SOURCE + "/anchors/corp.p11-kit", text)
    _put(root, RHEL_SOURCE + "/blocklist-only.p11-kit", b"[p11-kit-object-v1]\nclass: x-certificate-extension\n")
    [anchor] = read_anchors(_tool(root), root)
    assert (anchor.path, anchor.form, anchor.taken, anchor.in_store) == (
        RHEL_SOURCE + "/anchors/corp.p11-kit",
        "trusted",
        True,
        None,  # whether its flags let it into the bundle is not guessed: no finding either way
    )


def test_check_is_not_slowed_by_reading_anchors() -> None:
    """Reading this host's anchor folders costs a few milliseconds, the store's look-ups included."""
    import time

    tools = store_tools(os_release())
    if not tools:
        pytest.skip("no store tool on this host")
    start = time.perf_counter()
    for tool in tools:
        read_anchors(tool)
    assert time.perf_counter() - start < 0.5, "reading the anchors took too long"
    assert sys.modules["cadoctor._facts.certs.anchors"]
