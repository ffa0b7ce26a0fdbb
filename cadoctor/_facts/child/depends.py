"""What a job's answer depends on: every file and folder it opened or listed, each as it was before it was read.

A store trial's answer (which store each library resolves, and what OpenSSL loads from it) follows from the
interpreter, its environment and the files its imports and the libraries read. An audit hook sees each of those
reads as it starts (`open`, which `import` uses for sources and bytecode, and the folder listings of the import
system): each path is taken with its identity then, so a file rewritten later reads as changed, never as the one
that was read. What the interpreter read before the job are taken when it starts: its venv's configuration, the
`.pth` files of every folder on sys.path. Extension modules and shared libraries (OpenSSL) are mapped, not opened:
the files mapped are taken after the job, from /proc/self/maps (without it, the answer says it could not see them).
Paths that the environment names count too, whether they exist or not (a client may only ask whether one exists),
but cadoctor's own (CADOCTOR_CACHE: the check writes there); each entry of a folder OpenSSL looks names up in too.
A path the job only asks about (`os.stat`, `os.lstat`, `os.access`, and so `os.path.isfile`), which raises no audit
event, is taken as it is asked: a configuration file looked for and absent counts, as one read does (`probed`).
"""

from __future__ import annotations

import os
import sys

from .openssl_paths import included

TYPE_CHECKING = False
if TYPE_CHECKING:  # the check imports `identity` on its way to kept answers: no typing at run time
    from typing import Any, Dict, List, Optional

_LISTINGS = ("os.listdir", "os.scandir")
_OWN = ("/proc/self/", "/proc/thread-self/", "/proc/%d/" % os.getpid())
_FOLDER_LIMIT = 8192  # entries of one CA folder recorded one by one


_STAT = os.stat  # what `identity` asks: the probes a job makes while recorded go through a wrapper of it


def identity(path: str) -> Optional[List[int]]:
    """What tells a file's or folder's content apart, as `stat` gives it; None when there is nothing there."""
    try:
        found = _STAT(path)
    except (OSError, ValueError):
        return None
    return [found.st_dev, found.st_ino, found.st_mode, found.st_size, found.st_mtime_ns, found.st_ctime_ns]


def probed(path: str) -> Optional[List[int]]:
    """What tells apart a path a job only asked about (`stat`, `access`): a folder by its kind alone.

    A file's identity, as `identity` gives it; a folder's first three fields (device, inode, mode): asking whether
    /tmp is a folder learns nothing of the files in it, and its times change whenever anyone makes one there.
    """
    return as_asked(identity(path))


def as_asked(found: Optional[List[int]]) -> Optional[List[int]]:
    """An identity as `probed` keeps it: a folder's first three fields, anything else whole."""
    return found[:3] if found is not None and found[2] & 0o170000 == 0o040000 else found  # S_ISDIR


def _anonymous(args: Any) -> bool:
    """Whether an `open` event makes an anonymous file in a folder (tempfile's, with O_TMPFILE): nothing is read.

    `open()` of a folder succeeds only so, and only in a mode that writes; its event carries `open()`'s mode, not
    the opener's flags. `os.open` of a folder (mode None) may be read through its descriptor: that one counts.
    """
    mode = args[1] if len(args) > 1 else None
    path = args[0] if args else None
    return isinstance(mode, str) and any(c in mode for c in "wax+") and isinstance(path, str) and os.path.isdir(path)


