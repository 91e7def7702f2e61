// One builder per Grafana panel type. Each returns the panel's whole JSON except its place: dashboard()
// fills in id, x and y when it lays the rows out. Every panel gets a description, its datasource through
// a template variable and (logs panels excepted) a unit: static.test.ts checks all three.
import { type Datasource, type DatasourceRef, datasourceRef, LOKI, PROMETHEUS } from "./datasources.ts";

export type Unit = "none" | "short" | "percentunit" | "s" | "bytes" | "Bps" | "reqps" | "ops" | "dtdurations";

export interface Target {
  expr: string;
  legend?: string;
  /** evaluate once at the end of the range (stat panels' current values) */
  instant?: boolean;
}

export interface Threshold {
  color: string;
  value: number | null;
}

export interface GridPos {
  h: number;
  w: number;
  x: number;
  y: number;
}

export interface Panel {
  id: number;
  type: string;
  title: string;
  description: string;
  datasource: DatasourceRef;
  gridPos: GridPos;
  targets: unknown[];
  options: Record<string, unknown>;
  fieldConfig?: Record<string, unknown>;
}

interface PanelOptions {
  title: string;
  description: string;
  targets: Target[];
  /** width in grid columns (24 = the whole row), 12 by default */
  w?: number;
  /** height in grid rows, 8 by default */
  h?: number;
  datasource?: Datasource;
}

interface ValuePanelOptions extends PanelOptions {
  unit: Unit;
  min?: number;
  max?: number;
  /** colour steps; without them the series take the palette's colours */
  thresholds?: Threshold[];
  mappings?: unknown[];
}

/** A share between 0 and 1, shown as 0–100 %. */
export const ZERO_TO_100_PERCENT = { unit: "percentunit", min: 0, max: 1 } as const;

/** `thresholds("red", { orange: 3, green: 14 })`: red below 3, orange from 3, green from 14. */
export function thresholds(base: string, from: Record<string, number>): Threshold[] {
  return [{ color: base, value: null }, ...Object.entries(from).map(([color, value]) => ({ color, value }))];
}

/** Red at 0, green from 1: for counts of things that are up. */
export const GREEN_FROM_ONE = thresholds("red", { green: 1 });

function basePanel(type: string, o: PanelOptions): Omit<Panel, "options"> {
  const datasource = datasourceRef(o.datasource ?? PROMETHEUS);
  return {
    id: 0,
    type,
    title: o.title,
    description: o.description,
    datasource,
    gridPos: { h: o.h ?? 8, w: o.w ?? 12, x: 0, y: 0 },
    targets: o.targets.map((t, i) => ({
      datasource,
      refId: String.fromCharCode(65 + i),
      expr: t.expr,
      legendFormat: t.legend ?? "__auto",
      range: !t.instant,
      instant: Boolean(t.instant),
      editorMode: "code",
    })),
  };
}

function fieldConfig(o: ValuePanelOptions, custom?: Record<string, unknown>): Record<string, unknown> {
  const defaults: Record<string, unknown> = {
    unit: o.unit,
    thresholds: { mode: "absolute", steps: o.thresholds ?? [{ color: "green", value: null }] },
    color: { mode: o.thresholds ? "thresholds" : "palette-classic" },
    mappings: o.mappings ?? [],
  };
  if (o.min !== undefined) defaults.min = o.min;
  if (o.max !== undefined) defaults.max = o.max;
  if (custom) defaults.custom = custom;
  return { defaults, overrides: [] };
}

export function timeseries(o: ValuePanelOptions & { stack?: boolean }): Panel {
  return {
    ...basePanel("timeseries", o),
    options: {
      legend: { displayMode: "table", placement: "bottom", showLegend: true, calcs: ["lastNotNull", "max"] },
      tooltip: { mode: "multi", sort: "desc" },
    },
    fieldConfig: fieldConfig(o, {
      drawStyle: "line",
      lineWidth: 1,
      fillOpacity: o.stack ? 30 : 10,
      showPoints: "never",
      spanNulls: false,
      stacking: { mode: o.stack ? "normal" : "none", group: "A" },
    }),
  };
}

const LAST_VALUE = { calcs: ["lastNotNull"], fields: "", values: false };

export function stat(o: ValuePanelOptions): Panel {
  return {
    ...basePanel("stat", o),
    options: {
      reduceOptions: LAST_VALUE,
      colorMode: "background",
      graphMode: "none",
      textMode: "auto",
      justifyMode: "auto",
      orientation: "auto",
    },
    fieldConfig: fieldConfig(o),
  };
}

export function gauge(o: ValuePanelOptions): Panel {
  return {
    ...basePanel("gauge", o),
    options: { reduceOptions: LAST_VALUE, showThresholdLabels: false, showThresholdMarkers: true },
    fieldConfig: fieldConfig(o),
  };
}

/** Log lines from Loki, newest first. */
export function logs(o: Omit<PanelOptions, "datasource">): Panel {
  return {
    ...basePanel("logs", { ...o, datasource: LOKI }),
    options: {
      showTime: true,
      wrapLogMessage: true,
      sortOrder: "Descending",
      enableLogDetails: true,
      prettifyLogMessage: false,
    },
  };
}

const UP_OR_DOWN = [
  {
    type: "value",
    options: {
      "0": { text: "DOWN", color: "red", index: 0 },
      "1": { text: "UP", color: "green", index: 1 },
    },
  },
];

/** UP or DOWN, from the current value of a 0/1 series such as `up` or `pg_up`. */
export function upStat(
  o: Omit<PanelOptions, "targets" | "datasource"> & { expr: string; legend: string },
): Panel {
  return stat({
    title: o.title,
    description: o.description,
    unit: "none",
    w: o.w,
    h: o.h,
    targets: [{ expr: o.expr, legend: o.legend, instant: true }],
    mappings: UP_OR_DOWN,
    thresholds: GREEN_FROM_ONE,
  });
}
