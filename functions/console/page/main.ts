/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import 'uplot/dist/uPlot.min.css';
import './style.css';
import { TokenError } from './api';
import { h } from './dom';
import { ingestionView } from './ingestion-view';
import { ingestionsView } from './ingestions-view';
import { browserZone } from './time';
import { adoptToken } from './token';

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
    if (controller.signal.aborted) return;
    main.replaceChildren(...(e instanceof TokenError ? signIn(e) : [h('h1', {}, 'Something went wrong'), h('p', { role: 'alert' }, (e as Error).message)]));
  } finally {
    if (current === controller) {
      main.removeAttribute('aria-busy');
      main.dataset.ready = view;
      // When the view was on screen, from the navigation's start: what bench/console.ts reports.
      performance.mark('view-ready', { detail: view });
    }
  }
}

/** What to do without a token the API takes: the command that prints this page's address with a fresh one. */
function signIn(e: TokenError) {
  const command = ['npx landing-etl token --scope operations --page', cliTarget].filter(Boolean).join(' ');
  return [
    h('h1', {}, 'A token is needed'),
    h('p', { role: 'alert', 'data-token': e.problem }, `${e.message[0]!.toUpperCase()}${e.message.slice(1)}. `,
      'This page reads the run log with a token of the operations scope, given in its address after #token=.'),
    h('p', {}, 'Open the address this command prints (its token is good for an hour):'),
    h('pre', {}, h('code', { 'data-field': 'token-command' }, command)),
  ];
}

document.getElementById('zone')!.textContent = `Times in UTC and ${browserZone}`;
window.addEventListener('hashchange', () => {
  adoptToken();
  delete main.dataset.ready;
  void route().then(() => main.focus({ preventScroll: true }));
});
adoptToken();
void route();
