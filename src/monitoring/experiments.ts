// A/B experiments of a model: two registry versions served side by side to disjoint,
// deterministic groups of users. A user's arm is a hash of (experiment id, user id), so the
// same user always gets the same arm, arms are independent across experiments, and nothing is
// stored per user. The serving route records the arm with every recommendation_shown event and
// audit row; the status reads acceptance per arm from curated.music_shown_tracks.
//
// Decision rule (fixed horizon, documented in docs/monitoring.md): the unit is the user (a
// user's shown tracks are not independent). Each arm's acceptance is a ratio estimate
// R = sum(accepted) / sum(shown) over its users, with the delta-method variance
// Var(R) = sum_i (a_i - R s_i)^2 / (n (n - 1) mean(s)^2). The difference B - A gets a two-sided
// z test; a winner is declared only when both arms have at least minUsersPerArm users and
// p < alpha (config.experiments.alpha), so with two equal arms a winner is declared in about
// alpha of experiments. Confidence intervals are at level 1 - alpha.
import { createHash, randomUUID } from 'node:crypto';
import { nowIso, type MetaStore } from '../metadata/db.ts';
import type { ExperimentRow } from '../metadata/schema.ts';
import type { ModelRegistry } from '../tracking/index.ts';
import type { Warehouse } from '../warehouse/session.ts';
import { sqlString } from '../lake/duck.ts';

export type Arm = 'a' | 'b';

export interface Experiment {
  id: string;
  model: string;
  arms: { a: number; b: number };
  /** share of users in arm b */
  split: number;
  status: 'running' | 'stopped';
  started_at: string;
  stopped_at: string | null;
  started_by: string;
  decision: ExperimentDecision | null;
}

/** A user's arm: a deterministic hash of (experiment, user). */
export function assignArm(experimentId: string, userId: string, split = 0.5): Arm {
  const h = createHash('sha256').update(experimentId).update('\u0000').update(userId).digest();
  return h.readUInt32BE(0) / 4294967296 < split ? 'b' : 'a';
}

function toExperiment(r: ExperimentRow): Experiment {
  return {
    id: r.id, model: r.model_name, arms: { a: r.arm_a_version, b: r.arm_b_version }, split: Number(r.split),
    status: r.status as Experiment['status'], started_at: r.started_at, stopped_at: r.stopped_at, started_by: r.started_by,
    decision: r.decision ? JSON.parse(r.decision) : null,
  };
}

export async function startExperiment(
  store: MetaStore,
  registry: ModelRegistry,
  opts: { model: string; a: number | string; b: number | string; split?: number; id?: string; by?: string },
): Promise<Experiment> {
  const split = opts.split ?? 0.5;
  if (!(split > 0 && split < 1)) throw new Error(`experiment split must be in (0, 1), got ${split}`);
  const a = await registry.resolve(opts.model, opts.a), b = await registry.resolve(opts.model, opts.b);
  if (a === b) throw new Error(`experiment arms must be two different versions of ${opts.model} (both are v${a})`);
  const running = await runningExperiment(store, opts.model);
  if (running) throw new Error(`experiment ${running.id} is already running on ${opts.model}: stop it first`);
  const id = opts.id ?? `exp-${randomUUID().slice(0, 8)}`;
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(id)) throw new Error(`experiment id "${id}" must be 1..64 letters, digits, ".", "_" or "-"`);
  await store.db.insertInto('experiments').values({
    id, model_name: opts.model, arm_a_version: a, arm_b_version: b, split, status: 'running', started_at: nowIso(), stopped_at: null,
    started_by: opts.by ?? 'tributary experiment start', decision: null,
  }).execute();
  return (await getExperiment(store, id))!;
}

export async function getExperiment(store: MetaStore, id: string): Promise<Experiment | undefined> {
  const r = await store.db.selectFrom('experiments').selectAll().where('id', '=', id).executeTakeFirst();
  return r ? toExperiment(r) : undefined;
}

export async function runningExperiment(store: MetaStore, model: string): Promise<Experiment | undefined> {
  const r = await store.db.selectFrom('experiments').selectAll().where('model_name', '=', model).where('status', '=', 'running').executeTakeFirst();
  return r ? toExperiment(r) : undefined;
}

export async function listExperiments(store: MetaStore): Promise<Experiment[]> {
  return (await store.db.selectFrom('experiments').selectAll().orderBy('started_at', 'desc').execute()).map(toExperiment);
}

export interface ArmStats {
  arm: Arm;
  version: number;
  users: number;
  shown: number;
  accepted: number;
  acceptance: number;
  se: number;
  ci: [number, number];
}

export interface ExperimentDecision {
  alpha: number;
  arms: ArmStats[];
  /** acceptance of b minus a, its standard error, interval and two-sided p-value */
  difference: number;
  se: number;
  ci: [number, number];
  p_value: number;
  winner: Arm | null;
  reason: string;
}

