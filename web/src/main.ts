// The dashboard: a page per view, chosen by the URL's hash. Each page fetches what it shows from
// /v1/dashboard/* and marks itself ready (body[data-ready]) once its charts are drawn.
import './style.css';
import { disposeAll } from './charts.ts';
import { currentRoute, href } from './route.ts';
import { h } from './ui.ts';
import { overviewPage } from './pages/overview.ts';
import { salesPage } from './pages/sales.ts';
import { segmentsPage } from './pages/segments.ts';
import { musicPage } from './pages/music.ts';
import { modelsPage } from './pages/models.ts';
import { pipelinesPage } from './pages/pipelines.ts';

export type Page = (root: HTMLElement, params: Record<string, string>) => Promise<void | (() => void)>;

const PAGES: { id: string; title: string; render: Page }[] = [
  { id: 'overview', title: 'Overview', render: overviewPage },
  { id: 'sales', title: 'Sales', render: salesPage },
  { id: 'segments', title: 'Segments', render: segmentsPage },
  { id: 'music', title: 'Music', render: musicPage },
  { id: 'models', title: 'Models', render: modelsPage },
  { id: 'pipelines', title: 'Pipelines', render: pipelinesPage },
];

const nav = document.getElementById('nav')!;
const main = document.getElementById('main')!;
for (const p of PAGES) nav.append(h('li', {}, h('a', { href: href(p.id), 'data-page': p.id }, p.title)));
document.getElementById('skip-link')!.addEventListener('click', (e) => { e.preventDefault(); main.focus(); });

let cleanup: void | (() => void);
let seq = 0;

async function render(): Promise<void> {
  const { page, params } = currentRoute();
  const p = PAGES.find((x) => x.id === page) ?? PAGES[0]!;
  const mine = ++seq;
  document.body.dataset.ready = '';
  if (typeof cleanup === 'function') cleanup();
  disposeAll();
  for (const a of nav.querySelectorAll('a')) {
    if (a.dataset.page === p.id) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  }
  document.title = `${p.title} · Tributary`;
  const root = h('div', { class: `page page-${p.id}` });
  main.replaceChildren(h('h1', {}, p.title), root);
  try {
    cleanup = await p.render(root, params);
  } catch (e) {
    root.append(h('p', { class: 'error', role: 'alert' }, `Could not load this page: ${(e as Error).message}`));
  }
  if (mine === seq) {
    document.body.dataset.ready = p.id;
    (window as any).__drawnAt = performance.now();
  }
}

let lastPage = '';
window.addEventListener('hashchange', () => {
  const page = currentRoute().page;
  void render().then(() => { if (page !== lastPage) main.focus({ preventScroll: true }); lastPage = page; });
});
lastPage = currentRoute().page;
void render();
