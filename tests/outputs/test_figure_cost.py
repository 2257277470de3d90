"""Issue 30: the report's figures cost one drawing pass each, with the same pixels and bytes."""

from __future__ import annotations

import io

import pytest

from forecast.outputs.figures import DPI, _png

pytest.importorskip("matplotlib")


def _figure():  # type: ignore[no-untyped-def]
    from matplotlib.figure import Figure

    fig = Figure(figsize=(4, 2.5), layout="constrained")  # the report's layout: legend outside, below
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


def test_png_writes_the_bytes_savefig_writes() -> None:
    assert _png(_figure()) == _savefig_png(_figure())
