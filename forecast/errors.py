"""Problems with user input, collected and reported all at once.

Every problem is rendered as ``file: key.path: what is wrong (got X)`` so that a
strategist can fix a scenario file without reading a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input.

    Parameters
    ----------
    file : str
        The file (or ``"--set"``, ``"<overrides>"``) the problem is in.
    path : str
        Dotted key path inside the file, e.g. ``markets.developer_tools.cagr``.
    message : str
        What is wrong, in plain words.
    got : Any, optional
        The offending value, shown as ``(got X)``.

    Examples
    --------
    >>> str(Problem("a.toml", "markets.x.size", "must be > 0", -1))
    'a.toml: markets.x.size: must be > 0 (got -1)'
    """

    file: str
    path: str
    message: str
    got: Any = None
    has_got: bool = False

    @classmethod
    def with_value(cls, file: str, path: str, message: str, got: Any) -> Problem:
        return cls(file, path, message, got, True)

    def __str__(self) -> str:
        where = f"{self.file}: {self.path}: " if self.path else f"{self.file}: "
        tail = f" (got {_show(self.got)})" if self.has_got else ""
        return f"{where}{self.message}{tail}"


def _show(value: Any) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 80 else text[:77] + "..."


class ScenarioError(ValueError):
    """Raised when a scenario (or an override of it) is invalid.

    Carries every problem found, not just the first.

    Examples
    --------
    >>> err = ScenarioError([Problem("a.toml", "id", "is required")])
    >>> print(err)
    a.toml: id: is required
    """

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))
