import { z } from "zod";
import { EVENT_ID_PATTERN } from "../store/store.ts";
import { TICKET_TTL_SECONDS } from "./tickets.ts";

export const eventsQuery = z.strictObject({
  ticket: z.string().optional().describe("from POST /api/events/ticket (EventSource cannot send headers)"),
  lastEventId: z
    .string()
    .regex(EVENT_ID_PATTERN, "must be an event id")
    .optional()
    .describe("resume after this event (like the Last-Event-ID header)"),
});

export const ticketResponse = z.object({
  ticket: z.string(),
  expiresInSeconds: z.literal(TICKET_TTL_SECONDS),
});
