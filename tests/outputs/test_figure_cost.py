"""Issue 30: the report's figures cost one drawing pass each, with the pixels ``savefig`` draws."""

from __future__ import annotations

import io

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
