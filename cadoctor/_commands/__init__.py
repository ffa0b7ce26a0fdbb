"""The commands, each composed in one module: read the facts, apply the rules (and the fixes), return a result.

`check` (`cadoctor.check()` is its `check`), `ps`, `inspect` and `explain` return records of `_model` or
raise a `cadoctor.CheckError` when their subject cannot be examined; the CLI parses the arguments, renders
the result and maps it, or the exception, to an exit code.
"""
