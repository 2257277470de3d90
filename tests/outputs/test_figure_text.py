"""Issue 30: a figure's layout never clips its text, however long the scenario's names.

Every text a report figure draws (titles, axis and tick labels, legends, annotations)
must lie inside the PNG. Checked on the seed's figures with every name the scenario
lets an analyst write made as long as the schema allows (labels of 200 characters,
units of 40): the window extent of each text, taken as it is drawn, inside the figure.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from forecast.outputs.figures import _drawn, _plan, _tornado_plan, figure_data

pytest.importorskip("matplotlib")

#: 200 characters, the schema's longest label (TEXT_LIMITS): a strategist's long name
LONG = (
    "Enterprise large-language-model application programming interfaces sold to regulated "
    "industries across North America, Europe and Asia-Pacific, resellers and integrators included"
)[:200]
UNIT = "USD billion, nominal, before any discounts"[:40]


def _long_names(fc: Any, name: str = LONG, unit: str = UNIT) -> Any:
    """The seed's figure data with every market, position, outcome and metric named
    ``name`` (by default at length)."""
    data = figure_data(fc)
    s = data.scenario

    def named(items: Any, **more: Any) -> list[Any]:
        return [x.model_copy(update={"label": f"{k} {name}", **more}) for k, x in enumerate(items)]

    update: dict[str, Any] = {
        "markets": named(s.markets, unit=unit),
        "positions": named(s.positions),
        "metrics": named(s.metrics, unit=unit),
    }
    if s.assessment:
        update["assessment"] = s.assessment.model_copy(update={"outcomes": named(s.assessment.outcomes)})
    s = s.model_copy(update=update)
    outcomes = data.outcomes.assign(label=[f"{k} {name}" for k in range(len(data.outcomes))])
    metrics = [
        dataclasses.replace(m, label=f"{k} {name}", unit=unit) for k, m in enumerate(data.metric_figures)
    ]
    labels = {t: f"{name} {k}" for k, t in enumerate(data.exceedance_labels)}
    return dataclasses.replace(
        data, scenario=s, outcomes=outcomes, metric_figures=metrics, exceedance_labels=labels
    )


def _tornado(name: str = LONG) -> Any:
    import pandas as pd

    frame = pd.DataFrame(
        {
            "input": [f"{k} {name}" for k in range(4)],
            "low": [1.0, 2.0, 3.0, 4.0],
            "high": [5.0, 6.0, 7.0, 8.0],
        }
    )
    frame.attrs.update(baseline=4.5, target_label=name, low_label=name[:60], high_label=name[:60])
    return frame


def _drawn_texts(make: Any, monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, Any, Any]]:
    """Each text a figure draws as the report draws it (:func:`_drawn`), with its extent
    in pixels as it is drawn and its figure's."""
    from matplotlib.text import Text

    seen: list[tuple[str, Any, Any]] = []
    draw = Text.draw

    def recorded(self: Any, renderer: Any) -> Any:
        if self.get_visible() and self.get_text():
            seen.append((self.get_text(), self.get_window_extent(renderer), self.get_figure(root=True).bbox))
        return draw(self, renderer)

    with monkeypatch.context() as m:
        m.setattr(Text, "draw", recorded)
        _drawn(make)
    return seen


def test_no_text_is_clipped_with_long_names(seed_forecast: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    plan = _plan(_long_names(seed_forecast)) + _tornado_plan([_tornado()])
    assert len(plan) >= 15  # every kind of figure of the seed's report
    clipped = []
    for info, make in plan:
        texts = _drawn_texts(make, monkeypatch)
        assert texts, info.file
        for text, box, page in texts:
            if box.x0 < -0.5 or box.y0 < -0.5 or box.x1 > page.width + 0.5 or box.y1 > page.height + 0.5:
                clipped.append(
                    f"{info.file}: {text[:40]!r} at {box.extents.round(1)} of {page.width:.0f}x{page.height:.0f}"
                )
    assert not clipped, "\n".join(clipped)


def test_a_dollar_in_a_name_is_text_not_mathematics(
    seed_forecast: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """matplotlib reads text between two ``$`` as mathematics ("$m, $" in italics, the
    dollars gone); a name is the scenario's text, never markup: every text drawn with a
    dollar sign in a name shows it as written."""
    name = "Cost in $m, from $low"
    plan = _plan(_long_names(seed_forecast, name, "$ bn")) + _tornado_plan([_tornado(name)])
    read_as_math = []
    for info, make in plan:
        for text, _, _ in _drawn_texts(make, monkeypatch):
            if "$" in text:
                from matplotlib.text import Text

                shown, is_math = Text(text=text)._preprocess_math(text)
                if is_math or "$" not in shown:
                    read_as_math.append(f"{info.file}: {text[:50]!r}")
    assert not read_as_math, "\n".join(read_as_math)
