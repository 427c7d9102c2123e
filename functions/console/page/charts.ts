/// <reference lib="dom" />
import uPlot from 'uplot';
import { h } from './dom';

/** A 30-day chart of one daily figure: uPlot draws it; a caption and an aria-label say what it shows. */
export function dailyChart(title: string, x: number[], y: number[], opts: { unit: string; color: string; summary: string }): HTMLElement {
  const figure = h('figure', { class: 'chart', role: 'group', 'aria-label': `${title}: ${opts.summary}` }, h('figcaption', {}, title));
  const plot = h('div', { class: 'plot', 'data-points': String(y.filter((v) => v > 0).length) });
  figure.append(plot);
  // Drawn once the figure is in the document, at its width.
  queueMicrotask(() => {
    new uPlot(
      {
        width: Math.max(240, Math.min(420, figure.clientWidth || 320)),
        height: 150,
        legend: { show: false },
        cursor: { show: true, drag: { x: false, y: false } },
        scales: { x: { time: true } },
        axes: [{ space: 60 }, { size: 56, values: (_u, ticks) => ticks.map((t) => `${t}${opts.unit}`) }],
        series: [{}, { label: title, stroke: opts.color, fill: `${opts.color}33`, width: 2, points: { show: true, size: 5 } }],
      },
      [x, y],
      plot,
    );
  });
  return figure;
}
