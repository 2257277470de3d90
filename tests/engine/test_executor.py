"""The in-process executor (the Dask one runs in tests/commands/test_sweep.py on a real
LocalCluster)."""

from __future__ import annotations

from forecast.engine.executor import InProcess, JobFailed


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
