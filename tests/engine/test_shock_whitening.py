"""Issue 30: NUTS samples the yearly shocks whitened given the evidence.

Sampled as drawn, the shocks' posterior narrows where the observed market's volatility
is large, and a step size tuned in the bulk diverged there (``deepseek-update`` at
target_accept 0.8: every divergent draw had that volatility latent beyond 3). The
reparameterisation must (1) keep the model: its density at the sampled latents is the
old one at the shocks they give, times the Jacobian, which the test computes itself
(PyTensor's jacobian, not the formula under test); and (2) remove the cause: the
curvature of the log density along the sampled shocks does not depend on the
volatility; and (3, speed) leave the shocks out of the log density NUTS evaluates at
every leapfrog step (the evidence's likelihood with them integrated out, closed form:
(1) checks it). Exact identities at fixed points, so the tolerances are float rounding.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import forecast
from forecast.engine.data import model_data
from forecast.engine.model import build_model


def _mode() -> Any:
    """PyTensor's Python linker: these small graphs are evaluated a few dozen times, and
    compiling them (numba, or C with its BLAS flags) would cost far more than that."""
    from pytensor.compile.mode import Mode

    return Mode(linker="py", optimizer="fast_compile")


@pytest.fixture(scope="module", params=["one", "three"])
def update_data(request: pytest.FixtureRequest) -> Any:
    """deepseek-update, and with two more observations (a rank-1 factor each; one on the
    observed market again, two years later, so the factors interact)."""
    from forecast.scenario import Scenario

    scenario = forecast.load(forecast.bundled("deepseek-update"))
    if request.param == "three":
        d = scenario.model_dump(mode="json", exclude_none=True)
        d["evidence"] += [
            {"market": "enterprise_llm_apis", "year": 2027, "value": 15.0, "rel_error": 0.1},
            {"market": "developer_tools", "year": 2027, "value": 8.0, "rel_error": 0.2},
        ]
        scenario = Scenario.from_dict(d)
    return model_data(scenario)


def _shock_names(model: Any) -> list[str]:
    return [rv.name for rv in model.free_RVs if rv.name.startswith("z_shock")]


def _point(model: Any, rng: np.random.Generator, **fixed: Any) -> dict[str, np.ndarray]:
    """A random point of the model's value variables (unconstrained), some set."""
    point = {k: rng.normal(size=np.shape(v)) * 0.7 for k, v in model.initial_point().items()}
    point.update(fixed)
    return point


def test_the_sampled_shocks_curve_the_same_at_any_volatility(update_data: Any) -> None:
    model = build_model(update_data, predictive=False)
    names = _shock_names(model)
    grad = model.compile_dlogp(vars=[model[n] for n in names], mode=_mode())
    rng = np.random.default_rng(1)
    top = []
    for z_vol in (0.0, 4.0):  # the observed market's volatility at its median, and 5.4x it
        point = _point(model, rng, z_volatility=np.array([0.0, 0.0, z_vol, 0.0]))
        # the Hessian along the sampled shocks by central differences of the gradient
        # (exact for the whitened shocks, whose log density is quadratic in them)
        x0 = np.concatenate([point[n].ravel() for n in names])
        cols = []
        for i in range(x0.size):
            step = np.zeros_like(x0)
            step[i] = 1e-4
            g = [grad(_with(point, names, x0 + sgn * step)) for sgn in (1, -1)]
            cols.append((g[0] - g[1]) / 2e-4)
        hess = np.array(cols)
        top.append(np.linalg.eigvalsh(-(hess + hess.T) / 2).max())
    # sampled as drawn, the largest curvature is 1 + |W|^2 (2.0 at the median, 30 at z = 4);
    # whitened, 1 at both
    assert top[1] == pytest.approx(top[0], rel=1e-5), top


def _with(point: dict[str, np.ndarray], names: list[str], flat: np.ndarray) -> dict[str, np.ndarray]:
    """``point`` with the variables ``names`` set from one flat vector."""
    out, at = dict(point), 0
    for n in names:
        size = point[n].size
        out[n] = flat[at : at + size].reshape(point[n].shape)
        at += size
    return out


def test_whitening_keeps_the_density_of_the_latents(update_data: Any) -> None:
    white = build_model(update_data, predictive=False)
    plain = build_model(update_data, predictive=False, whiten=False)
    names = _shock_names(white)
    assert names != _shock_names(plain)  # the sampled shocks are others
    logp = white.compile_logp(mode=_mode())
    outs = white.replace_rvs_by_values([white["z_shock_common"], white["z_shock"]])
    shocks = white.compile_fn(outs, inputs=white.value_vars, mode=_mode(), on_unused_input="ignore")
    old = plain.compile_logp(mode=_mode())
    rng = np.random.default_rng(2)
    diffs = []
    for _ in range(3):
        point = _point(white, rng)
        # the shocks are linear in the sampled ones given the rest: the Jacobian's
        # columns are exact differences
        u0 = np.concatenate([point[n].ravel() for n in names])
        z0 = np.concatenate([z.ravel() for z in shocks(point)])
        jac = np.array(
            [
                np.concatenate([z.ravel() for z in shocks(_with(point, names, u0 + e))]) - z0
                for e in np.eye(u0.size)
            ]
        )
        plain_point = {k: v for k, v in point.items() if k not in names}
        plain_point["z_shock_common"], plain_point["z_shock"] = shocks(point)
        diffs.append(logp(point) - (old(plain_point) + np.linalg.slogdet(jac)[1]))
    assert np.abs(diffs).max() < 1e-9, diffs


def test_the_log_density_does_not_compute_the_shocks(update_data: Any) -> None:
    """Issue 30 (speed): given the rest, the whitened shocks ``u`` are standard normal and
    independent of it, so NUTS's log density is ``log N(u)`` plus the evidence's marginal
    likelihood (the shocks integrated out, closed form). The shocks themselves are drawn
    only in the expansion (once a draw), not at each leapfrog step: no term of the log
    density but ``log N(u)`` may read ``u`` (the density before read them through the
    shocks: equal in exact arithmetic, not in floating point)."""
    model = build_model(update_data, predictive=False)
    u = _shock_names(model)
    grad = model.compile_dlogp(vars=[model[n] for n in u], mode=_mode())
    point = _point(model, np.random.default_rng(3))
    # the gradient along the sampled shocks is exactly -u: no other term reads them
    expected = np.concatenate([-point[n].ravel() for n in u])
    assert np.array_equal(grad(point), expected)
