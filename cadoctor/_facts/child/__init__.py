"""The code that runs inside the examined interpreter: in this process, and sent to other Pythons and trial children.

Contract:
- imports: the standard library only (a test holds it), from Python 3.8 on; modules of this package reach
  each other by relative imports only, so the folder also runs as a program of its own (`python <folder>`,
  see `__main__`), where this `__init__` never runs: it holds no code;
- protocol (`jobs`): one JSON request on stdin naming its job, one JSON answer on stdout carrying the protocol
  version, for every job (the facts of an interpreter, a trial of a fix, a trial through the client libraries);
- holds no table of variables: each request, and each in-process call, names the ones to copy
  (`cadoctor._variables.for_child`);
- never: loads a new copy of OpenSSL (`RTLD_NOLOAD`), imports a client library outside a client trial, or
  raises for an unhealthy system: what it cannot read becomes a fact with the reason.
"""
