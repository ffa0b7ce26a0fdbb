"""Python modules located as the path finder locates them, and read as statements without being run.

The values a static reading of them yields are here too (`Unknown`, `Ref`, `Resource`, ...): `evaluation`
computes them. A module is located in the folders the examined interpreter imports from, in their order (a
package with `__init__.py`, then a compiled module, then `name.py`, then a namespace portion, folder by folder,
as `importlib.machinery.FileFinder` does), read bounded, and parsed with `compile` (`_ast`: the `ast` module's
helpers would add a millisecond of import). Only the top-level statements that are not definitions are parsed
up front; a function or class is kept as text and parsed when it is used (urllib3's connectionpool.py is 45 kB:
parsed whole it costs 4 ms, its top-level imports a tenth of that).
"""

from __future__ import annotations

import _ast
import re

from .files import Files, reason

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, List, Optional, Sequence, Tuple

SOURCE_LIMIT = 1 << 20  # bytes of one module read: a resolver's module is a few kB, urllib3's largest 45 kB
LOCATED_LIMIT = 512  # modules located (found, not read) for one interpreter: each of urllib3's imports is one


class Unknown:
    """A value the source does not make certain, and why."""

    __slots__ = ("reason",)

    def __init__(self, why: str) -> None:
        self.reason = why


class ModuleRef:
    """A module, as `import x.y` binds it."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name


class Ref:
    """A name another module defines (`from certifi import where`), looked up when it is used."""

    __slots__ = ("module", "name")

    def __init__(self, module: str, name: str) -> None:
        self.module, self.name = module, name


class Builtin:
    """A standard library callable or value the evaluator models (`os.path.join`, `importlib.resources.files`)."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name


class Function:
    """A function defined in a module read here."""

    __slots__ = ("definition", "module")

    def __init__(self, module: Module, definition: Any) -> None:
        self.module, self.definition = module, definition


class Class:
    """A class defined in a module read here: its methods can be read, an instance is never made."""

    __slots__ = ("definition", "module")

    def __init__(self, module: Module, definition: Any) -> None:
        self.module, self.definition = module, definition


class Resource:
    """A file or folder named through `importlib.resources`, `pathlib` or a context manager of them: its path."""

    __slots__ = ("path",)

    def __init__(self, path: str) -> None:
        self.path = path


class Method:
    """A method of a Resource, bound."""

    __slots__ = ("name", "target")

    def __init__(self, target: Resource, name: str) -> None:
        self.target, self.name = target, name


class Call:
    """A call of another module's code or a class (`urllib3.PoolManager(ca_certs=...)`), made only when needed."""

    __slots__ = ("args", "callee", "keywords", "scope")

    def __init__(self, callee: Any, args: List[Any], keywords: Dict[str, Any], scope: Scope) -> None:
        self.callee, self.args, self.keywords, self.scope = callee, args, keywords, scope


class Thunk:
    """An assignment's value, evaluated the first time its name is read."""

    __slots__ = ("node", "scope", "state", "value")

    def __init__(self, node: Any, scope: Scope) -> None:
        self.node, self.scope, self.state, self.value = node, scope, 0, None


class Lazy:
    """A top-level definition kept as text, parsed when it is used."""

    __slots__ = ("line", "name", "node", "text")

    def __init__(self, name: str, line: int, text: str) -> None:
        self.name, self.line, self.text = name, line, text
        self.node: Any = None


class Scope:
    """Names bound in a module or a call; a call's scope reads through to its module's."""

    __slots__ = ("module", "names", "outer", "star")

    def __init__(self, module: Module, outer: Optional[Scope] = None) -> None:
        self.module, self.outer = module, outer
        self.names: Dict[str, Any] = {}
        self.star: List[str] = []  # modules `from x import *` reads every name from


