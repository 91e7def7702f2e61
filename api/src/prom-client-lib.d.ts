// prom-client's classes, imported one by one from lib/ (metrics.ts says why): the same classes and
// types its index exports. The files that import them reference this file, so that the web project's
// typecheck (the web imports API modules) finds it too.
declare module "prom-client/lib/counter" {
  export { Counter as default } from "prom-client";
}
declare module "prom-client/lib/gauge" {
  export { Gauge as default } from "prom-client";
}
declare module "prom-client/lib/histogram" {
  export { Histogram as default } from "prom-client";
}
declare module "prom-client/lib/registry" {
  export { Registry as default } from "prom-client";
}
