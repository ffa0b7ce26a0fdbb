"""Interpreters: proving a file is CPython, running it under limits, and what is installed in it.

Contract:
- runs: only a `ProvenPython` (`proof.prove_python` decides from files alone: nothing is run to decide), with
  bounded time and output (`run`); every answer is checked for the child protocol's version;
- reads: distributions (`.dist-info`, `.egg-info`), `.pth` injectors and client configuration files, never by
  importing a client; which Python the user runs when cadoctor lives apart (`user_python`);
- declared errors: `NotProven` (a file that is not a proven interpreter) and `cadoctor.InterpreterError`
  (one that could not answer).
"""
