"""The panels of the what-if page, each a Shiny module (a UI function and a server
function under one id, its inputs and outputs named inside it):

- :mod:`~forecast.commands.serve.panels.fields`: the sidebar, a field for every input
  with its source and its note, the outcome probabilities kept summing to 1;
- :mod:`~forecast.commands.serve.panels.status`: what the page is doing (simulating,
  up to date, a refused field, a failure, sampler warnings);
- :mod:`~forecast.commands.serve.panels.results`: the market fans and the tables
  (outcomes, signposts, markets, predictions, metrics, the decision);
- :mod:`~forecast.commands.serve.panels.actions`: the what-if changes, "Save as
  scenario" and "Report".

They share one browser tab's state, :class:`~forecast.commands.serve.panels.state.PageState`,
which also starts the simulation of each accepted change
(:func:`~forecast.commands.serve.panels.state.follow_edits`).
"""
