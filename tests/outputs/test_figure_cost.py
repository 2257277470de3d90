"""Issue 30: the report's figures cost one drawing pass each, with the pixels ``savefig`` draws."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pytest

from forecast.outputs.figures import DPI, _png

pytest.importorskip("matplotlib")


def _figure(facecolor: str = "white"):  # type: ignore[no-untyped-def]
    from matplotlib.figure import Figure

    # the report's layout: legend outside, below
    fig = Figure(figsize=(4, 2.5), layout="constrained", facecolor=facecolor)
    ax = fig.subplots()
    ax.fill_between([2025, 2026, 2027], [1, 2, 3], [2, 4, 6], label="90% interval", linewidth=0)
    ax.plot([2025, 2026, 2027], [1.5, 3, 4.5], label="median")
    ax.set_title("A market with a long name", loc="left", fontweight="bold")
    fig.legend(loc="outside lower center", ncol=2)
    return fig


def _savefig_png(fig) -> bytes:  # type: ignore[no-untyped-def]
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
    return buf.getvalue()


def _image(png: bytes):  # type: ignore[no-untyped-def]
    from PIL import Image

    return Image.open(io.BytesIO(png))


def test_png_draws_a_figure_once(monkeypatch: pytest.MonkeyPatch) -> None:
    from matplotlib.figure import Figure

    calls = []
    draw = Figure.draw

    def counted(self, renderer):  # type: ignore[no-untyped-def]
        calls.append(renderer)
        return draw(self, renderer)

    monkeypatch.setattr(Figure, "draw", counted)
    _png(_figure())
    assert len(calls) == 1  # savefig draws twice: once to lay out, once to render


def test_png_has_the_pixels_savefig_draws() -> None:
    ours, theirs = _image(_png(_figure())), _image(_savefig_png(_figure()))
    assert theirs.mode == "RGBA" and np.all(np.asarray(theirs)[..., 3] == 255)  # opaque
    # an opaque figure is written without its alpha channel: the same picture, fewer bytes
    assert ours.mode == "RGB"
    np.testing.assert_array_equal(np.asarray(ours), np.asarray(theirs)[..., :3])
    assert ours.info["dpi"] == pytest.approx((DPI, DPI), abs=0.01)


def test_a_transparent_figure_keeps_its_alpha() -> None:
    ours, theirs = _image(_png(_figure("none"))), _image(_savefig_png(_figure("none")))
    assert ours.mode == "RGBA"
    np.testing.assert_array_equal(np.asarray(ours), np.asarray(theirs))


def test_png_is_deterministic() -> None:
    assert _png(_figure()) == _png(_figure())  # no time stamp, no matplotlib version


def _fan(scale: float):  # type: ignore[no-untyped-def]
    """A market's fan chart (the report's own drawing function) with sizes of ``scale``."""
    import functools

    import pandas as pd

    from forecast.outputs.figures import _fan_figure

    years = [2025, 2026, 2027, 2028]
    q = np.array([1.0, 1.2, 1.5, 1.9])
    df = pd.DataFrame(
        {"year": years} | {f"q{k:02d}": scale * (0.6 + k / 100) * q for k in (5, 25, 50, 75, 95)}
    )
    return functools.partial(
        _fan_figure,
        df,
        title="A market",
        ylabel="Size (USD)",
        stated=[(2025.0, scale, "stated")],
        prior_median=None,
    )


def test_a_title_is_drawn_where_matplotlib_places_it() -> None:
    """Titles are drawn without matplotlib's search for room above the y axis's offset
    text (a third of a figure's layout passes); where that text is drawn, the figure is
    drawn again with the search: the same pixels either way."""
    from forecast.outputs.figures import _drawn

    for scale in (1.0, 3e9):  # 3e9: the y axis writes its ticks as 0.5 ... with "1e9" above them
        make = _fan(scale)
        assert np.array_equal(np.asarray(_image(_drawn(make))), np.asarray(_image(_png(make())))), scale


def test_a_title_is_searched_room_for_only_when_an_offset_text_is_drawn(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from matplotlib.axes import Axes

    from forecast.outputs import figures

    searched = []
    update = Axes._update_title_position

    def counted(self, renderer):  # type: ignore[no-untyped-def]
        searched.append(self._autotitlepos is not False)
        return update(self, renderer)

    monkeypatch.setattr(Axes, "_update_title_position", counted)
    figures._drawn(_fan(1.0))
    assert searched and not any(searched)
    searched.clear()
    figures._drawn(_fan(3e9))
    assert any(searched)


def test_the_seeds_figures_have_the_pixels_of_matplotlibs_own_layout(seed_forecast: Any) -> None:
    """Every shortcut of :func:`_drawn` (titles placed without a search, spines under tick
    labels left out of the layout) leaves each of the seed's figures as matplotlib's own
    constrained layout draws it, pixel for pixel."""
    from forecast.outputs.figures import _drawn, _plan, figure_data

    plan = _plan(figure_data(seed_forecast))
    assert len(plan) >= 15
    differ = [
        info.file
        for info, make in plan
        if not np.array_equal(np.asarray(_image(_drawn(make))), np.asarray(_image(_png(make()))))
    ]
    assert not differ


def _stock_pixels(make) -> np.ndarray:  # type: ignore[no-untyped-def]
    """A figure as matplotlib's own Agg canvas draws it (its stock renderer), RGB."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = make()
    canvas = FigureCanvasAgg(fig)
    fig.set_dpi(DPI)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[..., :3]


def test_the_seeds_figures_have_the_pixels_of_matplotlibs_own_renderer(seed_forecast: Any) -> None:
    """The figures' renderer (text drawn with its per-glyph work hoisted, text measured
    once per process) draws every figure of the seed, tornado charts included, pixel for
    pixel as matplotlib's stock Agg renderer; twice, so a measurement remembered from
    one figure serves the next."""
    from forecast.analysis.tornado import report_frames
    from forecast.outputs.figures import _plan, _tornado_plan, figure_data, render
    from forecast.outputs.report import sensitivity_frames

    plan = _plan(figure_data(seed_forecast)) + _tornado_plan(sensitivity_frames(report_frames(seed_forecast)))
    assert len(plan) >= 18
    for _ in range(2):
        differ = [
            info.file
            for info, make in plan
            if not np.array_equal(np.asarray(render(make()).buffer_rgba())[..., :3], _stock_pixels(make))
        ]
        assert not differ


def _texts():  # type: ignore[no-untyped-def]
    """Text the report's figures never draw: rotated by odd angles, mathtext (with and
    without boxes), not antialiased, condensed italic, two lines in a box."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(3, 2))
    fig.text(0.1, 0.1, "Ångström 12,5 ‰", rotation=33, fontsize=9)
    fig.text(0.5, 0.5, r"$\alpha^2_i$", fontsize=11, rotation=20)
    fig.text(0.2, 0.3, r"$\sqrt{x}$", fontsize=11)  # a box: matplotlib's own loop
    fig.text(0.1, 0.8, "jagged", antialiased=False, fontweight="bold")
    fig.text(0.6, 0.2, "wide", rotation=-90, fontstretch="condensed", fontstyle="italic")
    # laid out from the font's ascent, descent and line gap
    fig.text(0.3, 0.95, "two\nlines", va="top", ha="center", bbox={"facecolor": "none"})
    return fig


def test_odd_text_has_the_pixels_of_matplotlibs_own_renderer() -> None:
    from forecast.outputs.figures import render

    for _ in range(2):
        np.testing.assert_array_equal(
            np.asarray(render(_texts()).buffer_rgba())[..., :3], _stock_pixels(_texts)
        )


def test_text_is_measured_once_per_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """A text in one font and size is measured by FreeType once, not once per figure
    (matplotlib's own cache lives as long as one renderer, i.e. one figure)."""
    from matplotlib.backends.backend_agg import RendererAgg

    from forecast.outputs.figures import render

    render(_figure())
    measured = []
    measure = RendererAgg.get_text_width_height_descent

    def counted(self, s, prop, ismath):  # type: ignore[no-untyped-def]
        measured.append(s)
        return measure(self, s, prop, ismath)

    monkeypatch.setattr(RendererAgg, "get_text_width_height_descent", counted)
    render(_figure())
    assert not measured
