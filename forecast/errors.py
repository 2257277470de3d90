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
    has_got : bool, optional
        Whether to show ``got``. By default it is shown unless it is ``None``;
        pass ``True`` to show a ``None`` too, ``False`` to hide a value.

    Examples
    --------
    >>> str(Problem("a.toml", "markets.x.size", "must be > 0", -1))
    'a.toml: markets.x.size: must be > 0 (got -1)'
    """

    file: str
    path: str
    message: str
    got: Any = None
    # None means "show got unless it is None": a value passed positionally, as in the
    # example above, must not silently disappear from the message
    has_got: bool | None = None

    @classmethod
    def with_value(cls, file: str, path: str, message: str, got: Any) -> Problem:
        return cls(file, path, message, got, True)

    def __str__(self) -> str:
        where = f"{self.file}: {self.path}: " if self.path else f"{self.file}: "
        show = self.got is not None if self.has_got is None else self.has_got
        tail = f" (got {_show(self.got)})" if show else ""
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


class NonFiniteError(ScenarioError):
    """A result came out NaN or infinite: the inputs are beyond what can be computed.

    Raised instead of returning or writing the number (a number is computed or
    refused); a :class:`ScenarioError`, so the command line exits 2.

    Examples
    --------
    >>> print(NonFiniteError([Problem("markets.csv", "developer_tools 2030.sd", "is not finite", "inf")]))
    markets.csv: developer_tools 2030.sd: is not finite (got 'inf')
    """
