// The playlist model around a fitted recommender: the catalogue, every pair heard, the users'
// genre skip profiles and likes, read from the music feature tables. The music pipeline and
// its retraining build the served model the same way.
import type { Recommender } from '../../ml/recsys/recommender.ts';
import type { Warehouse } from '../../warehouse/session.ts';
import { loadTracks, loadUserGenreSkips, type InteractionRows } from './features.ts';
import { PlaylistModel, type PlaylistParams } from './playlist.ts';

export async function buildPlaylistModel(
  wh: Warehouse,
  rec: Recommender<any>,
  heard: InteractionRows,
  params: Partial<PlaylistParams>,
  version: string,
): Promise<PlaylistModel> {
  const liked = await wh.query<{ user_id: string; track_id: string }>(`SELECT DISTINCT user_id, track_id FROM curated.likes`);
  return PlaylistModel.build({
    recommender: rec, heard, tracks: await loadTracks(wh), genreSkips: await loadUserGenreSkips(wh),
    liked: { users: liked.map((r) => r.user_id), items: liked.map((r) => r.track_id) },
    // the artifact is written before its version number exists: loaders set `version` from the registry
    params, version,
  });
}