class Module:
    """A module located on the interpreter's path: its file ('' for a namespace package), package, names."""

    __slots__ = ("file", "name", "notes", "package", "problem", "scope", "search", "state", "text")

    def __init__(self, name: str, file: str, package: str, search: List[str]) -> None:
        self.name, self.file, self.package, self.search = name, file, package, search
        self.scope = Scope(self)
        self.text = ""
        self.problem: Optional[str] = None
        self.state = 0  # 0 located, 1 being read, 2 read
        self.notes: List[str] = []  # what its reading found worth saying (an import its fallback replaced)


class NotImportable(Exception):
    """An import that fails in the examined interpreter: the module is not on its path."""


class Stop(Exception):
    """Too many steps, calls or modules: the question gets no answer."""


_TRIPLE = re.compile(r"\"\"\"|'''")
_LINE = re.compile(r"^(?=[^\s#])", re.M)
_DEFINITION = re.compile(r"(?:async[ \t]+)?(def|class)[ \t]+(\w+)")
_CONTINUATION = re.compile(r"(?:else|elif|except|finally)\b|[)\]}]")


def blocks(text: str) -> List[Tuple[str, int, str]]:
    """The top-level statements of a source, cut at lines that start in column 0: (definition name or '', line, text).

    A line inside a triple-quoted string is not a start, nor `else:`, a closing bracket or the definition under
    a decorator. A cut that is still wrong (a string that holds a statement-like line) makes a block fail to
    parse, and the module is then parsed whole.
    """
    quoted: List[Tuple[int, int]] = []
    opened: Optional[Tuple[int, str]] = None
    for match in _TRIPLE.finditer(text):
        if opened is None:
            opened = (match.start(), match.group())
        elif match.group() == opened[1]:
            quoted.append((opened[0], match.end()))
            opened = None
    if opened is not None:
        quoted.append((opened[0], len(text)))
    starts: List[int] = []
    region = 0
    decorated = False  # the last line that started in column 0 was a decorator: the definition follows it
    for match in _LINE.finditer(text):
        at = match.start()
        while region < len(quoted) and quoted[region][1] <= at:
            region += 1
        if region < len(quoted) and quoted[region][0] < at:
            continue
        if not starts or not (decorated or _CONTINUATION.match(text, at)):
            starts.append(at)
        decorated = text.startswith("@", at)
    found = []
    line = 1
    for index, at in enumerate(starts):
        chunk = text[at : starts[index + 1] if index + 1 < len(starts) else len(text)]
        header = _DEFINITION.match(chunk)
        if chunk.startswith("@"):
            header = next((m for m in (_DEFINITION.match(part) for part in chunk.split("\n")) if m), None)
        line += text.count("\n", starts[index - 1] if index else 0, at)
        found.append((header.group(2) if header else "", line, chunk))
    return found


def parse(text: str, line: int = 1) -> List[Any]:
    """The statements of a piece of source that starts at `line` (raises SyntaxError, ValueError, RecursionError)."""
    tree = compile("\n" * (line - 1) + text, "<source>", "exec", _ast.PyCF_ONLY_AST, dont_inherit=True)
    return list(tree.body)  # type: ignore[attr-defined]  # a Module: compile's AST flag makes one


_PARSE_ERRORS = (SyntaxError, ValueError, RecursionError, MemoryError)


def syntax(exc: BaseException) -> str:
    """A parse failure in a few words."""
    if isinstance(exc, SyntaxError):
        return "%s (line %s)" % (exc.msg, exc.lineno)
    return type(exc).__name__ if isinstance(exc, (RecursionError, MemoryError)) else str(exc)


def snippet(module: Module, node: Any) -> str:
    """An expression's own text in its module (its first line, at most 80 characters)."""
    row = getattr(node, "lineno", 0)
    lines = module.text.split("\n", row) if row > 0 else []
    if len(lines) < row or row <= 0:
        return type(node).__name__
    text = lines[row - 1]
    end = getattr(node, "end_col_offset", None) if getattr(node, "end_lineno", row) == row else None
    text = text[node.col_offset : end] if end is not None else text[node.col_offset :] + " ..."
    return text if len(text) <= 80 else text[:77] + "..."


