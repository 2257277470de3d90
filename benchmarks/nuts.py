"""NUTS side by side: nutpie vs PyMC's own sampler on the ``deepseek-update`` scenario.

For each sampler: compile time (first use in this process), sampling time (tuning +
draws, all chains) and the smallest bulk ESS over every sampled latent and every
derived quantity, per second of sampling. Run::

    uv run python benchmarks/nuts.py [--draws 1000] [--tune 1000] [--chains 4] [--cores N]

Times vary with machine load (±30% is normal); ESS/s is the figure to compare.
"""

from __future__ import annotations

import argparse
import os
import time

import forecast
from forecast.engine.inference import compiled_sampler, diagnose, nuts
from forecast.engine.model import model_data


def run(sampler: str, args: argparse.Namespace) -> dict[str, object]:
    data = model_data(forecast.load(forecast.bundled(args.scenario)))
    t0 = time.perf_counter()
    compiled_sampler(data, sampler)
    compile_s = time.perf_counter() - t0
    res = nuts(
        data,
        sampler=sampler,
        chains=args.chains,
        tune=args.tune,
        draws=args.draws,
        seed=args.seed,
        cores=args.cores,
    )
    diag = diagnose(res.posterior, res.sample_stats)
    ess = float(diag["ess_bulk"].min())
    return {
        "sampler": sampler,
        "compile_s": compile_s,
        "sample_s": res.sample_seconds,
        "min_ess_bulk": ess,
        "min_ess_per_s": ess / res.sample_seconds,
        "max_rhat": float(diag["rhat"].max()),
        "divergences": diag.attrs["divergences"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scenario", default="deepseek-update")
    parser.add_argument("--draws", type=int, default=1000, help="retained draws per chain")
    parser.add_argument("--tune", type=int, default=1000)
    parser.add_argument("--chains", type=int, default=4)
    parser.add_argument("--cores", type=int, default=os.cpu_count())
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--samplers", default="nutpie,pymc")
    args = parser.parse_args()

    rows = [run(s, args) for s in args.samplers.split(",")]
    print(
        f"\n{args.scenario}: {args.chains} chains x ({args.tune} tune + {args.draws} draws), "
        f"{args.cores} cores\n"
    )
    header = f"{'sampler':<8} {'compile s':>10} {'sample s':>9} {'min bulk ESS':>13} {'ESS/s':>9} {'max R-hat':>10} {'diverging':>10}"
    print(header)
    print("-" * len(header))
    for r in rows:
        print(
            f"{r['sampler']:<8} {r['compile_s']:>10.1f} {r['sample_s']:>9.2f} {r['min_ess_bulk']:>13.0f} "
            f"{r['min_ess_per_s']:>9.0f} {r['max_rhat']:>10.4f} {r['divergences']:>10}"
        )


if __name__ == "__main__":
    main()
