"""The file-system view every other family reads through.

Contract:
- reads: paths named inside a `FileRoot` (this host's `/`, a container's `/proc/PID/root`, an unpacked image),
  resolved one component at a time so that absolute links and `..` stay inside the root;
- returns: open descriptors of regular files only (`open_regular`: a FIFO, device or socket is classified,
  never opened for reading), file identities, and who besides the owner may write a path (`exposures`);
- never: follows a link out of its root, blocks on a special file, reads a certificate, or raises for a
  missing or unreadable path (that is a classification); `OSError` leaves only `FileRoot.resolve`.
"""
