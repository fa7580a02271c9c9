"""A growable, front-droppable buffer of per-sample columns (amortised O(1) append)."""

from __future__ import annotations

import numpy as np


class ColumnBuffer:
    """Named columns of equal length, addressed by global sample index.

    Appending copies into spare capacity (doubling when full); dropping the
    front moves an offset; when an append does not fit, the live rows move to
    the front (into storage twice as large only if they fill three quarters
    of it), so a stream of any length runs in memory bounded by what is live.
    """

    def __init__(self, columns: dict[str, tuple[tuple[int, ...], type]]) -> None:
        self._spec = columns
        self._cap = 1024
        self._data: dict[str, np.ndarray] = {
            k: np.empty((self._cap, *shape), dtype=dt) for k, (shape, dt) in columns.items()
        }
        self._lo = 0  # storage row of the first live sample
        self._hi = 0  # storage row after the last live sample
        self.start = 0  # global index of the first live sample

    @property
    def stop(self) -> int:
        """Global index after the last live sample."""
        return self.start + self._hi - self._lo

    def __len__(self) -> int:
        return self._hi - self._lo

    def append(self, **cols: np.ndarray) -> None:
        n = len(next(iter(cols.values())))
        if self._hi + n > self._cap:
            self._grow(n)
        for k, v in cols.items():
            self._data[k][self._hi : self._hi + n] = v
        self._hi += n

    def get(self, name: str, start: int, stop: int) -> np.ndarray:
        """Column ``name`` for global indices ``[start, stop)`` (a view)."""
        a = self._lo + start - self.start
        b = self._lo + stop - self.start
        if a < self._lo or b > self._hi or a > b:
            raise IndexError(f"{name}[{start}:{stop}] outside buffer [{self.start}:{self.stop}]")
        return self._data[name][a:b]

    def drop_before(self, index: int) -> None:
        """Forget samples before global ``index``."""
        k = min(max(0, index - self.start), len(self))
        self._lo += k
        self.start += k

    def _grow(self, n: int) -> None:
        live = self._hi - self._lo
        cap = self._cap
        while live + n > cap // 2 and live + n > cap - (cap // 4):
            cap *= 2
        cap = max(cap, live + n)
        for k, (shape, dt) in self._spec.items():
            new: np.ndarray = np.empty((cap, *shape), dtype=dt)
            new[:live] = self._data[k][self._lo : self._hi]
            self._data[k] = new
        self._cap, self._lo, self._hi = cap, 0, live
