/// <reference lib="dom" />
import * as api from './api';
import { dailyChart } from './charts';
import { h } from './dom';
import { timeEl } from './time';
import { chartSeries, chartSummary, freshnessText, type DatasetEntry } from '../view-model';

const statusClass = (s: string) => `status status-${s.toLowerCase()}`;

function datasetSection(d: DatasetEntry): HTMLElement {
  const series = chartSeries(d.days);
  const summary = chartSummary(d.days);
  const schedule = d.schedule ? `due daily by ${d.schedule.due} ${d.schedule.timeZone} (+${d.schedule.graceMinutes} min grace)` : 'no schedule declared';
  return h(
    'section',
    { class: 'dataset', 'aria-labelledby': `ds-${d.name}`, 'data-dataset': d.name },
    h('h2', { id: `ds-${d.name}` }, d.name, ' ', h('span', { class: statusClass(d.freshness.status), 'data-freshness': d.freshness.status }, d.freshness.status)),
    d.description ? h('p', { class: 'muted' }, d.description) : null,
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, 'Freshness'), h('dd', { 'data-field': 'freshness' }, freshnessText(d)),
      h('dt', {}, 'Schedule'), h('dd', {}, schedule, d.freshness.dueAt ? [' · due at ', timeEl(d.freshness.dueAt)] : null),
      h('dt', {}, 'Last success'),
      h('dd', {}, d.lastSuccess ? [h('a', { href: `#/ingestion/${encodeURIComponent(d.lastSuccess.ingestionId)}` }, d.lastSuccess.businessDate), ' · ended ', timeEl(d.lastSuccess.endedAt)] : 'never'),
      h('dt', {}, 'Last run'),
      h(
        'dd',
        {},
        d.lastRun
          ? [
              h('a', { href: `#/ingestion/${encodeURIComponent(d.lastRun.ingestionId)}` }, h('span', { class: statusClass(d.lastRun.status) }, d.lastRun.status)),
              d.lastRun.stage ? ` at ${d.lastRun.stage}` : '',
              d.lastRun.error ? ` — ${d.lastRun.error}` : '',
            ]
          : 'none',
      ),
    ),
    h('p', {}, h('a', { href: `#/ingestions?dataset=${encodeURIComponent(d.name)}` }, `Ingestions of ${d.name}`)),
    h(
      'div',
      { class: 'charts' },
      dailyChart('Rows loaded per day', series.x, series.rowsLoaded, { unit: '', color: '#1f6feb', summary }),
      dailyChart('Reject rate per day', series.x, series.rejectPercent, { unit: '%', color: '#cf222e', summary }),
      dailyChart('Glue cost per day (USD)', series.x, series.costUsd, { unit: '', color: '#8250df', summary }),
    ),
    h('p', { class: 'muted' }, `Last ${summary}.`),
  );
}

export async function datasetsView(main: HTMLElement): Promise<void> {
  const res = await api.datasets();
  main.replaceChildren(
    h('h1', {}, 'Datasets'),
    h('p', { class: 'muted' }, 'As of ', timeEl(res.generatedAt)),
    ...(res.datasets.length ? res.datasets.map(datasetSection) : [h('p', {}, 'No datasets.')]),
  );
}
