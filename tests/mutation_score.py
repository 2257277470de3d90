"""Killed/total of the mutants matching mutmut name globs, by function; lists the rest.

Run by tests/mutation.sh after ``mutmut run`` (reads ``mutants/**/*.py.meta``, where
mutmut keeps each mutant's exit code). Not a test: no ``test_`` prefix.

Usage: ``uv run python tests/mutation_score.py GLOB [GLOB ...]``
"""

from __future__ import annotations

import fnmatch
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

# mutmut's exit codes (mutmut.stats.status_by_exit_code): a timeout or a crash of the
# mutated code also counts as a kill, as mutmut's own score does
KILLED = {1, 3, 36, -24, 24, 152, 255, -11, -9, 37}
NAMES = {0: "survived", 5: "no tests", 33: "no tests", None: "not checked", 34: "skipped"}


def main(globs: list[str]) -> int:
    by_function: dict[str, Counter[str]] = defaultdict(Counter)
    left: list[tuple[str, str]] = []
    for meta in sorted(Path("mutants").rglob("*.py.meta")):
        codes = json.loads(meta.read_text())["exit_code_by_key"]
        for key, code in codes.items():
            if not any(fnmatch.fnmatch(key, g) for g in globs):
                continue
            function = key.rsplit("__mutmut_", 1)[0]
            status = "killed" if code in KILLED else NAMES.get(code, f"exit {code}")
            by_function[function][status] += 1
            if status != "killed":
                left.append((key, status))
    total = Counter[str]()
    for function, counts in sorted(by_function.items()):
        total += counts
        n = sum(counts.values())
        print(f"{counts['killed']:4d}/{n:<4d} {function}")
    n = sum(total.values())
    print(f"{total['killed']:4d}/{n:<4d} in all  ({dict(total)})")
    for key, status in left:
        print(f"    {status:12s} {key}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
