"""The forecast report: one self-contained HTML file and the same content in Markdown.

:func:`write_report` reads a :class:`~forecast.analysis.results.Forecast` and writes the
report folder: the CSV tables, ``figures/*.png``, ``scenario.toml``,
``report.html`` and ``report.md``. Both documents are rendered from one context of
already formatted strings, built from the same DataFrames as the CSV files, so a
number reads the same in the HTML, the Markdown and (rounded) the CSV.

Numbers are shown with 3 significant figures; probabilities as
percentages with 3 significant figures; Monte Carlo standard errors in percentage
points with 2 (see :mod:`forecast.outputs.formatting`). The sections are built in
:mod:`forecast.outputs.sections`.

The HTML embeds its figures as ``data:`` URIs and its CSS inline, and carries a
Content-Security-Policy that forbids every network fetch: it can be mailed,
archived and opened offline, and opening it tells nobody.

Examples
--------
>>> import forecast, tempfile
>>> fc = forecast.simulate(forecast.load(forecast.bundled()), draws=2000)  # doctest: +SKIP
>>> write_report(fc, tempfile.mkdtemp()).name  # doctest: +SKIP
'report.html'
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from forecast.outputs.exceedance import correlation_blocks, exceedance_blocks
from forecast.outputs.formatting import (
    CSP,
    Block,
    Figure,
    data_uri,
    environment,
    key_year,
    package_versions,
    png_uri,
)
from forecast.outputs.risk_section import OPTIONAL as RISK_OPTIONAL
from forecast.outputs.risk_section import risk_section, with_risk_sentence
from forecast.outputs.sections import (
    diagnostic_blocks,
    input_blocks,
    market_blocks,
    outcome_blocks,
    prediction_blocks,
    summary,
)

if TYPE_CHECKING:
    from forecast.analysis.results import Forecast
    from forecast.outputs.briefing import ReportTables
    from forecast.outputs.figures import DrawnFigure, FigureInfo, PendingFigures
    from forecast.outputs.whatif import Change


def write_report(
    fc: Forecast,
    folder: str | Path,
    *,
    provenance: Mapping[str, Any] | None = None,
    sensitivity: pd.DataFrame | Sequence[pd.DataFrame] | None = None,
    warnings: Sequence[str] | None = None,
    figures: bool | Sequence[DrawnFigure] | PendingFigures = True,
    whatif: Sequence[Change] | None = None,
    workbook: bool = True,
) -> Path:
    """Write the report folder and return the path of ``report.html``.

    Writes ``markets.csv``, ``outcomes.csv``, ``predictions.csv``, ``growth.csv``
    (implied CAGRs), ``signposts.csv`` (signpost effects on outcomes and predictions),
    ``by_outcome.csv`` (a company's share and revenue per outcome),
    ``sensitivity.csv`` (when given), ``figures/*.png``, ``scenario.toml``,
    ``report.xlsx``, ``report.html`` and ``report.md`` into ``folder`` (created
    if needed); the extra CSV files only when they have rows. ``forecast run`` adds ``forecast.nc`` and ``manifest.json`` and
    makes the whole folder appear atomically; this function writes in place.

    Parameters
    ----------
    fc : Forecast
    folder : path
    provenance : mapping, optional
        ``command`` (the command line), ``versions`` (package -> version) and
        ``timings`` (step -> seconds) for the reproducibility section; versions
        are looked up when not given.
    sensitivity : DataFrame or sequence of DataFrame, optional
        The hook for the sensitivity analysis: when given (and not empty) the
        report gets a Sensitivity section with this table (numbers formatted to 3
        significant figures; ``attrs["target"]`` / ``attrs["description"]`` give
        its heading and text, ``attrs["headers"]`` optional column headers) and, if
        it has ``input``, ``low`` and ``high`` columns, a tornado chart. A sequence
        (one table per target, see :func:`forecast.analysis.tornado.report_frames`) gives
        one such block each. When ``None``, or every table is empty, the section is
        absent.
    warnings : sequence of str, optional
        Inference diagnostic warnings; by default ``forecast.engine.inference.check(fc)``
        when NUTS ran.
    figures : bool, sequence of (FigureInfo, bytes) or PendingFigures
        Draw the figures (``False`` makes a text-only report, e.g. for tests); or
        the figures already drawn (:func:`forecast.outputs.figures.draw_figures` and
        :func:`~forecast.outputs.figures.draw_tornadoes`); or figures being drawn
        elsewhere (``forecast run`` draws them in a worker process): the report is
        laid out meanwhile, and their bytes are awaited only to be embedded.
    whatif : sequence of Change, optional
        The overrides of a what-if run (:func:`forecast.outputs.whatif.changes`): the
        report then says "What-if" before anything else and lists each with its old
        and new value. ``None``: the scenario as written.
    workbook : bool
        Write ``report.xlsx`` (:mod:`forecast.outputs.workbook`).

    Returns
    -------
    Path
        ``folder / "report.html"``.

    Examples
    --------
    >>> import forecast, tempfile
    >>> fc = forecast.simulate(forecast.load(forecast.bundled()), draws=1000)  # doctest: +SKIP
    >>> fc.write_report(tempfile.mkdtemp())  # doctest: +SKIP
    PosixPath('/tmp/.../report.html')
    """
    from forecast.outputs.briefing import report_tables
    from forecast.outputs.figures import PendingFigures, make_figures, write_figures
    from forecast.outputs.tables import write_csv_tables

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    fc.write_tables(folder)
    (folder / "scenario.toml").write_text(fc.scenario.to_toml(), encoding="utf-8")
    sensitivity = sensitivity_frames(sensitivity)
    extra = report_tables(fc, sensitivity)
    # a sensitivity table from the API may lack the tornado (or an index's interval):
    # those cells are empty, "not computed"; the first-order index itself must be there
    optional = (
        {"sensitivity": [c for c in extra.sensitivity.columns if c != "first_order"]}
        if extra.sensitivity is not None
        else None
    )
    write_csv_tables(folder, extra.csv(), optional={**(optional or {}), **RISK_OPTIONAL})
    if whatif is not None:
        from forecast.outputs.whatif import overrides_table

        write_csv_tables(folder, {"overrides": overrides_table(whatif)})
    infos: list[FigureInfo] = []
    pending = None
    if figures is True:
        infos = make_figures(fc, folder, sensitivity=sensitivity)
    elif isinstance(figures, PendingFigures):
        pending = figures
        infos = list(pending.infos)
    elif figures:
        infos = write_figures(figures, folder)
    if warnings is None:
        warnings = diagnostic_warnings(fc)
    # figures still being drawn get a placeholder URI, swapped for the PNG at the end
    token = f"pending-figure-{secrets.token_hex(8)}-"
    position = {info.key: i for i, info in enumerate(infos)}
    context = build_context(
        fc,
        folder,
        infos,
        provenance=provenance,
        sensitivity=sensitivity,
        warnings=warnings,
        uri=(lambda info: f"{token}{position[info.key]:04d}") if pending is not None else None,
        whatif=whatif,
        extra=extra,
    )
    if workbook:
        from forecast.outputs.workbook import write_report_workbook

        write_report_workbook(
            fc,
            folder / "report.xlsx",
            extra=extra,
            whatif=whatif,
            heading=context["heading"],
            summary=[x["text"] for x in context["sections"][0]["sentences"]],
            illustrative=context["illustrative"],
            provenance=provenance,
        )
    md = environment(markdown=True).get_template("report.md.j2").render(**context)
    (folder / "report.md").write_text(md, encoding="utf-8")
    html = environment().get_template("report.html.j2").render(**context)
    if pending is not None:
        drawn = list(pending.result())
        if [info for info, _ in drawn] != infos:
            raise RuntimeError("the figures drawn are not the figures the report was laid out with")
        write_figures(drawn, folder)
        for i, (_, png) in enumerate(drawn):
            html = html.replace(f"{token}{i:04d}", png_uri(png))
    (folder / "report.html").write_text(html, encoding="utf-8")
    return folder / "report.html"


def sensitivity_frames(
    sensitivity: pd.DataFrame | Sequence[pd.DataFrame] | None,
) -> list[pd.DataFrame] | None:
    """The non-empty sensitivity tables, or ``None`` when there are none (no section).

    Examples
    --------
    >>> sensitivity_frames([pd.DataFrame({"input": []})]) is None
    True
    """
    if sensitivity is None:
        return None
    frames = [sensitivity] if isinstance(sensitivity, pd.DataFrame) else list(sensitivity)
    return [f for f in frames if len(f)] or None


def diagnostic_warnings(fc: Forecast) -> list[str]:
    """Inference diagnostic warnings (R-hat, ESS, divergences) when NUTS ran.

    :attr:`Forecast.warnings` (``forecast.engine.inference.check``); a forward simulation
    has nothing to check. A function of its own so the runner and tests can swap it.
    """
    return list(fc.warnings)


def build_context(
    fc: Forecast,
    folder: Path,
    infos: Iterable[FigureInfo] = (),
    *,
    provenance: Mapping[str, Any] | None = None,
    sensitivity: pd.DataFrame | Sequence[pd.DataFrame] | None = None,
    warnings: Sequence[str] = (),
    uri: Callable[[FigureInfo], str] | None = None,
    whatif: Sequence[Change] | None = None,
    extra: ReportTables | None = None,
) -> dict[str, Any]:
    """Everything the templates show, as formatted strings (see :func:`write_report`).

    ``uri`` gives each figure's image source; by default its file in ``folder`` as a
    ``data:`` URI. ``extra``: the tables of :func:`forecast.outputs.briefing.report_tables`
    (computed when not given).
    """
    from forecast.outputs.briefing import illustrative_inputs, illustrative_text, report_tables

    s = fc.scenario
    if extra is None:
        extra = report_tables(fc, sensitivity_frames(sensitivity))
    figs = {
        f.key: Figure(
            f.key, f.file, f.title, f.caption, uri(f) if uri is not None else data_uri(folder / f.file)
        )
        for f in infos
    }
    markets, outcomes, predictions = fc.markets(), fc.outcomes(), fc.predictions()
    year = key_year(s)
    prov = dict(provenance or {})
    flagged = illustrative_text(illustrative_inputs(s))
    summary_section = {
        "id": "summary",
        "title": "Summary",
        "blocks": [],
        "sentences": [
            {"key": x.key, "text": x.text} for x in _sentences(fc, extra, outcomes, predictions, year)
        ],
        "flag": flagged,
        "summary": summary(fc, markets, outcomes, predictions, year, extra.by_outcome),
    }
    sections = [summary_section, *_sections(fc, figs, extra, markets, outcomes, predictions)]
    frames = sensitivity_frames(sensitivity)
    if frames:
        from forecast.outputs.briefing import sensitivity_blocks

        sections.append(
            {"id": "sensitivity", "title": "Sensitivity", "blocks": sensitivity_blocks(frames, figs)}
        )
    sections.append(
        {"id": "inputs", "title": "Inputs and provenance", "blocks": input_blocks(s) + correlation_blocks(fc)}
    )
    sections.append(
        {
            "id": "diagnostics",
            "title": "Diagnostics and reproducibility" if fc.diagnostics is not None else "Reproducibility",
            "blocks": diagnostic_blocks(fc, warnings, prov, dict(prov.get("versions") or package_versions())),
        }
    )
    for sec in sections:
        sec.setdefault("summary", [])
        sec.setdefault("sentences", [])
        sec.setdefault("flag", "")
    return {**_page_head(fc, whatif, flagged, warnings), "sections": sections}


def _sentences(
    fc: Forecast, extra: ReportTables, outcomes: pd.DataFrame, predictions: pd.DataFrame, year: int
) -> list[Any]:
    """The executive summary, then the risk and the decision sentences."""
    from forecast.outputs.decision_report import decision_sentence
    from forecast.outputs.narrative import Sentence, executive_summary

    sentences = executive_summary(
        fc.scenario,
        year=year,
        conditioned=fc.conditioned,
        outcomes=outcomes,
        by_outcome=extra.by_outcome,
        growth=extra.growth,
        predictions=predictions,
        signposts=extra.signposts,
        sensitivity=extra.frames,
    )
    sentences = with_risk_sentence(sentences, extra.risks)  # the risk that moves the top outcome most
    said = decision_sentence(extra.decision, fc)
    if said:
        sentences.append(Sentence("decision", said))
    return sentences


def _sections(
    fc: Forecast,
    figs: Mapping[str, Figure],
    extra: ReportTables,
    markets: pd.DataFrame,
    outcomes: pd.DataFrame,
    predictions: pd.DataFrame,
) -> list[dict[str, Any]]:
    """The sections between the summary and the sensitivity, those the scenario has."""
    from forecast.outputs.briefing import signpost_block
    from forecast.outputs.decision_report import decision_blocks
    from forecast.outputs.metrics_section import metric_blocks

    s = fc.scenario
    sections: list[dict[str, Any]] = [
        {"id": "markets", "title": "Markets", "blocks": _market_section(fc, markets, figs, extra)}
    ]
    if s.assessment:
        sections.append({"id": "outcomes", "title": "Outcomes", "blocks": outcome_blocks(fc, outcomes, figs)})
    signposts = signpost_block(fc, extra.signposts, figs) if s.signposts and s.assessment else None
    pred_blocks = prediction_blocks(fc, predictions, figs, signposts)
    if pred_blocks:
        sections.append({"id": "predictions", "title": "Predictions and signposts", "blocks": pred_blocks})
    if s.metrics:
        sections.append({"id": "metrics", "title": "Metrics", "blocks": metric_blocks(fc, figs)})
    sections += [sec for sec in [risk_section(extra.risks, extra.questions, figs)] if sec is not None]
    if extra.decision is not None:
        sections.append(
            {"id": "decision", "title": "Decision", "blocks": decision_blocks(extra.decision, fc)}
        )
    return sections


def _page_head(
    fc: Forecast, whatif: Sequence[Change] | None, flagged: str, warnings: Sequence[str]
) -> dict[str, Any]:
    """The page's title, what-if banner, scenario card, method line and warnings."""
    from forecast.outputs.briefing import whatif_table
    from forecast.outputs.whatif import differ_text

    s = fc.scenario
    method = (
        "posterior (NUTS, conditioned on the evidence and observed signposts)"
        if fc.conditioned
        else "forward simulation"
        + (" (evidence ignored: --prior-only)" if fc.prior_only and s.has_evidence else "")
    )
    changes = list(whatif) if whatif is not None else None
    return {
        "csp": CSP,
        # a what-if says so before anything else: the title starts with it
        "heading": f"What-if: {s.title}" if changes is not None else s.title,
        "whatif": (
            {
                "text": "not the scenario as written: "
                f"{differ_text(len(changes), Path(s.origin.split(' with ')[0]).name)}.",
                "table": whatif_table(changes),
            }
            if changes is not None
            else None
        ),
        "illustrative": flagged,
        "scenario": {
            "id": s.id,
            "title": s.title,
            "description": " ".join(s.description.split()),
            "as_of": s.as_of.isoformat(),
            "source": s.source or "",
        },
        "meta": f"{fc.n_draws:,} draws, random seed {fc.seed}, {method}; as of {s.as_of.isoformat()}",
        "warnings": list(warnings),
    }


def _market_section(
    fc: Forecast, markets: pd.DataFrame, figs: Mapping[str, Figure], extra: ReportTables
) -> list[Block]:
    """The markets' blocks with implied growth first and each company's fans per
    outcome right after its blended fan."""
    from forecast.outputs.briefing import by_outcome_block, growth_block

    blocks = market_blocks(fc, markets, figs, extra.by_outcome)
    growth = growth_block(extra.growth)
    out = [growth] if growth is not None else []
    per = {b.id.removesuffix("-by-outcome"): b for b in by_outcome_block(fc, extra.by_outcome, figs)}
    for b in blocks:
        out.append(b)
        if b.id in per:
            out.append(per[b.id])
    return out + exceedance_blocks(fc, figs)
