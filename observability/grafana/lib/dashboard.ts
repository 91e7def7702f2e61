// A dashboard is rows of panels. Panels flow left to right and wrap when the next one would pass the
// 24-column grid, so definitions give only widths and heights, never coordinates.
import { datasourceVariable, LOKI, PROMETHEUS } from "./datasources.ts";
import type { Panel } from "./panels.ts";

const GRID_COLUMNS = 24;

export interface Row {
  title: string;
  panels: Panel[];
}

export interface DashboardOptions {
  uid: string;
  title: string;
  description: string;
  /** besides "taskplatform", which every dashboard has (the header's dashboard dropdown lists by it) */
  tags: string[];
  rows: Row[];
}

export type Dashboard = Record<string, unknown> & { uid: string };

export function dashboard(o: DashboardOptions): Dashboard {
  const panels: Record<string, unknown>[] = [];
  let y = 0;
  for (const row of o.rows) {
    panels.push({
      id: panels.length + 1,
      type: "row",
      title: row.title,
      collapsed: false,
      gridPos: { h: 1, w: GRID_COLUMNS, x: 0, y },
      panels: [],
    });
    y += 1;
    let x = 0;
    let lineHeight = 0;
    for (const p of row.panels) {
      const { w, h } = p.gridPos;
      if (x + w > GRID_COLUMNS) {
        x = 0;
        y += lineHeight;
        lineHeight = 0;
      }
      panels.push({ ...p, id: panels.length + 1, gridPos: { ...p.gridPos, x, y } });
      x += w;
      lineHeight = Math.max(lineHeight, h);
    }
    y += lineHeight;
  }
  // Prometheus always (static.test.ts requires it), Loki only where a panel reads logs.
  const usesLoki = o.rows.some((row) => row.panels.some((p) => p.datasource.type === LOKI.type));
  return {
    uid: o.uid,
    title: o.title,
    description: o.description,
    tags: ["taskplatform", ...o.tags],
    timezone: "browser",
    editable: false,
    graphTooltip: 1,
    refresh: "30s",
    schemaVersion: 39,
    version: 1,
    time: { from: "now-6h", to: "now" },
    timepicker: {},
    annotations: { list: [] },
    links: [
      {
        type: "dashboards",
        tags: ["taskplatform"],
        asDropdown: true,
        title: "TaskPlatform",
        includeVars: true,
      },
    ],
    templating: { list: (usesLoki ? [PROMETHEUS, LOKI] : [PROMETHEUS]).map(datasourceVariable) },
    panels,
  };
}
