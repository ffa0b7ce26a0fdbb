"""The files a distribution's store tool builds the OS store from, judged by that tool's own rules.

Which tool applies is decided by the examined system's own files (its program's text, else os-release), inside
its root; its rules are data (`_locations.STORE_TOOLS`). For each file in its anchor folders: will the tool take
it (name, place, format), and does the bundle it builds hold its certificates already? A root copied into the
folder but never added, a `.pem` name Debian's script never takes, a DER file it links but OpenSSL cannot read,
a file cadoctor cannot read: each is a fact here, never a guess. Nothing is run, nothing is written.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping

from cadoctor._facts.certs.bundle import parse
from cadoctor._facts.certs.der import MalformedDER, certificate_parts, children, name_text, read_tlv, tbs_fields
from cadoctor._facts.certs.names import same_name, with_subject
from cadoctor._facts.certs.pem import decode_block, pem_certificates
from cadoctor._facts.fs.disk import CERT_SUFFIXES, DIRECTORY_LIMIT, open_regular
from cadoctor._facts.fs.fileroot import HOST, FileRoot
from cadoctor._locations import STORE_TOOLS, StoreTool
from cadoctor._model import Anchor, AnchorTool, Bundle
from cadoctor._record import replace

_PROGRAM_LIMIT = 1 << 20  # bytes of a tool's program searched for its marker (Alpine's C program is ~20 KiB)
_FILE_LIMIT = 1 << 20  # bytes of one anchor read: a CA file is a few KiB, a chain of roots a few hundred
_DEPTH_LIMIT = 16  # sub-folders followed below an anchor folder (links to folders are followed, loops are not)
_FILES_LIMIT = 2000  # anchor files read in one check
_BEGIN = re.compile(rb"-----BEGIN (TRUSTED |X509 )?CERTIFICATE-----")
_KEY = re.compile(rb"-----BEGIN (RSA |EC |DSA |ENCRYPTED )?PRIVATE KEY-----")
_NAMES_OF_CERTIFICATES = (*CERT_SUFFIXES, ".der", ".p11-kit")  # what a file meant as a root is called


def rules_of(name: str) -> StoreTool:
    """The store tool's rules by its row's name."""
    return next(tool for tool in STORE_TOOLS if tool.name == name)


def _head(path: str, root: FileRoot, limit: int) -> bytes | None:
    """The first bytes of a regular file inside `root` (never blocking on a FIFO), or None."""
    fd, _, _, _ = open_regular(path, root)
    if fd is None:
        return None
    try:
        return os.read(fd, limit)
    except OSError:
        return None
    finally:
        os.close(fd)


def store_tools(os_release: Mapping[str, str], root: FileRoot = HOST) -> tuple[AnchorTool, ...]:
    """The tools that build this system's OS store: its own first, then any other whose tree it carries."""
    programs = {p: _head(p, root, _PROGRAM_LIMIT) for tool in STORE_TOOLS for p in tool.programs}
    own = _own_tool(os_release, programs)
    found = [own] if own is not None else []
    for tool in STORE_TOOLS:
        if any(t.name == tool.name or set(rules_of(t.name).anchors) & set(tool.anchors) for t in found):
            continue  # one folder, one tool: Alpine's and Debian's share theirs, and the system's own decides
        folder = next((f for f in tool.anchors if root.exists(f, directory=True)), None)
        if folder is not None and root.exists(tool.bundle):
            installed = next((p for p in tool.programs if programs.get(p) is not None), None)
            why = "its tree (%s and %s)" % (folder, tool.bundle)
            found.append(AnchorTool(tool.name, tool.command, installed, why, tool.bundle))
    return tuple(found)


def _own_tool(os_release: Mapping[str, str], programs: Mapping[str, bytes | None]) -> AnchorTool | None:
    """The system's own tool: the one whose program's text is there, else os-release's (or None)."""
    for tool in STORE_TOOLS:
        for program in tool.programs:
            text = programs.get(program)
            if text is not None and tool.marker in text:
                return AnchorTool(tool.name, tool.command, program, "its program %s" % program, tool.bundle)
    ids = [os_release.get("ID", ""), *os_release.get("ID_LIKE", "").split()]
    for distribution in ids:
        for tool in STORE_TOOLS:
            if distribution and distribution in tool.distributions:
                installed = next((p for p in tool.programs if programs.get(p) is not None), None)
                return AnchorTool(tool.name, tool.command, installed, "os-release ID %s" % distribution, tool.bundle)
    return None