class Depends:
    """The paths read while it records, each with its identity when first read."""

    def __init__(self) -> None:
        """Nothing recorded yet; the environment's paths first."""
        self.seen: Dict[str, Optional[List[int]]] = {}
        self.recording = False
        self.mapped = False  # whether the shared libraries it runs were seen
        for name, value in os.environ.items():
            if name.startswith("CADOCTOR_"):  # cadoctor's own settings (its cache folder): no client reads them
                continue
            for part in value.split(os.pathsep):
                if os.sep in part:
                    self.take(part)
        self.take(os.path.join(sys.prefix, "pyvenv.cfg"))
        self.take("/etc/ld.so.cache")  # where the loader finds a library no folder of LD_LIBRARY_PATH holds
        self.take(getattr(sys.modules.get("site"), "USER_SITE", None))  # on sys.path once it exists
        for folder in sys.path:
            self.take(folder or ".")
            try:
                names = os.listdir(folder or ".")
            except (OSError, ValueError):
                continue
            for name in names:
                if name.endswith(".pth"):
                    self.take(os.path.join(folder or ".", name))

    def take(self, path: Any, asked: bool = False) -> None:
        """Record one path with its identity now, once; `asked`: only asked about, not read (see `probed`).

        A folder first asked about, then read (listed, opened), is recorded anew with its whole identity.
        """
        if isinstance(path, bytes):
            path = os.fsdecode(path)
        if not isinstance(path, str) or not path:
            return
        path = os.path.abspath(path)
        if path.startswith(_OWN):  # this process's own (/proc/self/maps): what it tells, the mapped files do
            return
        known = self.seen.get(path, False)
        if known is False:
            self.seen[path] = probed(path) if asked else identity(path)
        elif not asked and isinstance(known, list) and len(known) == 3:
            self.seen[path] = identity(path)

    def hook(self, event: str, args: Any) -> None:
        """The audit hook: a file opened, a folder listed (an open descriptor is no path)."""
        if not self.recording:
            return
        if event == "open" and _anonymous(args):
            return
        if (event == "open" or event in _LISTINGS) and args and not isinstance(args[0], int):
            self.recording = False  # stat raises no audit event of its own, but nothing here may recurse
            try:
                self.take(args[0] if args[0] is not None else ".")
            finally:
                self.recording = True

    def __enter__(self) -> Depends:
        """Start recording (an audit hook stays for the life of the process: it only records while asked).

        OpenSSL opens CA files itself, unseen by the hook: what a context is told to load, and its default
        locations, are taken as it is told, before it reads them.
        """
        import ssl

        sys.addaudithook(self.hook)
        defaults = ssl.get_default_verify_paths()
        self.take(defaults.openssl_cafile)  # the compiled CA file, and folder
        self.take_folder(defaults.openssl_capath)
        # The folders SSL_CERT_DIR names instead (OpenSSL splits it at ':'): its hashed files are read by name,
        # so each entry counts, as it does in the compiled folder.
        for folder in os.environ.get(defaults.openssl_capath_env, "").split(os.pathsep):
            self.take_folder(folder)
        self._configuration(os.path.dirname(defaults.openssl_cafile or ""))
        original = ssl.SSLContext.load_verify_locations

        def load_verify_locations(context: Any, cafile: Any = None, capath: Any = None, cadata: Any = None) -> Any:
            self.take(cafile)
            self.take_folder(capath)
            return original(context, cafile, capath, cadata)

        ssl.SSLContext.load_verify_locations = load_verify_locations  # type: ignore[method-assign,assignment]
        self._stats = os.stat, os.lstat, os.access
        os.stat, os.lstat, os.access = (self._looked(function) for function in self._stats)
        self.recording = True
        return self

    def _supports(self, wrapped: Any, original: Any) -> None:
        """Let the wrapper stand for the original in `os.supports_*` (shutil picks its safe paths by them)."""
        for supported in (os.supports_dir_fd, os.supports_fd, os.supports_follow_symlinks, os.supports_effective_ids):
            if original in supported:
                supported.add(wrapped)

    def _looked(self, function: Any) -> Any:
        """`function` (os.stat, os.lstat, os.access), the path it is asked about taken first.

        A library that only asks whether a file exists (`os.path.isfile`: botocore's ~/.aws/config, pip's
        configuration files, truststore's candidates) raises no audit event; its answer may change when the file
        appears. Asked relative to a folder's descriptor, or of a descriptor, it names no path: left.
        """

        def looked(path: Any, *args: Any, **kwargs: Any) -> Any:
            if self.recording and not isinstance(path, int) and kwargs.get("dir_fd") is None:
                self.recording = False
                try:
                    self.take(os.fspath(path), asked=True)
                except TypeError:
                    pass
                finally:
                    self.recording = True
            return function(path, *args, **kwargs)

        self._supports(looked, function)
        return looked

    def _configuration(self, openssldir: str) -> None:
        """OpenSSL's configuration file (OPENSSL_CONF, else the compiled folder's openssl.cnf) and what it includes.

        OpenSSL reads it itself when it starts: what it sets (a security level, a minimum protocol) decides
        handshakes. An `.include` names a file or a folder of them: a relative one is taken where OpenSSL may look
        for it (OPENSSL_CONF_INCLUDE, the working folder) and in the compiled folder.
        """
        path = os.environ.get("OPENSSL_CONF") or (os.path.join(openssldir, "openssl.cnf") if openssldir else "")
        if not path:
            return
        self.take(path)
        for named in included(path, [openssldir]):
            self.take_folder(named)

    def __exit__(self, *exc: object) -> None:
        """Stop recording; take the files of every module loaded since, extension modules included.

        truststore (its own, or pip's copy) looks for a CA file among well-known places when OpenSSL's own are
        empty, by `os.path.isfile` alone, which raises no audit event: each of them is taken.
        """
        self.recording = False
        os.stat, os.lstat, os.access = self._stats
        for name, module in list(sys.modules.items()):
            self.take(getattr(module, "__file__", None))
            if name.endswith("truststore._openssl"):
                for path in getattr(module, "_CA_FILE_CANDIDATES", ()):
                    self.take(path)
        try:
            with open("/proc/self/maps", encoding="utf-8", errors="replace") as maps:
                for line in maps:
                    fields = line.split(None, 5)
                    path = fields[5].rstrip("\n") if len(fields) == 6 else ""
                    if path.endswith(" (deleted)"):  # it runs a file no longer on disk: nothing tells it apart
                        return
                    if path.startswith("/"):
                        self.take(path)
            self.mapped = True
        except OSError:
            pass

    def take_folder(self, path: Any) -> None:
        """Record a folder and every entry in it, each as `stat` follows its links (OpenSSL looks a name up there).

        A file of a hashed folder rewritten in place leaves the folder's own identity as it was: its entries tell.
        At most `_FOLDER_LIMIT` entries: a larger folder leaves the answer unkept (one entry stands for the rest,
        with no identity).
        """
        if not isinstance(path, str) or not path or not os.path.isdir(path):
            self.take(path)
            return
        self.take(path)
        try:
            names = sorted(os.listdir(path))
        except OSError:
            return
        for name in names[:_FOLDER_LIMIT]:
            self.take(os.path.join(path, name))
        if len(names) > _FOLDER_LIMIT:
            self.seen[os.path.join(os.path.abspath(path), "...")] = [0, 0, 0, len(names), 0, 0]

    def listed(self) -> List[List[Any]]:
        """Every path with its identity, as JSON carries them."""
        return [[path, found] for path, found in sorted(self.seen.items())]
