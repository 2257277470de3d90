"""Forward simulation throughput, memory and compile time.

Compares, on the seed scenario (``scenarios/deepseek.toml``):

- ``simulate``: the compiled, batched PyTensor graph (:func:`forecast.engine.forward.simulator`);
- ``numpy``: the same model written by hand in numpy (:func:`numpy_forward` below);
- ``pymc``: ``pm.sample_prior_predictive`` on the model :func:`forecast.engine.model.build_model`
  builds (one compiled call per draw in a Python loop; only at small sizes);

each at several draw counts, every measurement in its own subprocess so that peak
memory (``ru_maxrss``) belongs to that one run. Then compile time: cold (an empty
PyTensor compile directory, ``PYTENSOR_FLAGS=base_compiledir=<tmp>``) and warm (a
second process on the same directory: PyTensor's and numba's on-disk caches), for
the numba backend (``NUMBA``, the default) and the C backend (``CVM``; PyTensor 3's
``FAST_RUN`` uses numba too).

Run::

    uv run python benchmarks/forward.py            # everything (~5-10 min on 2 cores)
    uv run python benchmarks/forward.py --quick    # 1e4 and 1e5 draws, no compile runs

Rates are draws per second of wall time and of process CPU time; on a shared machine
the CPU-time rate is the steadier of the two. ``os.getloadavg()`` is printed before and
after: a load above the core count means the wall-clock figures are pessimistic.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve()
SEED = 20250101


# --- the model in plain numpy ---------------------------------------------------------


def _transform(fam: np.ndarray, a: np.ndarray, b: np.ndarray, z: np.ndarray) -> np.ndarray:
    """``f(a + b z)`` elementwise (``fam``, ``a``, ``b`` broadcast against ``z``); each
    family's function runs only on its own elements."""
    from scipy import special

    fam, a, b = np.broadcast_arrays(fam, a, b, z)[:3]
    y = a + b * z
    out = np.empty_like(y)
    for f, fn in ((0, None), (1, np.exp), (2, special.expit), (3, np.expm1)):
        mask = fam == f
        if mask.any():
            out[mask] = y[mask] if fn is None else fn(y[mask])
    mask = fam == 4
    if mask.any():
        out[mask] = a[mask] + (b[mask] - a[mask]) * special.ndtr(z[mask])
    return out


