// The health routes as OpenAPI operations, from the schemas they validate with (assembled by ../openapi.ts).
import type { Operation } from "../http/operation.ts";

export const healthOperations: Operation[] = [
  { tag: "health", method: "get", path: "/api/health", summary: "Liveness (no I/O)" },
  { tag: "health", method: "get", path: "/api/ready", summary: "Readiness: PostgreSQL and Redis reachable" },
];
