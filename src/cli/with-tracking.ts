// Opens the home's tracking and registry for one command, turns its errors into a clean
// `error: ...` exit, and always closes the metadata store.
import { loadConfig } from '../config/index.ts';
import { openTracking, type Tracking } from '../tracking/index.ts';
import { codeOf, fail } from './output.ts';

export async function withTracking<T>(fn: (t: Tracking) => Promise<T>): Promise<T | undefined> {
  let t: Tracking | undefined;
  try {
    t = await openTracking(loadConfig());
    return await fn(t);
  } catch (e) {
    fail((e as Error).message, codeOf(e));
  } finally {
    await t?.close();
  }
}