class _Store:
    """The certificates the tool's bundle holds now, looked up by subject and key."""

    def __init__(self, path: str, root: FileRoot) -> None:
        try:
            host = root.host(path)
        except OSError:
            host = None
        self.readable = host is not None and open_regular(path, root)[2] == "regular"
        self.ders = pem_certificates(host) if host is not None and self.readable else []

    def holds(self, der: bytes) -> bool:
        """Whether it holds this certificate (or a re-issue of it: same subject, as OpenSSL compares, same key)."""
        try:
            parts = certificate_parts(der)
        except MalformedDER:
            return False
        for candidate in with_subject(self.ders, parts.subject):
            try:
                if certificate_parts(candidate).public_key == parts.public_key:
                    return True
            except MalformedDER:
                continue
        return False


def _is_authority(der: bytes) -> bool:
    """A CA as p11-kit sorts certificates: basicConstraints CA:TRUE, or a v1 self-issued certificate without it."""
    fields = tbs_fields(der)
    _, tbs_at, _ = read_tlv(der, read_tlv(der, 0)[1])
    versioned = der[tbs_at] == 0xA0
    for tag, _, start, _ in fields[6:]:
        if tag != 0xA3:
            continue
        _, at, end = read_tlv(der, start)
        while at < end:
            _, ext_start, ext_end = read_tlv(der, at)
            if der[ext_start : ext_start + 5] == b"\x06\x03\x55\x1d\x13":  # basicConstraints
                parts = children(der, ext_start, ext_end)
                value = der[parts[-1][2] : parts[-1][3]]
                _, seq_start, seq_end = read_tlv(value, 0)
                inner = children(value, seq_start, seq_end)
                return bool(inner) and inner[0][0] == 0x01 and value[inner[0][2] : inner[0][3]] != b"\x00"
            at = ext_end
    names = certificate_parts(der)
    return not versioned and same_name(names.issuer, names.subject)


class _Content:
    """What one anchor file holds, read as its tool reads it."""

    def __init__(self, data: bytes, anywhere: bool) -> None:
        self.ders: list[bytes] = []
        self.der = False
        self.private_key = _KEY.search(data) is not None
        self.trusted = data.startswith(b"[p11-kit-object-v1]")  # p11-kit's own format carries its trust
        at = 0
        while True:  # each search starts where the last block ended: linear in the file's size
            begin = _BEGIN.search(data, at)
            if begin is None:
                break
            end = data.find(b"-----END ", begin.end())
            if end == -1:
                break
            at = end
            # OpenSSL's PEM reader takes a block only from the start of a line; p11-kit's anywhere
            line_start = begin.start() == 0 or data[begin.start() - 1 : begin.start()] in (b"\n", b"\r")
            der = decode_block(data[begin.end() : end])
            if der is None or not (anywhere or line_start):
                continue
            parsed = parse(der)
            if parsed is not None:
                self.ders.append(parsed.der)
                self.trusted = self.trusted or begin.group(1) == b"TRUSTED "
        if not self.ders and data[:1] == b"\x30" and _BEGIN.search(data) is None:
            parsed = parse(data)
            if parsed is not None:
                self.ders.append(parsed.der)
                self.der = True

    @property
    def form(self) -> str:
        """`der`, `trusted`, `pem`, or `none`."""
        if self.der:
            return "der"
        if not self.ders:
            return "none"
        return "trusted" if self.trusted else "pem"


def _walk(folder: str, root: FileRoot) -> Iterator[tuple[str, int]]:
    """Every entry below a folder (inside `root`) with its depth, links to folders followed once, names sorted."""
    seen: set[tuple[int, int]] = set()
    pending: list[tuple[str, int]] = [(folder, 0)]
    listed = 0
    while pending:
        directory, depth = pending.pop()
        try:
            info = root.stat(directory)
            key = (info.st_dev, info.st_ino)
            if key in seen:
                continue
            seen.add(key)
            with os.scandir(root.host(directory)) as entries:
                names = sorted(entry.name for _, entry in zip(range(DIRECTORY_LIMIT), entries))
        except OSError:
            continue
        listed += len(names)
        below = []
        for name in names:
            path = directory.rstrip("/") + "/" + name
            if root.exists(path, directory=True):
                if depth < _DEPTH_LIMIT:
                    below.append((path, depth + 1))
                continue
            yield path, depth
        if listed < DIRECTORY_LIMIT:
            pending.extend(reversed(below))


def _placed(tool: StoreTool, path: str, depth: int) -> str | None:
    """Why the tool never takes a file at this place under this name (None: it does)."""
    name = os.path.basename(path)
    if depth and not tool.recursive:
        return "sub-folder"
    if name.startswith(".") and not tool.hidden:
        return "hidden"
    if tool.suffix is not None and not name.endswith(tool.suffix):
        return "name"
    return None


