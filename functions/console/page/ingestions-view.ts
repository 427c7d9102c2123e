/// <reference lib="dom" />
import * as api from './api';
import { h } from './dom';
import { timeEl } from './time';
import { ingestionRow, STATUSES } from '../view-model';
export const PAGE_SIZE = 25;

export interface IngestionsQuery {
  dataset?: string | undefined;
  status?: string | undefined;
  cursor?: string | undefined;
}

const link = (q: IngestionsQuery) => `#/ingestions?${new URLSearchParams(Object.entries(q).filter(([, v]) => v) as string[][])}`;

function filters(names: string[], q: IngestionsQuery & { dataset: string }): HTMLElement {
  const all = names.includes(q.dataset) ? names : [q.dataset, ...names];
  const dataset = h('select', { id: 'f-dataset', name: 'dataset' }, ...all.map((n) => h('option', { value: n, selected: n === q.dataset }, n)));
  const status = h('select', { id: 'f-status', name: 'status' }, h('option', { value: '' }, 'any'), ...STATUSES.map((s) => h('option', { value: s, selected: s === q.status }, s)));
  return h(
    'form',
    {
      class: 'filters',
      'aria-label': 'Filter ingestions',
      onsubmit: (e: Event) => {
        e.preventDefault();
        location.hash = link({ dataset: dataset.value, status: status.value });
      },
    },
    h('label', { for: 'f-dataset' }, 'Dataset'), dataset,
    h('label', { for: 'f-status' }, 'Status'), status,
    h('button', { type: 'submit' }, 'Show'),
  );
}

/** Newest first, one page of one dataset's run log partition at a time (the API's cursors): never the whole table. */
export async function ingestionsView(main: HTMLElement, q: IngestionsQuery, known: string[]): Promise<void> {
  const dataset = q.dataset ?? known[0];
  if (!dataset) {
    main.replaceChildren(h('h1', {}, 'Ingestions'), h('p', {}, 'No datasets.'));
    return;
  }
  const page = await api.ingestions({ dataset, status: q.status, cursor: q.cursor, limit: PAGE_SIZE });
  const rows = page.items.map(ingestionRow);
  const caption = `${q.status ? `${q.status} ingestions` : 'Ingestions'} of ${dataset}, newest first${q.cursor ? ' (a later page)' : ''}`;
  main.replaceChildren(
    h('h1', {}, 'Ingestions'),
    filters(known, { ...q, dataset }),
    rows.length === 0
      ? h('p', { 'data-empty': '' }, `No ${q.status ? `${q.status} ` : ''}ingestions of ${dataset}${q.cursor ? ' on this page' : ''}.`)
      : h(
          'div',
          { class: 'table-wrap', tabindex: 0, role: 'region', 'aria-label': caption },
          h(
            'table',
            { class: 'runs' },
            h('caption', {}, caption),
            h('thead', {}, h('tr', {}, ...['Received', 'Ingestion', 'Business date', 'Status', 'Replay of', 'Failing stage', 'Reason', 'Duration', 'Rows in', 'Accepted', 'Rejected', 'Duplicates', 'Attempts'].map((c) => h('th', { scope: 'col' }, c)))),
            h(
              'tbody',
              {},
              ...rows.map((r) =>
                h(
                  'tr',
                  { 'data-ingestion': r.id, 'data-status': r.status },
                  h('td', {}, timeEl(r.receivedAt)),
                  h('td', {}, h('a', { href: `#/ingestion/${encodeURIComponent(r.id)}` }, r.id)),
                  h('td', {}, r.businessDate),
                  h('td', {}, h('span', { class: `status status-${r.status.toLowerCase()}` }, r.status), r.waitingSince ? h('span', { class: 'since', 'data-field': 'waiting-since' }, ' waiting since ', timeEl(r.waitingSince)) : null),
                  h('td', { 'data-field': 'replay-of' }, r.replayOf ? h('a', { href: `#/ingestion/${encodeURIComponent(r.replayOf)}` }, r.replayOf) : ''),
                  h('td', { 'data-field': 'stage' }, r.failedStage),
                  h('td', { 'data-field': 'reason', class: 'reason' }, r.reason),
                  h('td', { class: 'num' }, r.duration),
                  h('td', { class: 'num' }, r.rowsIn),
                  h('td', { class: 'num' }, r.accepted),
                  h('td', { class: 'num' }, r.rejected),
                  h('td', { class: 'num' }, r.duplicates),
                  h('td', { class: 'num' }, r.attempts),
                ),
              ),
            ),
          ),
        ),
    h(
      'nav',
      { class: 'pager', 'aria-label': 'Pages' },
      q.cursor ? h('a', { href: link({ dataset, status: q.status }) }, 'Newest') : null,
      page.nextCursor ? h('a', { href: link({ dataset, status: q.status, cursor: page.nextCursor }), rel: 'next' }, 'Older') : null,
    ),
  );
}
