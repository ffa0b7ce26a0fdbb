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

SOURCE_LIMIT = 128 << 10  # bytes of a module read: resolvers' modules are a few kB, urllib3's largest 45 kB
# Source parsed for one interpreter, in all: the resolvers here parse about 25 kB, their pieces only. A syntax
# tree costs about 60 bytes per byte of real code (2.5 MiB for urllib3's 45 kB connectionpool.py), up to 500
# for a file of bare literals: at worst about 30 MiB and 150 ms here.
PARSE_LIMIT = 64 << 10
FOLDER_LIMIT = 256  # folders of a path searched: a sys.path longer than this is not a real one
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
    """A definition (`def` or `class`) kept as text, parsed when it is used; a class's members one by one."""

    __slots__ = ("indent", "kind", "line", "name", "node", "text")

    def __init__(self, kind: str, name: str, line: int, text: str, indent: str = "") -> None:
        self.kind, self.name, self.line, self.text, self.indent = kind, name, line, text, indent
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


_DEFINITION = re.compile(r"(?:async[ \t]+)?(def|class)[ \t]+(\w+)")
_CONTINUATION = re.compile(r"(?:else|elif|except|finally)\b|[)\]}]")
_STARTS: Dict[str, Any] = {}  # by indentation: the pattern of a line that starts a statement there


def _quoted(text: str) -> List[Tuple[int, int]]:
    """Where the triple-quoted strings of a source are, roughly: paired delimiters, in order (found by `find`)."""
    marks = []
    for quote in ('"""', "'''"):
        at = text.find(quote)
        while at != -1:
            marks.append((at, quote))
            at = text.find(quote, at + 3)
    marks.sort()
    regions: List[Tuple[int, int]] = []
    opened: Optional[Tuple[int, str]] = None
    for at, quote in marks:
        if opened is None:
            opened = (at, quote)
        elif quote == opened[1] and at >= opened[0] + 3:
            regions.append((opened[0], at + 3))
            opened = None
    if opened is not None:
        regions.append((opened[0], len(text)))
    return regions


def blocks(text: str, indent: str = "") -> List[Tuple[str, str, int, str]]:
    """The statements of a source at one indentation: (`def`, `class` or '', its name or '', first line, text).

    A statement starts on a line that begins with `indent` and then no space or comment, and neither inside a
    triple-quoted string, nor `else:`, a closing bracket or the definition under a decorator. A cut that is
    still wrong (a string that holds a statement-like line) makes a piece fail to parse, and the caller then
    parses the whole. `text` starts with a statement at that indentation.
    """
    pattern = _STARTS.get(indent)
    if pattern is None:
        pattern = _STARTS[indent] = re.compile("\n%s(?=[^\\s#])" % re.escape(indent))
    quoted = _quoted(text)
    starts: List[int] = [0]
    region = 0
    decorated = text.startswith("@", len(indent))  # a decorator line: the definition it decorates follows
    width = len(indent)
    for match in pattern.finditer(text):
        at = match.start() + 1
        while region < len(quoted) and quoted[region][1] <= at:
            region += 1
        if region < len(quoted) and quoted[region][0] < at:
            continue
        if not (decorated or _CONTINUATION.match(text, at + width)):
            starts.append(at)
        decorated = text.startswith("@", at + width)
    found = []
    line = 1
    for index, at in enumerate(starts):
        chunk = text[at : starts[index + 1] if index + 1 < len(starts) else len(text)]
        header = _DEFINITION.match(chunk, width)
        if chunk.startswith("@", width):
            header = next((m for m in (_DEFINITION.match(part, width) for part in chunk.split("\n")) if m), None)
        line += text.count("\n", starts[index - 1] if index else 0, at)
        found.append((header.group(1) if header else "", header.group(2) if header else "", line, chunk))
    return found


def parse(text: str, line: int = 1, indented: bool = False) -> List[Any]:
    """The statements of a piece of source that starts at `line`, indented or not (raises SyntaxError and the like)."""
    if indented:  # a class's member: parsed as the body of an `if`, its indentation kept
        text, line = "if 1:\n" + text, line - 1
    tree = compile("\n" * (line - 1) + text, "<source>", "exec", _ast.PyCF_ONLY_AST, dont_inherit=True)
    body = list(tree.body)  # type: ignore[attr-defined]  # a Module: compile's AST flag makes one
    return list(body[0].body) if indented else body


_PARSE_ERRORS = (SyntaxError, ValueError, RecursionError, MemoryError)


def _at_line(statements: Sequence[Any], name: str, line: int) -> Any:
    """The definition of `name` among parsed statements, the one at that line if several (else the last)."""
    named = [n for n in statements if getattr(n, "name", None) == name]
    return next((n for n in named if getattr(n, "lineno", 0) >= line), named[-1] if named else None)


