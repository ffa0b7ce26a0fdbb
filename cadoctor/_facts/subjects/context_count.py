"""The default context of the interpreter running cadoctor, made and counted in a thread while the check reads the disk.

Why: a plain check asks OpenSSL itself what a default context loads (the count is the authority on what the CA file
gives). Loading a bundle of some hundred roots takes OpenSSL about 20 ms, with the GIL released for nearly all of it;
the inventory of the disk that follows is Python's own work and needs no count. Run side by side, the count costs
the check next to nothing; the rules, which read it, come after both.
"""

from __future__ import annotations

import threading

from cadoctor._facts.child.ssl_module import default_context_facts

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class ContextCount:
    """`default_context_facts` for the trust sources a probe of this process found, in a daemon thread.

    `result` waits for it; what the thread raised (never by design: the facts report a context that cannot be
    made) is raised there, not lost.
    """

    def __init__(self, trust: dict[str, Any]) -> None:
        """A count not yet begun (`start` begins it), for the sources `trust` names."""
        self._trust = trust
        self._facts: dict[str, Any] = {}
        self._raised: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="cadoctor default context", daemon=True)

    def start(self) -> ContextCount:
        """Begin counting; returns itself."""
        self._thread.start()
        return self

    def _run(self) -> None:
        """Make the context and count what it loaded."""
        try:
            self._facts = default_context_facts(self._trust)
        except BaseException as exc:  # raised again where the count is read
            self._raised = exc

    def result(self) -> dict[str, Any]:
        """What the default context loaded (see `default_context_facts`), once counted."""
        self._thread.join()
        if self._raised is not None:
            raise self._raised
        return self._facts