/** Per-user shown and accepted counts → the decision (pure: the test of the rule calls it directly). */
export function decide(
  perUser: { arm: Arm; shown: number; accepted: number }[],
  versions: { a: number; b: number },
  opts: { alpha: number; minUsersPerArm: number },
): ExperimentDecision {
  const z = normalQuantile(1 - opts.alpha / 2);
  const stats = (['a', 'b'] as const).map((arm): ArmStats => {
    const us = perUser.filter((u) => u.arm === arm && u.shown > 0);
    const n = us.length, S = us.reduce((s, u) => s + u.shown, 0), A = us.reduce((s, u) => s + u.accepted, 0);
    const R = S > 0 ? A / S : NaN;
    const mean = S / Math.max(n, 1);
    const ss = us.reduce((s, u) => s + (u.accepted - R * u.shown) ** 2, 0);
    const se = n > 1 ? Math.sqrt(ss / (n * (n - 1))) / mean : NaN;
    return { arm, version: versions[arm], users: n, shown: S, accepted: A, acceptance: R, se, ci: [R - z * se, R + z * se] };
  });
  const [a, b] = stats as [ArmStats, ArmStats];
  const diff = b.acceptance - a.acceptance, se = Math.sqrt(a.se ** 2 + b.se ** 2);
  const p = se > 0 ? 2 * (1 - normalCdf(Math.abs(diff / se))) : diff === 0 ? 1 : 0;
  const enough = a.users >= opts.minUsersPerArm && b.users >= opts.minUsersPerArm;
  const winner: Arm | null = enough && p < opts.alpha ? (diff > 0 ? 'b' : 'a') : null;
  const pct = (v: number) => `${(100 * v).toFixed(2)}%`;
  const reason = !enough
    ? `not enough users yet (${a.users} and ${b.users}; at least ${opts.minUsersPerArm} per arm)`
    : winner
      ? `arm ${winner} (v${versions[winner]}) accepts ${pct(Math.abs(diff))} ${winner === 'b' ? 'more' : 'less'}${winner === 'a' ? ' for b' : ''}: ` +
        `p = ${p.toPrecision(3)} < alpha ${opts.alpha}`
      : `no winner: difference ${pct(diff)} (p = ${p.toPrecision(3)} >= alpha ${opts.alpha})`;
  return { alpha: opts.alpha, arms: stats, difference: diff, se, ci: [diff - z * se, diff + z * se], p_value: p, winner, reason };
}

/** Acceptance per arm from the warehouse (curated.music_shown_tracks must be built) and the decision. */
export async function experimentStatus(wh: Warehouse, exp: Experiment, opts: { alpha: number; minUsersPerArm: number }): Promise<ExperimentDecision> {
  const rows = await wh.query<{ arm: Arm; shown: number; accepted: number }>(
    `SELECT arm, user_id, count(*)::INT AS shown, sum(accepted::INT)::INT AS accepted FROM curated.music_shown_tracks
     WHERE experiment_id = ${sqlString(exp.id)} AND arm IN ('a', 'b') GROUP BY 1, 2 ORDER BY 1, 2`);
  return decide(rows.map((r) => ({ arm: r.arm, shown: Number(r.shown), accepted: Number(r.accepted) })), exp.arms, opts);
}

/** Stops an experiment with its decision; the winner becomes the model's champion when promote is set. */
export async function stopExperiment(
  store: MetaStore,
  registry: ModelRegistry,
  exp: Experiment,
  decision: ExperimentDecision,
  opts: { promote?: boolean; by?: string } = {},
): Promise<{ promoted: number | null }> {
  await store.db.updateTable('experiments').set({
    status: 'stopped',
    stopped_at: nowIso(),
    decision: JSON.stringify(decision),
  }).where('id', '=', exp.id).execute();
  if (!decision.winner || opts.promote === false) return { promoted: null };
  const v = exp.arms[decision.winner];
  await registry.promote(exp.model, v, { by: opts.by ?? 'tributary experiment stop', reason: `A/B experiment ${exp.id}: ${decision.reason}` });
  return { promoted: v };
}

/** Standard normal CDF (Abramowitz-Stegun 7.1.26 via erf, |error| < 1.5e-7). */
export function normalCdf(x: number): number {
  const t = 1 / (1 + 0.3275911 * Math.abs(x) / Math.SQRT2);
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-(x * x) / 2);
  return x >= 0 ? 0.5 * (1 + y) : 0.5 * (1 - y);
}

/** Standard normal quantile (Acklam's rational approximation, relative error < 1.2e-9). */
export function normalQuantile(p: number): number {
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const lo = 0.02425;
  if (p < lo) { const q = Math.sqrt(-2 * Math.log(p)); return (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q +
    c[5]!) / ((((d[0]! * q + d[1]!) * q +
    d[2]!) * q +
    d[3]!) * q +
    1); }
  if (p > 1 - lo) return -normalQuantile(1 - p);
  const q = p - 0.5, r = q * q;
  return (((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r +
    1);
}
