"""The subjects cadoctor examines, each turned into the same `Facts`: this interpreter, `--python`, `--pid`, `--root`.

Contract:
- one dispatch for every subject `check` names: `open_subject` (what can fail), then `facts_of` (the same
  `Facts` whichever it is) and `tried_in` (where its fixes are tried); `scan` (every process, for `ps`) and
  `inspection` (files, for `inspect`) collect their own records of `_model`;
- runs nothing but the child in a proven interpreter: the probe (`--python`), and for a `--pid` Python of this
  user on this host, a fresh copy of its interpreter with its environment, which reports its import folders;
  everything else of `--pid` and `--root` is read from files;
- reads no rule: the client distributions to look for are named by the caller (`check`, from its rules table);
- declared errors: `cadoctor.CheckError` subclasses (`InterpreterError`, `ProcessError`, `RootError`) when a
  subject cannot be examined at all; anything less is a fact with its reason.

Each subject's module is imported when that subject is opened: a check of this interpreter loads neither the
/proc reader nor the image's, and a successful `--host` check stays near the cost of its handshake.
"""

from __future__ import annotations

from cadoctor._model import Facts, Subject
from cadoctor._record import field, record, replace

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

    from cadoctor._facts.fs.fileroot import FileRoot
    from cadoctor._facts.process.procfs import ProcessView
    from cadoctor._facts.subjects.context_count import ContextCount


@record
class Examinee:
    """A subject opened for examination: what `facts_of` reads, however many looks a check takes.

    Attributes:
        kind: `this` (the interpreter running cadoctor), `interpreter` (`--python`), `process` (`--pid`) or
            `root` (`--root`).
        executable: The interpreter as named (`--python`): its handshakes and its fixes' trials run there; with
            `root`, a path inside the image (None: the one its PATH finds), read and never run.
        probed: The runtime probe's answer (this interpreter, `--python`), taken once.
        view: The process as read from outside (`--pid`); `files`: the image's root (`--root`).
        image_env: The environment the image's programs start with (`--image-config`), when given.
        counting: This interpreter's default context, being made and counted beside the disk's reading (the probe
            then made none); `facts_of` waits for it last.

    """

    kind: str
    executable: str | None = None
    probed: dict[str, Any] = field(default_factory=dict)
    view: ProcessView | None = None
    files: FileRoot | None = None
    image_env: dict[str, str] = field(default_factory=dict)
    counting: ContextCount | None = None


def open_subject(
    *,
    python: str | None = None,
    pid: int | None = None,
    root: str | None = None,
    inside: str | None = None,
    image_env: Mapping[str, str] | None = None,
    default_context: dict[str, Any] | None = None,
) -> Examinee:
    """Open the one subject named (none: this interpreter); raises the `CheckError` that says why it cannot be.

    `default_context` is what a default context this process already made loaded (`child.ssl_module.context_facts`):
    probing this interpreter would otherwise make another one and read the whole CA file again. Without it, one is
    made and counted in a thread while the disk is read (`context_count.py`).
    """
    if python is not None:
        from cadoctor._facts.interpreters.run import probe_interpreter

        return Examinee("interpreter", executable=python, probed=probe_interpreter(python))
    if pid is not None:
        from cadoctor._facts.process import read_process

        return Examinee("process", view=read_process(pid))
    if root is not None:
        from cadoctor._facts.subjects.image import open_root

        return Examinee("root", executable=inside, files=open_root(root), image_env=dict(image_env or {}))
    from cadoctor._facts.child.facts import interpreter_facts
    from cadoctor._variables import for_child

    if default_context is not None:
        return Examinee("this", probed=interpreter_facts(for_child(), default_context))
    probed = interpreter_facts(for_child(), count_context=False)
    if probed["trust"] is None:  # no usable ssl: nothing to count
        return Examinee("this", probed=probed)
    from cadoctor._facts.subjects.context_count import ContextCount

    return Examinee("this", probed=probed, counting=ContextCount(probed["trust"]).start())


def facts_of(
    examinee: Examinee, *, clients: frozenset[str], light: bool = False, names: frozenset[bytes] | None = None
) -> Facts:
    """The facts of an opened subject: the same record for each, with the client distributions named in `clients`.

    `light` and `names` shape the look at a probed interpreter's disk for a `--host` check (see
    `this_process.facts_of_runtime`); a process or an image is read whole.
    """
    if examinee.view is not None:
        from cadoctor._facts.subjects.process import facts_of_process

        return facts_of_process(examinee.view, clients)
    if examinee.files is not None:
        from cadoctor._facts.subjects.image import facts_of_root

        return facts_of_root(examinee.files, clients, examinee.executable, examinee.image_env)
    from cadoctor._facts.subjects.this_process import facts_from_probe

    here = examinee.kind == "this"
    subject = (
        None if here else Subject(kind="interpreter", executable=examinee.executable, python=True, observed="runtime")
    )
    facts = facts_from_probe(examinee.probed, clients=clients, local=here, light=light, names=names, subject=subject)
    if examinee.counting is None:
        return facts
    from cadoctor._facts.interpreters.runtime import with_context

    return replace(facts, runtime=with_context(facts.runtime, examinee.counting.result()))


def tried_in(examinee: Examinee, facts: Facts) -> tuple[str | None, Mapping[str, str] | None]:
    """Where a subject's fixes are tried: the interpreter and environment of a fresh copy (None: this one's own).

    A process's copy is its interpreter as it was started, with its environment; whether it may be run at all
    is the fixes' question (`verify.trial_obstacle`).
    """
    if examinee.view is not None:
        return facts.runtime.executable, examinee.view.environ
    return examinee.executable, None
