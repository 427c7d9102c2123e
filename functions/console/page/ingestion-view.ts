/// <reference lib="dom" />
import * as api from './api';
import { announce, h } from './dom';
import { timeEl } from './time';
import { failure, isInFlight, logLink, progress, rejectsByRule, replayFacts, retryOf, timeline, usd, count, duration, type QualityReport } from '../view-model';
import type { IngestionView } from '../../shared/ingestion-view';

const POLL_MS = 2000;

/** A long value (a Glue run id, a file path) folded behind its start, whole when opened: readable and copyable. */
const folded = (label: string, value: string) => h('details', { class: 'folded' }, h('summary', {}, label), h('code', {}, value));

function logsCell(logs: { output: string; error: string } | null) {
  if (!logs) return '';
  const out = logLink(logs.output);
  const err = logLink(logs.error);
  const one = (l: { href: string | null; text: string }, label: string) => (l.href ? h('a', { href: l.href, rel: 'noreferrer' }, label) : folded(`${label} file`, l.text));
  return out.text === err.text && !out.href ? one(out, 'log') : [one(out, 'output'), ' ', one(err, 'error')];
}

function timelineTable(view: IngestionView): HTMLElement {
  const steps = timeline(view);
  if (steps.length === 0) return h('p', {}, 'No stage has started yet.');
  return h(
    'div',
    { class: 'table-wrap', tabindex: 0, role: 'region', 'aria-label': 'Timeline' },
    h(
      'table',
      { class: 'timeline' },
      h('caption', {}, 'Stages of every attempt, in order'),
      h('thead', {}, h('tr', {}, ...['Attempt', 'Stage', 'Status', 'Started', 'Duration', 'Rows in', 'Rows out', 'Rejected', 'Glue job run', 'DPU-seconds', 'Cost', 'Logs', 'Error'].map((c) => h('th', { scope: 'col' }, c)))),
      h(
        'tbody',
        {},
        ...steps.map((s) =>
          h(
            'tr',
            { 'data-stage': s.stage, 'data-attempt': String(s.attempt), 'data-status': s.status },
            h('td', { class: 'num' }, String(s.attempt)),
            h('th', { scope: 'row' }, s.stage),
            h('td', {}, h('span', { class: `status status-${s.status.toLowerCase()}` }, s.status)),
            h('td', {}, timeEl(s.startedAt)),
            h('td', { class: 'num' }, s.duration),
            h('td', { class: 'num' }, s.rowsIn),
            h('td', { class: 'num' }, s.rowsOut),
            h('td', { class: 'num' }, s.rejected),
            h('td', {}, s.glueRunId ? folded(`${s.glueRunId.slice(0, 11)}…`, s.glueRunId) : ''),
            h('td', { class: 'num' }, s.dpuSeconds),
            h('td', { class: 'num' }, s.cost),
            h('td', {}, logsCell(s.logs)),
            h('td', { class: 'reason' }, s.error),
          ),
        ),
      ),
    ),
  );
}

function reportSection(report: QualityReport | string): HTMLElement {
  if (typeof report === 'string') return h('section', { 'aria-labelledby': 'q-h', id: 'quality' }, h('h2', { id: 'q-h' }, 'Quality report'), h('p', {}, report));
  const rules = rejectsByRule(report);
  return h(
    'section',
    { 'aria-labelledby': 'q-h', id: 'quality' },
    h('h2', { id: 'q-h' }, 'Quality report'),
    h('p', {}, `${count(report.rowsIn)} rows checked in ${report.mode} mode: ${count(report.accepted)} accepted, ${count(report.rejected)} rejected, ${count(report.duplicates)} duplicates.`),
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, 'Rejected rows'), h('dd', {}, h('code', { 'data-field': 'rejected-location' }, report.location.rejectedRows)),
      h('dt', {}, 'Report'), h('dd', {}, h('code', { 'data-field': 'report-location' }, report.location.report)),
    ),
    h(
      'table',
      { class: 'rules' },
      h('caption', {}, 'Rejects per rule, with the first examples'),
      h('thead', {}, h('tr', {}, ...['Rule', 'On fail', 'Failed', 'Examples (line: value — reason)'].map((c) => h('th', { scope: 'col' }, c)))),
      h(
        'tbody',
        {},
        ...rules.map((r) =>
          h(
            'tr',
            { 'data-rule': r.rule, 'data-failed': String(r.failed) },
            h('th', { scope: 'row' }, h('code', {}, r.rule)),
            h('td', {}, r.severity),
            h('td', { class: 'num' }, count(r.failed)),
            h(
              'td',
              {},
              r.examples.length
                ? h('ul', { class: 'examples' }, ...r.examples.map((e) => h('li', {}, `line ${e.line ?? '?'}: `, h('code', {}, e.value === null ? '(empty)' : JSON.stringify(e.value)), ` — ${e.reason}`)))
                : '',
            ),
          ),
        ),
      ),
    ),
  );
}

