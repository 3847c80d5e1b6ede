// Shared by the queries that feed models (features.ts, forecast.ts); no imports, so the side
// thread that runs the backtests does not load DuckDB for it.

/**
 * A line's revenue as an exact decimal: DuckDB sums doubles in whatever order its threads meet
 * the rows, so their last bits changed from run to run, and so did the tree models fitted on
 * them; decimal sums are exact, the same in any order (rounded to 1e-8 per line). Results are
 * cast to DOUBLE in SQL: decimals reach JavaScript through BigInt, several times slower.
 */
export const EXACT_REVENUE = 'CAST(revenue AS DECIMAL(38,8))';
