"""The in-process executor (the Dask one runs in tests/commands/test_sweep.py on a real
LocalCluster)."""

from __future__ import annotations

from typing import Any

from forecast.engine.executor import InProcess, JobFailed, OnDemand


def _half(x: int) -> float:
    if x < 0:
        raise ValueError(f"negative: {x}")
    return x / 2


def test_in_process_runs_in_order_and_turns_errors_into_failed_jobs() -> None:
    with InProcess() as ex:
        out = list(ex.map(_half, [2, -1, 4]))
    assert [i for i, _ in out] == [0, 1, 2]
    assert out[0][1] == 1.0 and out[2][1] == 2.0
    failed = out[1][1]
    assert isinstance(failed, JobFailed) and failed.index == 1 and "negative: -1" in str(failed)


class _Started:
    """A stand-in for a LocalCluster's start: records that it started and what it ran."""

    def __init__(self) -> None:
        self.started = 0
        self.items: list[Any] = []
        self.keys: list[str] | None = None

    def __call__(self) -> InProcess:
        self.started += 1
        outer = self

        class Recorder(InProcess):
            def map(self, fn: Any, items: Any, *, keys: Any = None) -> Any:
                outer.items, outer.keys = list(items), keys
                return super().map(fn, items, keys=keys)

        return Recorder()


def test_on_demand_never_starts_a_cluster_for_work_shorter_than_its_start() -> None:
    """A few quick jobs run here: a worker's start-up would cost more than they do."""
    start = _Started()
    with OnDemand(start, worth=60.0) as ex:
        out = dict(ex.map(_half, list(range(10))))
    assert out == {i: i / 2 for i in range(10)} and start.started == 0


def test_on_demand_hands_the_rest_to_the_cluster_when_it_pays() -> None:
    """Once the jobs left would take longer here than ``worth`` seconds, the cluster is
    started and gets exactly the jobs not yet run, with their keys and their own
    indices (a failed job too)."""
    start = _Started()
    items = [2, 4, 6, -1, 8]
    with OnDemand(start, worth=0.0) as ex:
        out = list(ex.map(_half, items, keys=["a", "b", "c", "d", "e"]))
    assert start.started == 1
    assert start.items == [6, -1, 8] and start.keys == ["c", "d", "e"]  # two timed here first
    assert [i for i, _ in out] == [0, 1, 2, 3, 4]
    assert [r for _, r in out if not isinstance(r, JobFailed)] == [1.0, 2.0, 3.0, 4.0]
    failed = out[3][1]
    assert isinstance(failed, JobFailed) and failed.index == 3 and "negative: -1" in str(failed)
