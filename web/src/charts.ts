// ECharts, tree-shaken to the charts the pages draw (the GL extension and the world map are
// loaded by the pages that need them). draw() resolves once a chart has finished rendering, so
// the page can say it is ready (the tests and the benchmark wait for that).
import * as echarts from 'echarts/core';
import { BarChart, HeatmapChart, LineChart, MapChart, ScatterChart } from 'echarts/charts';
import { AriaComponent, DatasetComponent, GridComponent, LegendComponent, TitleComponent, TooltipComponent, VisualMapComponent } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';

echarts.use([BarChart, HeatmapChart, LineChart, MapChart, ScatterChart, AriaComponent, DatasetComponent, GridComponent, LegendComponent, TitleComponent, TooltipComponent, VisualMapComponent, CanvasRenderer]);

export { echarts };
export type Option = echarts.EChartsCoreOption;

/** Colours with at least 3:1 contrast on white, told apart by more than hue in the legends. */
export const PALETTE = ['#1f5fa8', '#c2410c', '#15803d', '#7e22ce', '#b91c1c', '#0e7490', '#a16207', '#be185d', '#4d7c0f', '#475569'];

const live = new Set<echarts.ECharts>();

export function disposeAll(): void {
  for (const c of live) c.dispose();
  live.clear();
}

// once per frame, and only charts with a size: ECharts' map cannot lay out into an empty box
let resizing = 0;
window.addEventListener('resize', () => {
  cancelAnimationFrame(resizing);
  resizing = requestAnimationFrame(() => {
    for (const c of live) {
      if (c.isDisposed()) continue;
      const r = c.getDom().getBoundingClientRect();
      if (r.width > 0 && r.height > 0) c.resize();
    }
  });
});

/** Draws `option` into `el` (a chart per element); resolves when the chart has rendered. */
export function draw(el: HTMLElement, option: Option): Promise<echarts.ECharts> {
  const chart = echarts.getInstanceByDom(el) ?? echarts.init(el, null, { renderer: 'canvas' });
  live.add(chart);
  return new Promise((resolve) => {
    let done = false;
    const finish = () => { if (!done) { done = true; resolve(chart); } };
    chart.on('finished', finish);
    chart.setOption({ color: PALETTE, aria: { enabled: true }, animation: false, textStyle: { fontFamily: 'system-ui, sans-serif', color: '#1e293b' }, ...option }, true);
    // should 'finished' never come (a chart disposed by a page change), the page is not held up
    setTimeout(finish, 10_000);
  });
}

/** A small line of a KPI's trend. */
export function sparkOption(x: string[], y: (number | null)[], name: string, fmt: (v: number) => string): Option {
  return {
    grid: { left: 4, right: 4, top: 6, bottom: 4 },
    tooltip: { trigger: 'axis', valueFormatter: (v: number) => fmt(v) },
    xAxis: { type: 'category', data: x, show: false, boundaryGap: false },
    yAxis: { type: 'value', show: false, scale: true },
    series: [{ type: 'line', name, data: y, showSymbol: false, lineStyle: { width: 2 }, areaStyle: { opacity: 0.12 } }],
  };
}
