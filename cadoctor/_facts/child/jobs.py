"""The one child protocol: a JSON request on stdin naming its job, one JSON answer on stdout with one version key.

The jobs: the facts of an interpreter (`facts`), a trial of a fix (`fix-trial`), a trial through the client
libraries (`client-trial`), the folders an interpreter imports from (`sites`: what a fresh copy of a running
process's interpreter reports). Another interpreter runs them as `python FOLDER` (see `__main__`); cadoctor's own
process imports the same modules as `cadoctor._facts.child` and checks each answer with `is_answer`.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, TypeGuard  # only read by the type checker: Python 3.8 runs this file too

VERSION = 2  # 1 was two protocols: the probe's (`probe_version`) and the request trial's (`through_version`)


VERSION_KEY = "child_version"


FACTS, FIX_TRIAL, CLIENT_TRIAL, SITES = "facts", "fix-trial", "client-trial", "sites"


FOLDER = os.path.dirname(os.path.abspath(__file__))  # what another interpreter runs: `python FOLDER`


REQUEST_LIMIT = 64 << 20  # bytes of request read: a trial's sample roots are most of it


def answer(request: Any) -> Dict[str, Any]:
    """Do the job a request names; the answer carries the protocol's version and the job, whatever it held."""
    job = request.get("job") if isinstance(request, dict) else None
    # Lazy: a child does one job, and loads only that job's modules (a client trial maps no library).
    if job == FACTS:
        from .facts import interpreter_facts

        result = interpreter_facts(request["variables"])
    elif job == FIX_TRIAL:
        from .fix_trial import trial

        result = trial(request)
    elif job == CLIENT_TRIAL:
        from .client_trial import trial as client_trial

        result = client_trial(request)
    elif job == SITES:
        from .interpreter import site_folders

        result = {"site_folders": site_folders()}
    else:
        result = {"error": "no such job: %r" % (job,)}
    result[VERSION_KEY] = VERSION
    result["job"] = job
    return result


def is_answer(decoded: Any, job: str) -> TypeGuard[Dict[str, Any]]:
    """Whether a child's decoded output is this protocol version's answer to `job` (its output is untrusted)."""
    return isinstance(decoded, dict) and decoded.get(VERSION_KEY) == VERSION and decoded.get("job") == job


def main() -> int:
    """Read the request on stdin and write the answer on stdout; whatever the job prints goes to stderr."""
    import json

    out, sys.stdout = sys.stdout, sys.stderr  # a library printing during a trial never corrupts the answer
    request = json.loads(sys.stdin.read(REQUEST_LIMIT))
    out.write(json.dumps(answer(request), sort_keys=True) + "\n")
    out.flush()
    return 0