def _numpy_chunk(d: Any, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """One chunk of draws of the model in :mod:`forecast.engine.model`, written for numpy
    (main's semantics: bridged projection anchors, drivers, share persistence, mid-year
    calendar on the query-time grid, thresholds judged ``by`` or ``at`` their deadline)."""
    from scipy import special

    m, y = d.year_rel.shape
    k = len(d.alpha)
    out: dict[str, np.ndarray] = {}
    size = _transform(d.size_fam, d.size_a, d.size_b, rng.standard_normal((n, m)))
    vol = _transform(d.vol_fam, d.vol_a, d.vol_b, rng.standard_normal((n, m)))
    rho = _transform(d.rho_fam, d.rho_a, d.rho_b, rng.standard_normal((n, 1)))
    common, own = np.sqrt(rho), np.sqrt(1.0 - rho)
    surprise = common * rng.standard_normal((n, 1)) + own * rng.standard_normal((n, m))
    # a projection that anchors growth takes the size's deviation back out by then
    drift = d.drift_mu + d.drift_sd * surprise - d.drift_anchor * (np.log(size) - d.log_size_ref)
    shock = vol[:, :, None] * (
        common[:, :, None] * rng.standard_normal((n, 1, y - 1))
        + own[:, :, None] * rng.standard_normal((n, m, y - 1))
    )
    cum = np.zeros((n, m, y))
    np.cumsum(shock, axis=-1, out=cum[:, :, 1:])
    # shocks bridged between the base year and an anchoring projection's year
    cum_base = cum[:, np.arange(m), np.argmax(d.base_onehot, axis=1)]
    cum_anchor = cum[:, np.arange(m), np.argmax(d.anchor_onehot, axis=1)]
    bridge = (1.0 - d.bridge_w) * cum_base[:, :, None] + d.bridge_w * cum_anchor[:, :, None]
    log_size = np.log(size)[:, :, None] + d.year_rel * drift[:, :, None] + cum - bridge
    market = np.exp(log_size)
    p = rng.dirichlet(d.alpha, size=n)
    logits = np.log(p) + d.calib + surprise @ d.beta.T
    q = special.softmax(logits, axis=1)
    outcome = np.minimum((q.cumsum(axis=1) < rng.random((n, 1))).sum(axis=1), k - 1)
    out.update(
        size=size,
        growth=np.expm1(drift),
        volatility=vol,
        common_factor=rho[:, 0],
        growth_surprise=surprise,
        outcome_prior=p,
        market_size=market,
        total_market=market.sum(axis=1),
        outcome_probability=q,
        realized_outcome=outcome,
    )
    # share paths: the points' latents share sqrt(persistence) with their position's
    # others; between two points, their quantile functions at the interpolated latent
    n_pos, n_in = len(d.pos_market), len(d.share_fam)
    z_own = rng.standard_normal((n, n_in))
    z_common = rng.standard_normal((n, n_pos))
    z_share = np.sqrt(d.share_rho) * z_common[:, d.share_pos] + np.sqrt(1.0 - d.share_rho) * z_own
    share_in = _transform(d.share_fam, d.share_a, d.share_b, z_share)
    lo = d.share_lo[:, outcome, :].transpose(1, 0, 2)  # (n, position, time) at the realized outcome
    hi = d.share_hi[:, outcome, :].transpose(1, 0, 2)
    u = d.share_t[:, outcome, :].transpose(1, 0, 2)
    rows = np.arange(n)[:, None, None]
    z_t = ((1.0 - u) * z_share[rows, lo] + u * z_share[rows, hi]) * d.share_norm[:, outcome, :].transpose(
        1, 0, 2
    )
    share_lo = _transform(d.share_fam[lo], d.share_a[lo], d.share_b[lo], z_t)
    share_hi = _transform(d.share_fam[hi], d.share_a[hi], d.share_b[hi], z_t)
    share_t = (1.0 - u) * share_lo + u * share_hi
    # each position's market at every query time, log-linear between grid years
    pos_log = log_size[:, d.pos_market, :]
    log_pos_t = (1.0 - d.time_u) * pos_log[:, :, d.time_lo] + d.time_u * pos_log[:, :, d.time_hi]
    revenue_t = share_t * np.exp(log_pos_t)
    out.update(share_anchor=share_in, share=share_t[:, :, :y], revenue=revenue_t[:, :, :y])
    # thresholds: every check of a window by index, hit if any is past it
    values = np.concatenate(
        [log_size.reshape(n, -1), share_t.reshape(n, -1), revenue_t.reshape(n, -1)], axis=1
    )
    value = (1.0 - d.check_u) * values[:, d.check_lo] + d.check_u * values[:, d.check_hi]
    past = d.check_sign * (value - d.check_value) >= 0
    thr_hit = past[:, d.thr_check].max(axis=-1) if d.thr_check.size else np.zeros((n, len(d.thr_check)), bool)
    n_ev = len(d.event_horizon)
    p_k = _transform(d.event_fam, d.event_a, d.event_b, rng.standard_normal((n, n_ev, k)))
    p_event = p_k[np.arange(n), :, outcome] if n_ev else np.zeros((n, 0))
    with np.errstate(divide="ignore"):
        time_ = rng.standard_exponential((n, n_ev)) / (-np.log1p(-p_event) / d.event_horizon)
    hits = np.concatenate([thr_hit, time_ <= d.event_horizon], axis=1).astype(float)
    out.update(
        event_probability=p_event,
        event_time=time_,
        prediction_hit=hits[:, d.pred_pick],
        signpost_probability=q @ d.signpost_l.T,
    )
    return out


def numpy_forward(d: Any, n: int, seed: int, chunk: int) -> dict[str, np.ndarray]:
    """``n`` draws of every output, ``chunk`` draws at a time into preallocated arrays
    (as :class:`forecast.engine.forward.Simulator` does), so memory is bounded the same way."""
    from threadpoolctl import threadpool_limits

    rng = np.random.default_rng(seed)
    out: dict[str, np.ndarray] = {}
    # one BLAS thread, as the simulator uses (faster for these tall, thin products)
    with threadpool_limits(1, user_api="blas"):
        for start in range(0, n, chunk):
            stop = min(n, start + chunk)
            part = _numpy_chunk(d, stop - start, rng)
            if stop - start == n:
                return part
            for name, v in part.items():
                if name not in out:
                    out[name] = np.empty((n, *v.shape[1:]), dtype=v.dtype)
                out[name][start:stop] = v
    return out


# --- workers: one measurement per process ----------------------------------------------


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def _timed(fn: Any, repeats: int) -> tuple[float, float]:
    """Best wall and best CPU seconds of ``repeats`` calls."""
    wall, cpu = [], []
    for _ in range(repeats):
        t, c = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    return min(wall), min(cpu)


def _seed_data() -> Any:
    import forecast
    from forecast.engine.data import model_data

    return model_data(forecast.load(forecast.bundled("deepseek"))).without_observations()


def worker(kind: str, n: int) -> dict[str, Any]:
    import importlib

    sim_module = importlib.import_module("forecast.engine.forward")
    d = _seed_data()
    repeats = 3 if n <= 100_000 else 1
    if kind == "simulate":
        sim = sim_module.simulator(d)
        sim(min(n, 1000), 0)  # numba compiles (or loads from cache) on the first call
        base = _maxrss_mb()
        wall, cpu = _timed(lambda: sim(n, SEED), repeats)
    elif kind == "numpy":
        numpy_forward(d, 1000, 0, sim_module.CHUNK)
        base = _maxrss_mb()
        wall, cpu = _timed(lambda: numpy_forward(d, n, SEED, sim_module.CHUNK), repeats)
    elif kind == "pymc":
        import pymc as pm

        from forecast.engine.model import build_model

        model = build_model(d)
        small = 100

        def run(draws: int) -> None:
            pm.sample_prior_predictive(draws=draws, model=model, random_seed=SEED)

        run(small)  # compile once (PyTensor's C cache then serves later calls)
        base = _maxrss_mb()
        w_small, c_small = _timed(lambda: run(small), 1)
        w_n, c_n = _timed(lambda: run(n), 1)
        # per-draw cost of the loop: the fixed cost (compile from cache, conversion) of
        # a 100-draw call is taken off
        wall, cpu = (w_n - w_small) * n / (n - small), (c_n - c_small) * n / (n - small)
    else:
        raise ValueError(kind)
    return {"kind": kind, "n": n, "wall": wall, "cpu": cpu, "maxrss_mb": _maxrss_mb(), "base_mb": base}


def compile_worker() -> dict[str, Any]:
    """Compile time in this process (the compile dir and mode come from the environment)."""
    t0 = time.perf_counter()
    import importlib

    import pymc  # noqa: F401  (imported here so that its import is not counted as compile)

    import forecast

    t_import = time.perf_counter() - t0
    sim_module = importlib.import_module("forecast.engine.forward")
    d = _seed_data()
    t1, c1 = time.perf_counter(), time.process_time()
    sim = sim_module.simulator(d)  # includes the first (compiling) call
    compile_wall, compile_cpu = time.perf_counter() - t1, time.process_time() - c1
    wall, cpu = _timed(lambda: sim(100_000, SEED), 2)
    s = forecast.load(forecast.bundled("deepseek"))
    t2 = time.perf_counter()
    forecast.simulate(s, draws=20_000, seed=SEED)
    return {
        "mode": sim_module.MODE,
        "linker": type(sim.fn.maker.linker).__name__,
        "import": t_import,
        "compile_wall": compile_wall,
        "compile_cpu": compile_cpu,
        "rate_1e5_wall": 100_000 / wall,
        "rate_1e5_cpu": 100_000 / cpu,
        "simulate_20000": time.perf_counter() - t2,
        "total": time.perf_counter() - t0,
        "maxrss_mb": _maxrss_mb(),
    }


def check_worker() -> dict[str, Any]:
    """The numpy implementation is the same model: every output's per-element mean from
    it agrees with ``forecast.simulate``'s (independent draws) within the normal
    quantile that leaves a 0.1% chance of a false alarm over all elements (Bonferroni);
    ``z`` is the difference over its standard error."""
    from scipy import stats

    import forecast
    from forecast.engine.forward import CHUNK

    d = _seed_data()
    n = 200_000
    fc = forecast.simulate(forecast.load(forecast.bundled("deepseek")), draws=n, seed=1)
    ref = numpy_forward(d, n, 2, CHUNK)
    worst, where, count = 0.0, "", 0
    for name, b in ref.items():
        a = np.asarray(fc.values(name), dtype=float).reshape(n, -1)
        b = b.astype(float).reshape(n, -1)
        finite = np.isfinite(a).all(axis=0) & np.isfinite(b).all(axis=0)
        se = np.sqrt(a.var(axis=0) / n + b.var(axis=0) / n)
        z = np.where(
            finite & (se > 0), np.abs(a.mean(axis=0) - b.mean(axis=0)) / np.where(se > 0, se, 1.0), 0.0
        )
        # a point (se 0) must be the same point
        same = np.where(finite & (se == 0), a[0] == b[0], True)
        if not same.all():
            return {
                "worst_z": float("inf"),
                "where": f"{name}: a point differs",
                "count": count,
                "limit": 0.0,
            }
        count += int(finite.sum())
        if z.size and z.max() > worst:
            worst, where = float(z.max()), f"{name}[{int(z.argmax())}]"
    limit = float(stats.norm.ppf(1 - 0.001 / (2 * max(count, 1))))
    return {"worst_z": worst, "where": where, "count": count, "limit": limit}


def _run(args: list[str], env: dict[str, str] | None = None) -> dict[str, Any]:
    cmd = [sys.executable, str(HERE), "--worker", *args]
    res = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, **(env or {})}, check=False)
    if res.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{res.stderr[-3000:]}")
    return json.loads(res.stdout.strip().splitlines()[-1])


