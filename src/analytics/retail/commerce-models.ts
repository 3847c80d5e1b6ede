// The commerce SQL models (src/warehouse/sql/2*_commerce_*.sql) the retail steps read.
/** The SQL models the retail pipeline needs, in build order. */
export const COMMERCE_MODELS = [
  'curated.orders', 'curated.commerce_taxonomy', 'curated.commerce_checked', 'curated.commerce_lines',
  'curated.commerce_validation', 'curated.commerce_kpi_invoices', 'curated.commerce_kpi_customers', 'curated.commerce_kpis',
  'curated.commerce_churn_customers', 'curated.commerce_churn',
];

/**
 * Those of them written to the lake: what the dashboard, the API's online features and model
 * lineage read. The deduplicated orders, the taxonomy, the checked lines and the KPI cells'
 * members and the customers' churn state are steps on the way, kept in the pipeline's session only.
 */
export const COMMERCE_PUBLISHED = ['curated.commerce_lines', 'curated.commerce_validation', 'curated.commerce_kpis', 'curated.commerce_churn'];
