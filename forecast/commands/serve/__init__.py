"""``forecast serve``: a what-if page in the browser, on Shiny for Python.

The page shows a scenario's headline numbers (market fans, outcome probabilities,
predictions, signposts) beside a field for every input a strategist would move in a
meeting. A changed field is applied with :meth:`Scenario.with_overrides` (the rules
of ``forecast run --set``) and the scenario is simulated again; "Save as scenario"
writes a child file that ``extends`` the served one, and "Report" writes the full
report of the page's state with the ``forecast run`` pipeline.

- :mod:`~forecast.commands.serve.whatif`: the inputs, the outcome rebalancing, the
  saved child file (no web framework);
- :mod:`~forecast.commands.serve.view`: one simulated state and its fan chart, and
  the background thread that computes it;
- :mod:`~forecast.commands.serve.tables`: the tables a state shows (markets, outcomes,
  predictions, signposts, metrics, the decision, a pool's analysts and disagreement);
- :mod:`~forecast.commands.serve.app`: the page, put together from its panels;
- :mod:`~forecast.commands.serve.panels`: the panels, each a Shiny module (the fields,
  the status line, the numbers, the changes with Save and Report) and the tab's state;
- :mod:`~forecast.commands.serve.pool_page`: the page of a pool of analysts' files
  (``forecast serve A.toml B.toml ...``);
- :mod:`~forecast.commands.serve.server`: the command (port, Ctrl-C).

Everything the browser loads comes from the installed ``shiny`` package (its
scripts, styles and fonts) and from this process: the page works without a network.

Examples
--------
>>> from forecast.commands.serve import serve
>>> serve(None, host="127.0.0.1", port=0)  # doctest: +SKIP
forecast serve: http://127.0.0.1:40123 (Ctrl-C stops it)
0
"""

from __future__ import annotations

from forecast.commands.serve.server import DEFAULT_PORT, serve

__all__ = ["DEFAULT_PORT", "serve"]
