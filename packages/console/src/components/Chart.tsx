import { useEffect, useRef } from 'react';
import * as echarts from 'echarts/core';
import { BarChart, LineChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent, AriaComponent } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';
import type { EChartsCoreOption } from 'echarts/core';

// Only the pieces the console draws, so the bundle carries no more of ECharts than it uses.
echarts.use([LineChart, BarChart, GridComponent, LegendComponent, TooltipComponent, AriaComponent, CanvasRenderer]);

export interface Series {
  name: string;
  points: Array<[string, number]>;
}

/** A time-series chart; `label` names it for screen readers, and a table beside it carries the numbers. */
export function TimeChart({ label, series, unit, kind = 'line' }: { label: string; series: Series[]; unit?: string; kind?: 'line' | 'bar' }) {
  const el = useRef<HTMLDivElement>(null);
  const chart = useRef<echarts.ECharts | null>(null);

  useEffect(() => {
    if (!el.current) return;
    const c = echarts.init(el.current, undefined, { renderer: 'canvas' });
    chart.current = c;
    const resize = () => c.resize();
    const observer = new ResizeObserver(resize);
    observer.observe(el.current);
    return () => {
      observer.disconnect();
      c.dispose();
      chart.current = null;
    };
  }, []);

  useEffect(() => {
    const option: EChartsCoreOption = {
      aria: { enabled: true, label: { description: label } },
      animation: false,
      grid: { left: 48, right: 12, top: series.length > 1 ? 28 : 12, bottom: 24 },
      tooltip: { trigger: 'axis', valueFormatter: (v: unknown) => `${typeof v === 'number' ? round(v) : String(v)}${unit ? ` ${unit}` : ''}` },
      legend: series.length > 1 ? { top: 0, textStyle: { color: '#3b4452' } } : undefined,
      xAxis: { type: 'time', axisLabel: { color: '#3b4452', hideOverlap: true } },
      yAxis: { type: 'value', minInterval: unit ? undefined : 1, axisLabel: { color: '#3b4452' } },
      series: series.map((s) => ({ name: s.name, type: kind, data: s.points, showSymbol: s.points.length < 40, stack: kind === 'bar' ? 'all' : undefined })),
    };
    chart.current?.setOption(option, true);
  }, [label, series, unit, kind]);

  return <div className="chart" ref={el} role="img" aria-label={label} />;
}

function round(v: number): string {
  return Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toPrecision(3);
}
