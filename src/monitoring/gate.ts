// The promotion gate of a retraining: champion and challenger scored on the same holdout; the
// challenger wins only when it is better by the configured relative margin (so noise between
// two equally good models never flips the champion back and forth).
export interface GateInput {
  metric: string;
  /** RMSE, log loss: lower is better; NDCG, AUC, silhouette: higher */
  lowerIsBetter: boolean;
  champion: number;
  challenger: number;
  /** relative margin, e.g. 0.02: the challenger must be 2% better */
  margin: number;
}

export interface GateDecision extends GateInput {
  promote: boolean;
  /** challenger's relative improvement over the champion (positive = better) */
  improvement: number;
  reason: string;
}

export function gateDecision(g: GateInput): GateDecision {
  const { champion: a, challenger: b } = g;
  let improvement: number;
  if (!Number.isFinite(b)) improvement = -Infinity;
  else if (!Number.isFinite(a)) improvement = Infinity;
  else improvement = g.lowerIsBetter ? (a - b) / Math.max(Math.abs(a), 1e-12) : (b - a) / Math.max(Math.abs(a), 1e-12);
  const promote = improvement > g.margin;
  const f = (v: number) => (Number.isFinite(v) ? Number(v.toPrecision(6)).toString() : String(v));
  const reason = `${g.metric} challenger ${f(b)} vs champion ${f(a)} on the same holdout (${g.lowerIsBetter ? 'lower' : 'higher'} is better): ` +
    `${(100 * improvement).toFixed(2)}% ${promote ? '>' : '<='} the ${(100 * g.margin).toFixed(2)}% margin: ${promote ? 'promoted' : 'champion kept'}`;
  return { ...g, promote, improvement, reason };
}
