// The parts of uPlot (served as /assets/vendor/uplot/uPlot.iife.min.js, a global) the dashboard uses.
declare class uPlot {
  constructor(options: uPlot.Options, data: uPlot.AlignedData, target: HTMLElement);
  setData(data: uPlot.AlignedData): void;
  setSize(size: { width: number; height: number }): void;
  destroy(): void;
}
declare namespace uPlot {
  type AlignedData = [number[], ...(number | null)[][]];
  interface Series {
    label?: string;
    stroke?: string;
    fill?: string;
    width?: number;
    points?: { show: boolean };
  }
  interface Axis {
    stroke?: string;
    grid?: { stroke: string; width: number };
    ticks?: { stroke: string; width: number };
    size?: number;
    values?: (self: uPlot, ticks: number[]) => string[];
  }
  interface Options {
    width: number;
    height: number;
    series: Series[];
    axes?: Axis[];
    scales?: Record<string, { time?: boolean; range?: (self: uPlot, min: number, max: number) => [number, number] }>;
    legend?: { show: boolean };
    cursor?: { drag?: { x: boolean; y: boolean } };
  }
}