def _key_of(der: bytes) -> tuple[tuple[bytes, ...], ...]:
    """How p11-kit matches a blocklist entry: the issuer with the serial number, or the public key."""
    fields = tbs_fields(der)
    serial = der[fields[0][1] : fields[0][3]]
    parts = certificate_parts(der)
    return (parts.issuer, serial), (parts.public_key,)


def _blocklisted(tool: StoreTool, root: FileRoot) -> set[object]:
    """The issuer-and-serial and key of every certificate in the tool's blocklist folders."""
    blocked: set[object] = set()
    for folder in tool.blocklists:
        for path, _ in _walk(folder, root):
            data = _head(path, root, _FILE_LIMIT)
            for der in _Content(data or b"", anywhere=True).ders:
                try:
                    blocked.update(_key_of(der))
                except (MalformedDER, IndexError):
                    continue
    return blocked


def _judge(
    tool: StoreTool, path: str, folder: str, depth: int, root: FileRoot, store: _Store, blocked: set[object]
) -> Anchor | None:
    """One file as the tool takes it; None for a file that is no root and that the tool leaves alone."""
    name = os.path.basename(path)
    placed = _placed(tool, path, depth)
    fd, _, file_type, error = open_regular(path, root)
    looks_like_root = name.endswith(_NAMES_OF_CERTIFICATES)
    if fd is None:
        if not looks_like_root and placed is not None:
            return None
        reason = placed if file_type == "unreadable" else "not-regular"
        problem = error if file_type != "missing" else "a link to nothing"
        taken = file_type == "unreadable" and placed is None  # its tool runs as root: it may read what we cannot
        return Anchor(path, folder, tool.name, "unreadable", 0, (), taken=taken, reason=reason, problem=problem)
    try:
        data = os.read(fd, _FILE_LIMIT)
    except OSError as exc:
        return Anchor(
            path, folder, tool.name, "unreadable", 0, (), taken=placed is None, reason=placed, problem=str(exc)
        )
    finally:
        os.close(fd)
    content = _Content(data, anywhere=tool.converts)
    ders = content.ders
    if not ders and (content.trusted or not (looks_like_root or content.private_key)):
        return None  # no root, and nothing meant as one (p11-kit's objects without a certificate included)
    reason = placed
    if reason is None and not ders:
        reason = "no-certificate"
    elif reason is None and not tool.converts and content.der:
        reason = "der"  # linked and copied into the bundle as bytes, and OpenSSL reads nothing there
    elif reason is None and tool.ca_only and ders and not any(_authority(d) for d in ders):
        reason = "not-ca"  # `trust extract --filter=ca-anchors` leaves it out of the TLS bundle
    elif reason is None and blocked and ders and all(_blocks(d, blocked) for d in ders):
        reason = "blocklisted"
    elif reason is None and not tool.converts and len(ders) > 1:
        reason = "several"  # copied into the bundle whole; `openssl rehash` skips it: no hash link
    wanted = [d for d in ders if not tool.ca_only or _authority(d)] or ders
    return _anchor(tool, path, folder, content, wanted, reason in (None, "several"), reason, store)


def _authority(der: bytes) -> bool:
    """Whether p11-kit takes a certificate as a CA (a malformed one is not)."""
    try:
        return _is_authority(der)
    except (MalformedDER, IndexError):
        return False


def _blocks(der: bytes, blocked: set[object]) -> bool:
    """Whether a blocklist entry matches the certificate."""
    try:
        return any(key in blocked for key in _key_of(der))
    except (MalformedDER, IndexError):
        return False


def _anchor(
    tool: StoreTool,
    path: str,
    folder: str,
    content: _Content,
    ders: list[bytes],
    taken: bool,
    reason: str | None,
    store: _Store,
) -> Anchor:
    """The record of a read anchor file: its certificates, and whether the store holds them."""
    subjects, identities = [], set()
    for der in ders:
        parsed = parse(der)
        if parsed is None:
            continue
        identities.add(parsed.identity)
        try:
            subjects.append(name_text(parsed.subject))
        except MalformedDER:
            subjects.append("an unreadable name")
    if content.trusted or not ders:  # trust flags (distrust, other purposes) decide what reaches the bundle
        in_store = None
    else:
        in_store = all(store.holds(der) for der in ders) if store.readable else False
    return Anchor(
        path=path,
        folder=folder,
        tool=tool.name,
        form=content.form,
        certificates=len(ders),
        subjects=tuple(subjects),
        taken=taken,
        reason=reason,
        in_store=in_store,
        private_key=content.private_key,
        identities=frozenset(identities),
        ders=tuple(ders),
    )


