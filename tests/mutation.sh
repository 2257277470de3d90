#!/usr/bin/env bash
# Mutation testing of the atomic writer and the statistical core (issue 20); not part of
# the default test run. See tests/README.md, "Mutation testing", for the scores and
# the surviving mutants, each explained.
#
#   tests/mutation.sh [MODULE ...]     MODULE: staging results scores sensitivity model
#                                      narrative formatting implied tables tornado
#                                      scorecard comparison briefing history workbook data
#                                      (default: all, one after the other)
#   MAX_CHILDREN=1 tests/mutation.sh   parallel workers (default 2)
#
# mutmut (3.x, configured in pyproject.toml's [tool.mutmut]) copies the package to
# mutants/, runs the selected tests once to learn which test calls which function, then
# runs, for each mutant, only the tests that call the mutated function. Each module
# below names the functions whose mutants are run; tests/mutation_score.py prints
# killed/total per module and lists the survivors (`uv run mutmut show NAME` shows one).
set -euo pipefail
cd "$(dirname "$0")/.."

# the functions whose mutants are run, as mutmut's mutant-name globs (? stands for the
# separator mutmut puts between a class and its method)
declare -A GLOBS=(
    [staging]="forecast.outputs.staging.*"
    [results]="forecast.analysis.results.x?Forecast?_mcse__* forecast.analysis.results.x?Forecast?values__* forecast.analysis.results.x?Forecast?_variable__* forecast.analysis.results.x?Forecast?markets__* forecast.analysis.results.x?Forecast?outcomes__* forecast.analysis.results.x?Forecast?predictions__* forecast.analysis.results.x?Forecast?signposts__* forecast.analysis.results.x?Forecast?by_outcome__* forecast.analysis.results.x_mcse_floor__* forecast.analysis.results.x__safe_mcse__* forecast.analysis.results.x__quantile_rows__*"
    [scores]="forecast.analysis.scores.*"
    [sensitivity]="forecast.analysis.sensitivity.x_first_order_indices__* forecast.analysis.sensitivity.x__easi_batch__* forecast.analysis.sensitivity.x__easi_points__* forecast.analysis.sensitivity.x__harmonic_basis__* forecast.analysis.sensitivity.x__fold__* forecast.analysis.sensitivity.x__resamples_sorted__* forecast.analysis.sensitivity.x__normal_scores__* forecast.analysis.sensitivity.x__column_orders__* forecast.analysis.sensitivity.x_independent_parts__* forecast.analysis.sensitivity.x_nuts_conf_factor__* forecast.analysis.sensitivity.x_subsample_rows__* forecast.analysis.sensitivity.x__round_up__* forecast.analysis.sensitivity.x__varies__* forecast.analysis.sensitivity.x__indices__* forecast.analysis.sensitivity.x__ranked__*"
    [model]="forecast.engine.model.x__transform__*"
    [narrative]="forecast.outputs.narrative.*"
    [formatting]="forecast.outputs.formatting.x_sig__* forecast.outputs.formatting.x_pct__* forecast.outputs.formatting.x_pp__* forecast.outputs.formatting.x_mc_error__* forecast.outputs.formatting.x_deadline_words__* forecast.outputs.formatting.x_interval__* forecast.outputs.formatting.x_key_year__*"
    [implied]="forecast.analysis.implied.x_stated_cagr__* forecast.analysis.implied.x__stated_size__* forecast.analysis.implied.x_growth_spans__* forecast.analysis.implied.x_implied_growth__* forecast.analysis.implied.x_signpost_effects__* forecast.analysis.implied.x_position_by_outcome__* forecast.analysis.implied.x_prediction_by_outcome__* forecast.analysis.implied.x__median__*"
    [tables]="forecast.outputs.tables.*"
    [tornado]="forecast.analysis.tornado.x__quantile_fn__* forecast.analysis.tornado.x__fixed__* forecast.analysis.tornado.x_tornado_draws__* forecast.analysis.tornado.x_tornadoes__*"
    [scorecard]="forecast.analysis.scorecard.x?Scorecard?_scored__* forecast.analysis.scorecard.x?Scorecard?not_scored__* forecast.analysis.scorecard.x?Scorecard?binary__* forecast.analysis.scorecard.x?Scorecard?_probability__* forecast.analysis.scorecard.x?Scorecard?quantities__* forecast.analysis.scorecard.x?Scorecard?time_averaged__* forecast.analysis.scorecard.x?Scorecard?table__* forecast.analysis.scorecard.x?Scorecard?resolution_table__*"
    [comparison]="forecast.analysis.comparison.x_unit_problems__* forecast.analysis.comparison.x?Comparison?base__* forecast.analysis.comparison.x?Comparison?_stack__* forecast.analysis.comparison.x?Comparison?markets__* forecast.analysis.comparison.x?Comparison?outcomes__* forecast.analysis.comparison.x?Comparison?predictions__* forecast.analysis.comparison.x?Comparison?differences__* forecast.analysis.comparison.x_market_quantity__* forecast.analysis.comparison.x__diff__* forecast.analysis.comparison.x_unique_names__*"
    [briefing]="forecast.outputs.briefing.x_illustrative_inputs__* forecast.outputs.briefing.x_marked_illustrative__* forecast.outputs.briefing.x_track_record_flag__* forecast.outputs.briefing.x_illustrative_text__* forecast.outputs.briefing.x_signpost_sentence__* forecast.outputs.briefing.x_index_cell__* forecast.outputs.briefing.x_sensitivity_parts__* forecast.outputs.briefing.x_signpost_lines__*"
    [history]="forecast.analysis.history.x?History?table__* forecast.analysis.history.x?History?changes__* forecast.analysis.history.x__row__* forecast.analysis.history.x__what__* forecast.analysis.history.x_flatten__* forecast.analysis.history.x__quantity_text__* forecast.analysis.history.x__text__*"
    [workbook]="forecast.outputs.workbook.x_safe_text__* forecast.outputs.workbook.x__text__* forecast.outputs.workbook.x_write_workbook__*"
    [data]="forecast.engine.arrays.x__canon_arrays__* forecast.engine.arrays.x__drift__* forecast.engine.arrays.x__bridge__* forecast.engine.thresholds.x__query_times__* forecast.engine.thresholds.x__interp_weights__* forecast.engine.thresholds.x__interp_index__* forecast.engine.thresholds.x__threshold_checks__* forecast.engine.thresholds.x__window__* forecast.engine.thresholds.x__read__* forecast.engine.thresholds.x__bounds__*"
)

modules=("$@")
[ ${#modules[@]} -eq 0 ] && modules=(staging scores results sensitivity model narrative formatting implied tables tornado scorecard comparison briefing history workbook data)
for module in "${modules[@]}"; do
    globs=${GLOBS[$module]:?unknown module $module (${!GLOBS[*]})}
    echo "== $module"
    # shellcheck disable=SC2086  # the globs are mutmut's, not the shell's
    set -f
    uv run mutmut run --max-children "${MAX_CHILDREN:-2}" $globs || true
    uv run python tests/mutation_score.py $globs
    set +f
done
