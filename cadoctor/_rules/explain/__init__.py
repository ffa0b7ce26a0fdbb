"""`cadoctor explain`: a pasted TLS error message or traceback read against a table of message families.

Contract:
- reads: text only, at most `reading.INPUT_LIMIT` characters, in time linear in its length (`phrases`);
- returns: an `Explanation` (`reading.explain`): the likely causes, most specific first, each with the finding
  codes it points at and the `cadoctor check` command that confirms it, the host the message names, the side
  that printed it; a clue of the text around the error line (`clues.CLUES`: a clock, an expired root, no CA file,
  a proxy, an image without roots) puts the cause it decides first, its code leading, and says so;
- shares: the interception products (`_rules.interception`) and the alerts that reject a certificate
  (`_rules.certificate_alerts`) with `check --host`: its two rows are built from those tables;
- never: runs a check, touches the network, reads the system clock (`dates.py`), or echoes a host that is not a
  valid name into a command.
"""
