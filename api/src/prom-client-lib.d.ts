// prom-client's classes, imported one by one from lib/ (metrics.ts says why): the same classes and
// types its index exports.
declare module "prom-client/lib/counter" {
  import { Counter } from "prom-client";
  export default Counter;
}
declare module "prom-client/lib/gauge" {
  import { Gauge } from "prom-client";
  export default Gauge;
}
declare module "prom-client/lib/histogram" {
  import { Histogram } from "prom-client";
  export default Histogram;
}
declare module "prom-client/lib/registry" {
  import { Registry } from "prom-client";
  export default Registry;
}
