import { useEffect, useMemo, useRef } from 'react';
import * as echarts from 'echarts/core';
import { BarChart, LineChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent, AriaComponent } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';
import type { EChartsCoreOption } from 'echarts/core';
import { whenIdle } from './idle.js';

// Only the pieces the console draws, so the bundle carries no more of ECharts than it uses.
echarts.use([LineChart, BarChart, GridComponent, LegendComponent, TooltipComponent, AriaComponent, CanvasRenderer]);

export interface Series {
  name: string;
  points: Array<[string, number]>;
}

/**
 * A time-series chart; `label` names it for screen readers, and a table beside it carries the numbers.
 * The chart is drawn when the page is idle, one chart per task: the numbers rendered with it show
 * first, and the page stays responsive while a dashboard's charts draw.
 */
export function TimeChart({ label, series, unit, kind = 'line' }: { label: string; series: Series[]; unit?: string; kind?: 'line' | 'bar' }) {
  const el = useRef<HTMLDivElement>(null);
  const chart = useRef<echarts.ECharts | null>(null);
  const option = useMemo(() => optionOf(label, series, unit, kind), [label, series, unit, kind]);
  const latest = useRef(option);
  latest.current = option;

  useEffect(() => {
    const node = el.current;
    if (!node) return;
    let observer: ResizeObserver | undefined;
    const cancel = whenIdle(() => {
      const c = echarts.init(node, undefined, { renderer: 'canvas' });
      chart.current = c;
      c.setOption(latest.current, true);
      // A ResizeObserver reports the size it starts with too: redraw only when the size really changes.
      let size = `${node.clientWidth}x${node.clientHeight}`;
      observer = new ResizeObserver(() => {
        const now = `${node.clientWidth}x${node.clientHeight}`;
        if (now !== size) (size = now, c.resize());
      });
      observer.observe(node);
    });
    return () => {
      cancel();
      observer?.disconnect();
      chart.current?.dispose();
      chart.current = null;
    };
  }, []);

  useEffect(() => {
    chart.current?.setOption(option, true);
  }, [option]);

  return <div className="chart" ref={el} role="img" aria-label={label} />;
}

function optionOf(label: string, series: Series[], unit: string | undefined, kind: 'line' | 'bar'): EChartsCoreOption {
  return {
    aria: { enabled: true, label: { description: label } },
    animation: false,
    grid: { left: 48, right: 12, top: series.length > 1 ? 28 : 12, bottom: 24 },
    tooltip: { trigger: 'axis', valueFormatter: (v: unknown) => `${typeof v === 'number' ? round(v) : String(v)}${unit ? ` ${unit}` : ''}` },
    legend: series.length > 1 ? { top: 0, textStyle: { color: '#3b4452' } } : undefined,
    xAxis: { type: 'time', axisLabel: { color: '#3b4452', hideOverlap: true } },
    yAxis: { type: 'value', minInterval: unit ? undefined : 1, axisLabel: { color: '#3b4452' } },
    series: series.map((s) => ({ name: s.name, type: kind, data: s.points, showSymbol: s.points.length < 40, stack: kind === 'bar' ? 'all' : undefined })),
  };
}

function round(v: number): string {
  return Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toPrecision(3);
}
