"""A simulated device's unconfirmed correction deltas: sent every round until merged.

A round's reply can be lost: the node crashed after its round, the reply came after the
round deadline (`timeout`) and the server went on without it, or the server crashed before
saving. The delta in it must not be lost, nor merged twice. So a device keeps each delta
here (one checksummed file per sequence number) until the server's `acked-seqs`, which
are read from the merged table's ledger, name it; until then it is sealed again and sent
with every reply. The server's ledger turns any copy it already merged into a no-op:
at-least-once upload, exactly-once merge (as a device agent's journal does, agent/journal.py).
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from cache_sync.durable import DamagedFile, ensure_dir, read_checked, write_checked

log = logging.getLogger("fedhybrid.fleet")
NAME = re.compile(r"(\d+)\.delta")


class Outbox:
    def __init__(self, folder: Path):
        self.folder = folder

    def _files(self) -> dict[int, Path]:
        if not self.folder.is_dir():
            return {}
        return {int(m.group(1)): p for p in self.folder.iterdir() if (m := NAME.fullmatch(p.name))}

    def confirm(self, acked: list[int]) -> int:
        """Forget the deltas the server reports merged; returns how many."""
        done = 0
        for seq, path in self._files().items():
            if seq in set(acked):
                path.unlink(missing_ok=True)  # not fsync'd: a confirmed delta coming back is merged as a no-op
                done += 1
        return done

    def put(self, seq: int, delta: bytes) -> None:
        """Keep `delta` (unsealed) until confirmed; durable before the reply leaves."""
        ensure_dir(self.folder)
        write_checked(self.folder / f"{seq}.delta", delta)

    def pending(self) -> list[tuple[int, bytes]]:
        """(seq, delta) of every unconfirmed delta, oldest first; a damaged file is named in a
        WARNING and dropped (its corrections are lost, the rest still go)."""
        out = []
        for seq, path in sorted(self._files().items()):
            try:
                out.append((seq, read_checked(path, "the delta is dropped; the device's later deltas still go")))
            except DamagedFile as exc:
                log.warning("%s: %s", path, exc.problem)
                path.unlink(missing_ok=True)
        return out