/** After the status: what an ingestion not yet ended is doing. */
function headline(s: IngestionView['summary']) {
  const p = progress(s);
  if (!p) return '';
  return h('span', { 'data-field': 'progress' }, ` ${p.text} `, p.since ? timeEl(p.since) : null, ' — updating live');
}

function replayLine(r: NonNullable<ReturnType<typeof replayFacts>>) {
  return [
    h('a', { href: `#/ingestion/${encodeURIComponent(r.replayOf)}` }, r.replayOf),
    ` — replay `,
    h('code', {}, r.replayId),
    r.requestedBy ? [' by ', h('code', { 'data-field': 'requested-by' }, r.requestedBy), ' at ', timeEl(r.requestedAt)] : null,
    r.range ? ` (${r.range})` : null,
    r.reason ? [': ', h('q', { 'data-field': 'replay-reason' }, r.reason)] : null,
  ];
}

function render(main: HTMLElement, view: IngestionView, report: QualityReport | string, cliTarget: string) {
  const s = view.summary;
  const f = failure(s);
  const retry = retryOf(s, cliTarget);
  const replay = replayFacts(s, view.replay);
  main.replaceChildren(
    h('p', {}, h('a', { href: `#/ingestions?dataset=${encodeURIComponent(s.dataset)}` }, `← Ingestions of ${s.dataset}`)),
    h('h1', {}, 'Ingestion ', h('code', {}, s.ingestionId)),
    h('p', { class: 'headline' }, h('span', { class: `status status-${s.status.toLowerCase()}`, id: 'run-status', 'data-status': s.status }, s.status), headline(s)),
    f
      ? h(
          'div',
          { class: 'failure', role: 'alert' },
          h('p', {}, 'Failed at ', h('strong', { 'data-field': 'failed-stage' }, f.stage), ': ', h('span', { 'data-field': 'reason' }, f.reason)),
          retry ? h('p', {}, 'Retry once the cause is fixed: ', h('code', { 'data-field': 'retry' }, retry)) : null,
        )
      : '',
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, 'Dataset'), h('dd', {}, `${s.dataset} (business date ${s.businessDate})${s.ingestedTable ? ` → ${s.ingestedTable}` : ''}`),
      h('dt', {}, 'Source'), h('dd', {}, h('code', {}, s.sourceUri), s.sourceVersion ? ` (version ${s.sourceVersion})` : ''),
      replay ? [h('dt', {}, 'Replay of'), h('dd', { 'data-field': 'replay' }, replayLine(replay))] : null,
      h('dt', {}, 'Received'), h('dd', {}, timeEl(s.receivedAt)),
      h('dt', {}, 'Ended'), h('dd', {}, timeEl(s.endedAt) || '—'),
      h('dt', {}, 'Duration'), h('dd', {}, duration(s.durationSeconds) || '—'),
      h('dt', {}, 'Attempts'), h('dd', {}, String(s.attempt)),
      h('dt', {}, 'Rows'), h('dd', {}, `${count(s.rowsIn) || '—'} in, ${count(s.accepted) || '—'} accepted, ${count(s.rejected) || '—'} rejected, ${count(s.duplicateRows) || '—'} duplicates, ${count(s.rowsLoaded) || '—'} loaded`),
      h('dt', {}, 'Cost'), h('dd', {}, s.costUsd === undefined ? '—' : `${usd(s.costUsd)} at list price (${s.dpuSeconds ?? 0} DPU-seconds, every attempt)`),
    ),
    h('h2', {}, 'Timeline'),
    timelineTable(view),
    reportSection(report),
  );
}

async function reportOf(id: string): Promise<QualityReport | string> {
  try {
    return await api.report(id);
  } catch (e) {
    return (e as Error).message;
  }
}

/** One ingestion; while it runs, polled every POLL_MS until it ends (`signal` stops it when the view changes). Resolves
 *  once it is shown: the updates go on after. */
export async function ingestionView(main: HTMLElement, id: string, cliTarget: string, signal: AbortSignal): Promise<void> {
  const [view, report] = await Promise.all([api.ingestion(id), reportOf(id)]);
  render(main, view, report, cliTarget);
  if (isInFlight(view.summary)) void follow(main, view, cliTarget, signal);
}

async function follow(main: HTMLElement, first: IngestionView, cliTarget: string, signal: AbortSignal): Promise<void> {
  const id = first.summary.ingestionId;
  let view = first;
  while (isInFlight(view.summary) && !signal.aborted) {
    await new Promise((r) => setTimeout(r, POLL_MS));
    if (signal.aborted) return;
    const before = `${view.summary.status} ${view.summary.state}`;
    const shown = JSON.stringify(view);
    try {
      view = await api.ingestion(id);
    } catch {
      continue; // a failed poll is tried again at the next one
    }
    const after = `${view.summary.status} ${view.summary.state}`;
    // Drawn again only when something changed, so a reader's place and focus stay put between changes.
    if (signal.aborted || JSON.stringify(view) === shown) continue;
    render(main, view, await reportOf(id), cliTarget);
    if (after !== before) announce(`Ingestion ${id}: ${after}`);
  }
}
