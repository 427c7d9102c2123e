/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import 'uplot/dist/uPlot.min.css';
import './style.css';
import { h } from './dom';
import { ingestionView } from './ingestion-view';
import { ingestionsView } from './ingestions-view';
import { browserZone } from './time';

const main = document.getElementById('main')!;
// Told by the console function as it serves the page.
const cliTarget = document.querySelector<HTMLMetaElement>('meta[name="cli-target"]')?.content ?? '';
const datasets = (document.querySelector<HTMLMetaElement>('meta[name="datasets"]')?.content ?? '').split(',').filter(Boolean);
let current: AbortController | undefined;

/** #/datasets, #/ingestions?dataset=&status=&cursor=, #/ingestion/<id>: one view per address, so each can be
 *  bookmarked, reloaded and reached with the browser's back button. */
async function route(): Promise<void> {
  current?.abort();
  const controller = (current = new AbortController());
  const [path = '', query = ''] = location.hash.replace(/^#/, '').split('?');
  const params = new URLSearchParams(query);
  const view = path.startsWith('/ingestion/') ? 'ingestion' : path === '/ingestions' ? 'ingestions' : 'datasets';
  for (const a of document.querySelectorAll<HTMLAnchorElement>('nav a[data-view]')) {
    if (a.dataset.view === view || (view === 'ingestion' && a.dataset.view === 'ingestions')) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  main.setAttribute('aria-busy', 'true');
  try {
    if (view === 'ingestion') {
      const id = decodeURIComponent(path.slice('/ingestion/'.length));
      document.title = `${id} — landing-etl`;
      await ingestionView(main, id, cliTarget, controller.signal);
    } else if (view === 'ingestions') {
      document.title = 'Ingestions — landing-etl';
      await ingestionsView(main, { dataset: params.get('dataset') ?? undefined, status: params.get('status') ?? undefined, cursor: params.get('cursor') ?? undefined }, datasets);
    } else {
      document.title = 'Datasets — landing-etl';
      // Its charts (uPlot) are a chunk of their own, fetched only by this view.
      const { datasetsView } = await import('./datasets-view');
      await datasetsView(main);
    }
  } catch (e) {
    if (!controller.signal.aborted) main.replaceChildren(h('h1', {}, 'Something went wrong'), h('p', { role: 'alert' }, (e as Error).message));
  } finally {
    if (current === controller) {
      main.removeAttribute('aria-busy');
      main.dataset.ready = view;
      // When the view was on screen, from the navigation's start: what bench/console.ts reports.
      performance.mark('view-ready', { detail: view });
    }
  }
}

document.getElementById('zone')!.textContent = `Times in UTC and ${browserZone}`;
window.addEventListener('hashchange', () => {
  delete main.dataset.ready;
  void route().then(() => main.focus({ preventScroll: true }));
});
void route();
