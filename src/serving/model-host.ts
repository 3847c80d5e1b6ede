// The models the API serves: each registered model's champion, loaded once and held in memory.
// A promotion swaps the served version atomically: the new version is loaded and built off to
// the side, then one Map assignment replaces the old one, so a request sees either the old or
// the new model, never a mix, and every answer carries the version it was computed with.
//
// The registry is watched by polling (one small query per interval, cheap for every replica
// sharing a PostgreSQL registry); a promotion made through this API swaps before it answers.
// Reloads of a model are serialised and each re-reads the champion when it runs, so the last
// swap always reflects the registry's latest state.
import { NotFoundError, type ModelRegistry } from '../tracking/index.ts';
import { buildServable, type Servable } from './servables.ts';
import { UnloadableModelError } from './model-check.ts';
import { errorLine } from '../util/redact.ts';

export interface HostOptions {
  /** how often the registry is polled for promotions and new models (ms) */
  pollMs?: number;
  log?: (m: string) => void;
  onSwap?: (s: Servable, before: Servable | undefined) => void;
}

const CACHE_PER_MODEL = 3;

export class ModelHost {
  private readonly live = new Map<string, Servable>();
  /** recently served versions, so promoting back and forth does not reload from disk */
  private readonly cache = new Map<string, Map<number, Servable>>();
  private readonly errors = new Map<string, { version: number; message: string }>();
  private readonly queues = new Map<string, Promise<unknown>>();
  private timer: NodeJS.Timeout | undefined;
  private polling = false;

  constructor(readonly registry: ModelRegistry, private readonly opts: HostOptions = {}) {}

  /** Loads every model's champion, then starts watching the registry. */
  async start(): Promise<void> {
    await this.poll();
    this.timer = setInterval(() => { void this.poll(); }, this.opts.pollMs ?? 1000);
    this.timer.unref();
  }

  stop(): void { if (this.timer) clearInterval(this.timer); }

  get(name: string): Servable | undefined { return this.live.get(name); }

  all(): Servable[] { return [...this.live.values()]; }

  /** Why a model is not served (its champion could not be loaded), if it is not. */
  error(name: string): { version: number; message: string } | undefined { return this.errors.get(name); }

  /** One pass over the registry: swaps in every champion that moved, loads new models. */
  async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      const models = await this.registry.listModels();
      await Promise.all(models.map((m) => {
        const cur = this.live.get(m.name);
        if (m.champion === null || (cur && cur.version === m.champion)) return undefined;
        if (this.errors.get(m.name)?.version === m.champion) return undefined; // known unservable
        return this.refresh(m.name);
      }));
    } catch (e) {
      this.opts.log?.(`models: polling the registry failed: ${(e as Error).message}`);
    } finally {
      this.polling = false;
    }
  }

  /** Re-reads a model's champion and swaps it in if it moved; resolves once served. */
  refresh(name: string): Promise<Servable | undefined> {
    const prev = this.queues.get(name) ?? Promise.resolve();
    const next = prev.catch(() => {}).then(() => this.load(name));
    this.queues.set(name, next);
    return next;
  }

  /**
   * Loads and checks a version without serving it (it is kept in the cache, so a promotion that
   * follows swaps it in at once). Throws UnloadableModelError with the reason, never a path.
   */
  async check(name: string, version: number): Promise<Servable> {
    const cached = this.cache.get(name)?.get(version);
    if (cached) return cached;
    let s: Servable;
    try {
      s = buildServable(await this.registry.loadModel(name, version));
    } catch (e) {
      if (e instanceof UnloadableModelError) throw new UnloadableModelError(`${name} v${version} cannot be served: ${errorLine(e)}`);
      if (e instanceof NotFoundError) throw e;
      throw new UnloadableModelError(`${name} v${version} cannot be loaded: ${errorLine(e)}`);
    }
    this.remember(name, s);
    return s;
  }

  private remember(name: string, s: Servable): void {
    let c = this.cache.get(name);
    if (!c) this.cache.set(name, (c = new Map()));
    c.set(s.version, s);
    while (c.size > CACHE_PER_MODEL) c.delete(c.keys().next().value!);
  }

  /** A given version (an A/B experiment's arm): the live one, or loaded, checked and cached. */
  async version(name: string, version: number): Promise<Servable> {
    const live = this.live.get(name);
    return live?.version === version ? live : this.check(name, version);
  }

  private async load(name: string): Promise<Servable | undefined> {
    const champ = await this.registry.getChampionVersion(name);
    const cur = this.live.get(name);
    if (!champ) return cur;
    if (cur?.version === champ.version) return cur;
    let s = this.cache.get(name)?.get(champ.version);
    if (!s) {
      try {
        s = buildServable(await this.registry.loadModel(name, champ.version));
      } catch (e) {
        const message = errorLine(e);
        if (this.errors.get(name)?.version !== champ.version) this.opts.log?.(`models: cannot serve ${name} v${champ.version}: ${message}`);
        this.errors.set(name, { version: champ.version, message });
        return cur;
      }
      this.remember(name, s);
    }
    this.errors.delete(name);
    this.live.set(name, s); // the atomic swap
    if (cur) this.opts.log?.(`models: ${name} now serves v${s.version} (was v${cur.version})`);
    this.opts.onSwap?.(s, cur);
    return s;
  }
}
