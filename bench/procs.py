"""Processes read from /proc, for the benchmarks' memory and CPU figures (no psutil needed)."""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from pathlib import Path

CLK_TCK = os.sysconf("SC_CLK_TCK")


@dataclass
class Proc:
    """A process (with `more` processes counted with it) read from /proc: resident memory and
    CPU time, no psutil needed."""

    pid: int
    name: str
    more: list[int] = field(default_factory=list)
    peak_rss: float = 0.0

    def _status(self, key: str, pid: int | None = None) -> float:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid or self.pid}/status").read_text().splitlines():
                if line.startswith(key + ":"):
                    return int(line.split()[1]) / 1024
        return 0.0

    def rss(self) -> float:
        """Resident set size in MiB (VmRSS); remembers the highest value seen."""
        value = sum(self._status("VmRSS", pid) for pid in [self.pid, *self.more])
        self.peak_rss = max(self.peak_rss, value)
        return value

    def cpu(self) -> float:
        """User + system CPU seconds so far, all threads."""
        total = 0.0
        for pid in [self.pid, *self.more]:
            with contextlib.suppress(OSError):
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) / CLK_TCK
        return total
