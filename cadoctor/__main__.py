"""`python -m cadoctor`."""

from cadoctor._command import entry

entry()