def _body_indent(text: str) -> str:
    """The indentation of a class's body: that of the first line after its header that holds code."""
    header_end = text.find(":\n")
    for row in text[header_end + 2 if header_end != -1 else 0 :].split("\n"):
        stripped = row.lstrip()
        if stripped and not stripped.startswith("#"):
            return row[: len(row) - len(stripped)]
    return ""


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
        self.files, self.folders = files, list(folders)[:FOLDER_LIMIT]
        self.located: Dict[str, Module] = {}
        self.compiled: Dict[str, Dict[str, str]] = {}
        self.parsed = 0  # bytes of source parsed so far

    def _compiled(self, folder: str) -> Dict[str, str]:
        """The compiled modules of a folder by module name (`_ssl` for `_ssl.cpython-311-x86_64-linux-gnu.so`)."""
        known = self.compiled.get(folder)
        if known is None:
            known = self.compiled[folder] = {}
            for entry in sorted(self.files.listing(folder), reverse=True):
                if entry.endswith((".so", ".pyd")):
                    known[entry.split(".", 1)[0]] = entry
        return known

    def _find(self, name: str, locations: Sequence[str]) -> Optional[Tuple[str, List[str]]]:
        """A name in these folders, as FileFinder looks: (its source file or '' for a namespace; its search path)."""
        portions = []
        for folder in locations:
            names = self.files.listing(folder)
            base = folder.rstrip("/") + "/" + name
            if name in names and "__init__.py" in self.files.listing(base):
                return base + "/__init__.py", [base]
            compiled = self._compiled(folder).get(name)
            if compiled:
                return folder.rstrip("/") + "/" + compiled, []
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
            return self._statements(module)
        except Stop as stopped:
            module.problem = "%s: %s" % (module.file, stopped)
            return []

    def _parse(self, text: str, line: int = 1, indented: bool = False) -> List[Any]:
        """`parse`, counted against the source this interpreter's reading may parse in all (raises Stop)."""
        self.parsed += len(text)
        if self.parsed > PARSE_LIMIT:
            raise Stop("more than %d kB of source to parse" % (PARSE_LIMIT >> 10))
        return parse(text, line, indented)

    def _statements(self, module: Module) -> List[Any]:
        """A module's top-level statements from its text: cut into pieces, else parsed whole."""
        try:
            found: List[Any] = []
            pending: List[str] = []  # statements between two definitions: parsed together, in one compile
            first = 1
            for kind, name, line, chunk in blocks(module.text):
                if not name:
                    first = first if pending else line
                    pending.append(chunk)
                    continue
                if pending:
                    found.extend(self._parse("".join(pending), first))
                    pending = []
                found.append(Lazy(kind, name, line, chunk))
            if pending:
                found.extend(self._parse("".join(pending), first))
            return found
        except _PARSE_ERRORS:
            pass
        try:
            return self._parse(module.text)
        except _PARSE_ERRORS as exc:
            module.problem = "%s does not parse: %s" % (module.file, syntax(exc))
            return []

    def definition(self, module: Module, lazy: Lazy) -> Any:
        """The parsed node of a definition kept as text (the whole module is parsed if its piece does not)."""
        if lazy.node is None:
            try:
                parsed = self._parse(lazy.text, lazy.line, indented=bool(lazy.indent))
                lazy.node = next(n for n in parsed if getattr(n, "name", None) == lazy.name)
            except (*_PARSE_ERRORS, StopIteration):
                try:
                    whole = self._parse(module.text)
                except _PARSE_ERRORS as exc:
                    raise Stop("%s does not parse: %s" % (module.file, syntax(exc))) from None
                lazy.node = _at_line(whole, lazy.name, lazy.line)
                if lazy.node is None:
                    raise Stop("%s: %s cannot be read" % (module.file, lazy.name)) from None
        return lazy.node

    def member(self, module: Module, definition: Any, name: str) -> Any:
        """A class's own method of that name (None if it defines none): from its text, only that method parsed."""
        if isinstance(definition, Lazy) and definition.node is None:
            indent = _body_indent(definition.text)
            if indent:
                try:
                    pieces = blocks(definition.text[definition.text.index("\n" + indent) + 1 :], indent)
                except ValueError:
                    pieces = []
                body_line = definition.line + definition.text[: definition.text.index("\n" + indent)].count("\n") + 1
                found = [p for p in pieces if p[0] == "def" and p[1] == name]
                if found:
                    kind, _, line, text = found[-1]  # the last definition of a name is the one the class keeps
                    return self.definition(module, Lazy(kind, name, body_line + line - 1, text, indent))
            definition = self.definition(module, definition)
        if isinstance(definition, Lazy):
            definition = definition.node
        return next(
            (
                node
                for node in reversed(definition.body)
                if getattr(node, "name", None) == name and type(node).__name__ in ("FunctionDef", "AsyncFunctionDef")
            ),
            None,
        )
