"""Stage 1, the scenario language: schema, uncertain inputs, reading, merging, checks.

Pure data: nothing here imports PyMC. :func:`load` reads a file (merging its
``extends`` parents), :meth:`Scenario.with_overrides` applies ``--set``-style changes,
and every problem is reported at once as a :class:`~forecast.errors.ScenarioError`.
"""

from forecast.scenario.calendar import Date, model_time, year_fraction
from forecast.scenario.checks import defaulted_inputs, exact_inputs, markets_exact
from forecast.scenario.inputs import Quantity
from forecast.scenario.jsonschema import json_schema
from forecast.scenario.merging import merge
from forecast.scenario.observed_scale import unit_warnings
from forecast.scenario.reading import load, read_toml
from forecast.scenario.risks import Question, Risk
from forecast.scenario.schema import (
    Assessment,
    Correlation,
    Evidence,
    Market,
    Outcome,
    Position,
    Prediction,
    Projection,
    Scenario,
    Signpost,
    Simulation,
)

# Scenario's risks and questions are built on the schema's Strict, so they resolve here
Scenario.model_rebuild(_types_namespace={"Question": Question, "Risk": Risk})

__all__ = [
    "Assessment",
    "Correlation",
    "Date",
    "Evidence",
    "Market",
    "Outcome",
    "Position",
    "Prediction",
    "Projection",
    "Quantity",
    "Question",
    "Risk",
    "Scenario",
    "Signpost",
    "Simulation",
    "defaulted_inputs",
    "exact_inputs",
    "json_schema",
    "load",
    "markets_exact",
    "merge",
    "model_time",
    "read_toml",
    "unit_warnings",
    "year_fraction",
]
