// PromQL pieces more than one dashboard uses.

/** Rate window Grafana sizes to the scrape interval and the zoom; static.test.ts requires it in every rate(). */
export const RATE_INTERVAL = "$__rate_interval";

/** Selects the API's own series. */
export const API_JOB = 'job="api"';

/** Share of API answers with a 5xx status; `or vector(0)` gives 0 instead of no data while there are none. */
export const API_5XX_RATIO = `(sum(rate(http_requests_total{${API_JOB},status=~"5.."}[${RATE_INTERVAL}])) or vector(0)) / sum(rate(http_requests_total{${API_JOB}}[${RATE_INTERVAL}]))`;
