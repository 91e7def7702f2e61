// The error budgets of both SLOs (recording rules in prometheus/rules/recording.yml) shown alike: green while
// more than half of the 30-day budget is left, orange below half, red below a quarter.
import { gauge, type Panel, thresholds, ZERO_TO_100_PERCENT } from "./panels.ts";

export function errorBudgetGauge(slo: "availability" | "latency", description: string): Panel {
  return gauge({
    title: `${slo.charAt(0).toUpperCase()}${slo.slice(1)} error budget left`,
    description,
    ...ZERO_TO_100_PERCENT,
    w: 6,
    targets: [{ expr: `job:slo_${slo}_error_budget:remaining30d`, legend: slo }],
    thresholds: thresholds("red", { orange: 0.25, green: 0.5 }),
  });
}
