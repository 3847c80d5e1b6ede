// Small real models for the serving tests: a Pipeline regressor (numeric + categorical inputs)
// and a playlist model over an ALS recommender fitted on generated listening data.
import { LinearRegression } from '../../src/ml/linear/index.ts';
import { ColumnTransformer } from '../../src/ml/preprocessing/index.ts';
import { Pipeline } from '../../src/ml/pipeline/index.ts';
import { ImplicitAls } from '../../src/ml/recsys/als.ts';
import { Interactions } from '../../src/ml/recsys/interactions.ts';
import { PlaylistModel } from '../../src/analytics/music/playlist.ts';

/** y = slope * x (+1 for colour "red"): versions differ by slope. */
export function tinyPipeline(slope: number): Pipeline {
  const n = 40;
  const x = Float64Array.from({ length: n }, (_, i) => i);
  const c = Array.from({ length: n }, (_, i) => (i % 2 ? 'red' : 'blue'));
  const y = Float64Array.from({ length: n }, (_, i) => slope * i + (i % 2 ? 1 : 0));
  const enc = new ColumnTransformer({ numeric: ['x'], categorical: ['colour'] });
  return new Pipeline(enc, new LinearRegression(), { task: 'regression' }).fit({ length: n, columns: new Map<string, any>([['x', x], ['colour', c]]) }, y);
}

/** A seeded listening world: users x tracks, each user plays tracks of a couple of genres. */
export async function playlistModel(opts: { users?: number; tracks?: number; factors?: number; seed?: number } = {}): Promise<PlaylistModel> {
  const nUsers = opts.users ?? 200, nTracks = opts.tracks ?? 300, seed = opts.seed ?? 1;
  let s = seed >>> 0;
  const rnd = () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
  const genres = ['rock', 'jazz', 'pop', 'folk', 'metal'];
  const users: string[] = [], items: string[] = [], weights: number[] = [];
  for (let u = 0; u < nUsers; u++) {
    const g1 = u % genres.length, g2 = (u * 7 + 1) % genres.length;
    for (let k = 0; k < 20; k++) {
      const g = k % 2 ? g1 : g2;
      const t = Math.floor(rnd() * (nTracks / genres.length)) * genres.length + g;
      users.push(`u${u}`); items.push(`t${t}`); weights.push(1 + Math.floor(rnd() * 5));
    }
  }
  const heard = { users, items, weights: Float64Array.from(weights) };
  const rec = await new ImplicitAls({ factors: opts.factors ?? 8, iterations: 3, threads: 1, seed }).fit(Interactions.fromTriples(heard));
  const tracks = Array.from({ length: nTracks }, (_, t) => ({
    track_id: `t${t}`,
    title: `Track ${t}`,
    artist: `artist ${t % 97}`,
    genre: genres[t % genres.length]!,
    plays: 0,
    skip_rate: null,
  }));
  return PlaylistModel.build({ recommender: rec, heard, tracks, genreSkips: [], version: 'music-recommender@test' });
}
