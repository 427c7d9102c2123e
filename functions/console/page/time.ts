/// <reference lib="dom" />
import { h } from './dom';
import { instant } from '../view-model';

export const browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';

/** A <time> in UTC with the browser's zone beside it. */
export function timeEl(iso: string | undefined | null): HTMLElement | string {
  const t = instant(iso, browserZone);
  if (!t) return '';
  return h('time', { datetime: iso! }, t.utc, t.local ? h('span', { class: 'local' }, t.local) : null);
}