# --- report ------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    ap.add_argument("--quick", action="store_true", help="1e4 and 1e5 draws only, no compile runs")
    ap.add_argument("--pymc-draws", type=int, default=10_000, help="draws for pm.sample_prior_predictive")
    args = ap.parse_args(argv)

    if args.worker:
        kind = args.worker[0]
        if kind == "compile":
            out = compile_worker()
        elif kind == "check":
            out = check_worker()
        else:
            out = worker(kind, int(float(args.worker[1])))
        print(json.dumps(out))
        return 0

    sizes = [10_000, 100_000] if args.quick else [10_000, 100_000, 1_000_000]
    print(f"load average before: {os.getloadavg()}  cores: {os.cpu_count()}", flush=True)
    _run(["simulate", "1000"])  # make sure the default compile cache is warm

    rows: dict[tuple[str, int], dict[str, Any]] = {}
    for n in sizes:
        for kind in ("simulate", "numpy"):
            rows[kind, n] = _run([kind, str(n)])
    rows["pymc", args.pymc_draws] = _run(["pymc", str(args.pymc_draws)])

    print("\nthroughput (draws/s; best of 3 below 1e6) and peak memory (RSS of the process, MB)")
    print(
        f"{'method':10s} {'draws':>9s} {'wall rate':>12s} {'cpu rate':>12s} {'peak MB':>9s} {'before MB':>10s}"
    )
    for (kind, n), r in sorted(rows.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        print(
            f"{kind:10s} {n:9,d} {n / r['wall']:12,.0f} {n / r['cpu']:12,.0f} "
            f"{r['maxrss_mb']:9,.0f} {r['base_mb']:10,.0f}"
        )

    print("\nratios (simulate / other, draws per second)")
    for n in sizes:
        s, p = rows["simulate", n], rows["numpy", n]
        print(f"  vs numpy  at {n:9,d}: wall {p['wall'] / s['wall']:5.2f}x  cpu {p['cpu'] / s['cpu']:5.2f}x")
    pm_row, npm = rows["pymc", args.pymc_draws], args.pymc_draws
    near = min(sizes, key=lambda n: abs(n - npm))
    s = rows["simulate", near]
    pm_rate_w, pm_rate_c = npm / pm_row["wall"], npm / pm_row["cpu"]
    print(
        f"  vs pymc   (its loop at {npm:,d} draws, simulate at {near:,d}): "
        f"wall {near / s['wall'] / pm_rate_w:6.0f}x  cpu {near / s['cpu'] / pm_rate_c:6.0f}x"
    )

    check = _run(["check"])
    verdict = "agree" if check["worst_z"] < check["limit"] else "DISAGREE"
    print(
        f"\nnumpy implementation vs forecast.simulate, 200,000 draws each, {check['count']} output elements: "
        f"worst |z| of a mean = {check['worst_z']:.2f} ({check['where']}); limit {check['limit']:.2f} "
        f"(0.1% false-alarm chance over all of them): {verdict}"
    )

    if not args.quick:
        print("\ncompile (seed scenario; cold = empty compile dir, warm = a second process on it)")
        print(
            f"{'mode':9s} {'linker':12s} {'cache':5s} {'import s':>9s} {'compile s':>10s} {'cpu s':>7s} "
            f"{'1e5 rate':>10s} {'20k run s':>10s} {'total s':>8s} {'peak MB':>8s}"
        )
        for mode in ("NUMBA", "CVM"):
            with tempfile.TemporaryDirectory(prefix=f"forecast-{mode.lower()}-") as tmp:
                env = {"PYTENSOR_FLAGS": f"base_compiledir={tmp}", "FORECAST_MODE": mode}
                for label in ("cold", "warm"):
                    r = _run(["compile"], env)
                    print(
                        f"{mode:9s} {r['linker']:12s} {label:5s} {r['import']:9.2f} {r['compile_wall']:10.2f} {r['compile_cpu']:7.2f} "
                        f"{r['rate_1e5_wall']:10,.0f} {r['simulate_20000']:10.2f} {r['total']:8.2f} {r['maxrss_mb']:8,.0f}",
                        flush=True,
                    )

    big = rows.get(("simulate", 1_000_000))
    print("\ntargets")
    s5, p5 = rows["simulate", 100_000], rows["numpy", 100_000]
    print(f"  >= 0.5x numpy at 1e5 draws (cpu): {p5['cpu'] / s5['cpu']:.2f}x")
    print(f"  >= 50x pymc's per-draw loop (cpu): {near / s['cpu'] / pm_rate_c:.0f}x")
    if big:
        print(f"  1e6 draws under 4 GB: {big['maxrss_mb']:,.0f} MB peak")
    print(f"\nload average after: {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
