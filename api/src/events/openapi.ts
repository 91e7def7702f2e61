// The event stream routes as OpenAPI operations, from the schemas they validate with (assembled by ../openapi.ts).
import type { Operation } from "../http/operation.ts";
import { eventsQuery, ticketResponse } from "./schemas.ts";

export const eventOperations: Operation[] = [
  {
    tag: "events",
    method: "post",
    path: "/api/events/ticket",
    summary: "A single-use ticket (30 s) to open the event stream without a token in the URL",
    auth: true,
    response: ticketResponse,
    status: 201,
  },
  {
    tag: "events",
    method: "get",
    path: "/api/events",
    summary:
      "Server-Sent Events of my projects (Authorization header or ?ticket=; Last-Event-ID resumes); ends when the token expires or the session ends. 429 beyond SSE_STREAMS_PER_USER open streams per account, 503 when the server has no room; both with Retry-After",
    auth: true,
    query: eventsQuery,
  },
];
