"""The subjects cadoctor examines, each turned into the same `Facts`: this interpreter, `--python`, `--pid`, `--root`.

Contract:
- one entry (`facts_of`) for every subject `check` names; `scan` (every process, for `ps`) and `inspection`
  (files, for `inspect`) collect their own records of `_model`;
- runs nothing but the probe in a proven interpreter (`--python`); `--pid` and `--root` are read from files;
- declared errors: `cadoctor.CheckError` subclasses (`InterpreterError`, `ProcessError`, `RootError`) when a
  subject cannot be examined at all; anything less is a fact with its reason.
"""