class Modules:
    """The modules of one interpreter, located in `folders` (in its order) and read through `files`, once each."""

    def __init__(self, files: Files, folders: Sequence[str]) -> None:
        self.files, self.folders = files, list(folders)
        self.located: Dict[str, Module] = {}

    def _find(self, name: str, locations: Sequence[str]) -> Optional[Tuple[str, List[str]]]:
        """A name in these folders, as FileFinder looks: (its source file or '' for a namespace; its search path)."""
        portions = []
        for folder in locations:
            names = self.files.listing(folder)
            base = folder.rstrip("/") + "/" + name
            if name in names and "__init__.py" in self.files.listing(base):
                return base + "/__init__.py", [base]
            compiled = sorted(n for n in names if n.startswith(name + ".") and n.endswith((".so", ".pyd")))
            if compiled:
                return folder.rstrip("/") + "/" + compiled[0], []
            if name + ".py" in names:
                return base + ".py", []
            if name in names and self.files.is_dir(base):
                portions.append(base)
        return ("", portions) if portions else None

    def locate(self, name: str) -> Module:
        """The module of a dotted name, located but not read (raises NotImportable when it is not there)."""
        known = self.located.get(name)
        if known is not None:
            return known
        if len(self.located) >= LOCATED_LIMIT:
            raise Stop("more than %d modules involved" % LOCATED_LIMIT)
        parent, _, tail = name.rpartition(".")
        found = self._find(tail, self.locate(parent).search) if parent else self._find(name, self.folders)
        if found is None:
            raise NotImportable(name)
        file, search = found
        module = Module(name, file, name if search else parent, search)
        self.located[name] = module
        return module

    def statements(self, module: Module) -> List[Any]:
        """A located module's top-level statements, definitions kept as `Lazy` text; [] with `problem` set."""
        if not module.file:
            return []  # a namespace package: nothing but its folders
        if not module.file.endswith(".py"):
            module.problem = "%s is compiled: its source cannot be read" % module.file
            return []
        try:
            data = self.files.read(module.file, SOURCE_LIMIT + 1)
        except OSError as exc:
            module.problem = "%s cannot be read: %s" % (module.file, reason(exc))
            return []
        if len(data) > SOURCE_LIMIT:
            module.problem = "%s is larger than %d kB: not read" % (module.file, SOURCE_LIMIT >> 10)
            return []
        module.text = data.decode("utf-8", "replace")
        try:
            found: List[Any] = []
            pending: List[str] = []  # statements between two definitions: parsed together, in one compile
            first = 1
            for name, line, chunk in blocks(module.text):
                if not name:
                    first = first if pending else line
                    pending.append(chunk)
                    continue
                if pending:
                    found.extend(parse("".join(pending), first))
                    pending = []
                found.append(Lazy(name, line, chunk))
            if pending:
                found.extend(parse("".join(pending), first))
            return found
        except _PARSE_ERRORS:
            pass
        try:
            return parse(module.text)
        except _PARSE_ERRORS as exc:
            module.problem = "%s does not parse: %s" % (module.file, syntax(exc))
            return []

    def definition(self, module: Module, lazy: Lazy) -> Any:
        """The parsed node of a definition kept as text (the whole module is parsed if its piece does not)."""
        if lazy.node is None:
            try:
                lazy.node = next(n for n in parse(lazy.text, lazy.line) if hasattr(n, "name"))
            except (*_PARSE_ERRORS, StopIteration):
                try:
                    whole = parse(module.text)
                except _PARSE_ERRORS as exc:
                    raise Stop("%s does not parse: %s" % (module.file, syntax(exc))) from None
                lazy.node = next((n for n in whole if getattr(n, "name", None) == lazy.name), None)
                if lazy.node is None:
                    raise Stop("%s: %s cannot be read" % (module.file, lazy.name)) from None
        return lazy.node