def _link_name(tool: StoreTool, relative: str) -> str | None:
    """The link Debian's script makes in the hashed folder for a file it adds (its `add()`: names mapped)."""
    if tool.hashed is None:
        return None
    stem = os.path.basename(relative)
    stem = stem[: -len(".crt")] if stem.endswith(".crt") else stem
    stem = stem.replace(" ", "_").replace("(", "=").replace(")", "=").replace(",", "_")
    return "%s/%s.pem" % (tool.hashed, stem)


def _selection(tool: StoreTool, root: FileRoot, store: _Store) -> Iterator[Anchor]:
    """Debian's configured roots: those selected but never added, and local ones under its folder never selected."""
    if tool.selection is None or tool.selected is None:
        return
    text = (_head(tool.selection, root, _FILE_LIMIT) or b"").decode("utf-8", "replace")
    lines = [line.strip() for line in text.splitlines()]
    selected = [line for line in lines if line and not line.startswith(("#", "!"))]
    named = set(selected) | {line[1:] for line in lines if line.startswith("!")}
    for relative in selected:  # added means linked: the link is made when the file is added
        path = "%s/%s" % (tool.selected, relative)
        link = _link_name(tool, relative)
        try:  # the link itself, not what it leads to: its folder resolved inside the root, its name read
            target = (
                os.readlink(os.path.join(root.host(os.path.dirname(link)), os.path.basename(link))) if link else None
            )
        except OSError:
            target = None
        if target != path and root.exists(path):
            data = _head(path, root, _FILE_LIMIT) or b""
            content = _Content(data, anywhere=False)
            yield _anchor(tool, path, tool.selected, content, content.ders, True, None, store)
    for path, _ in _walk(tool.selected, root):
        relative = path[len(tool.selected) + 1 :]
        if relative in named or not path.endswith(".crt"):
            continue
        data = _head(path, root, _FILE_LIMIT) or b""
        content = _Content(data, anywhere=False)
        if content.ders:
            yield _anchor(tool, path, tool.selected, content, content.ders, False, "unselected", store)


def read_anchors(tool: AnchorTool, root: FileRoot = HOST) -> tuple[Anchor, ...]:
    """Every file of the tool's anchor folders that holds a root, or is meant to, judged by the tool's rules.

    Bounded: at most `_FILES_LIMIT` files, each read up to 1 MiB, folders to `_DEPTH_LIMIT` levels.
    """
    rules = rules_of(tool.name)
    store = _Store(rules.bundle, root)
    blocked = _blocklisted(rules, root) if rules.blocklists else set()
    found: list[Anchor] = []
    for folder in rules.anchors:
        for path, depth in _walk(folder, root):
            if len(found) >= _FILES_LIMIT:
                break
            anchor = _judge(rules, path, folder, depth, root, store, blocked)
            if anchor is not None:
                found.append(anchor)
    for folder in rules.loose:  # a plain certificate beside the anchors folder is no anchor for p11-kit
        try:
            with os.scandir(root.host(folder)) as entries:
                names = sorted(e.name for _, e in zip(range(DIRECTORY_LIMIT), entries) if not e.is_dir())
        except OSError:
            continue
        for name in names:
            anchor = _judge(rules, "%s/%s" % (folder, name), folder, 0, root, store, blocked)
            # a plain certificate here is no root; one with trust flags (the distribution's own
            # ca-bundle.trust.p11-kit) is judged by flags cadoctor does not read: left alone
            if anchor is not None and anchor.taken and anchor.form != "trusted":
                found.append(replace(anchor, taken=False, reason="not-anchor"))
    found.extend(_selection(rules, root, store))
    return tuple(found)


def with_anchors(bundles: tuple[Bundle, ...], anchors: tuple[Anchor, ...]) -> tuple[Bundle, ...]:
    """The local anchor folders' bundles holding what their files hold as the tool reads them (sub-folders, DER).

    A folder's own listing sees only its top-level PEM files; who holds a failing host's root must see them all.
    """
    by_folder: dict[str, list[bytes]] = {}
    for anchor in anchors:
        by_folder.setdefault(anchor.folder, []).extend(anchor.ders)
    changed = []
    for bundle in bundles:
        ders = by_folder.get(bundle.path)
        if "local-anchors" not in bundle.roles or not ders:
            changed.append(bundle)
            continue
        parsed = [p for p in (parse(der) for der in ders) if p is not None]
        changed.append(
            replace(
                bundle,
                parsed=True,
                identities=bundle.identities | {p.identity for p in parsed},
                subjects={**bundle.subjects, **{p.identity: p.subject for p in parsed}},
                ders={**bundle.ders, **{p.identity: p.der for p in parsed}},
            )
        )
    return tuple(changed)
