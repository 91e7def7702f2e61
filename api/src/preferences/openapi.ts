// The preference routes as OpenAPI operations (assembled by ../openapi.ts).
import type { Operation } from "../http/operation.ts";
import { preferencesSchema, updatePreferencesBody } from "./schemas.ts";

export const preferenceOperations: Operation[] = [
  {
    tag: "preferences",
    method: "get",
    path: "/api/me/preferences",
    summary:
      "Your preferences: reminders, mail per notification kind (immediately, daily digest, off), time zone",
    auth: true,
    response: preferencesSchema,
  },
  {
    tag: "preferences",
    method: "put",
    path: "/api/me/preferences",
    summary: "Change your preferences (fields and kinds left out keep their values)",
    auth: true,
    body: updatePreferencesBody,
    response: preferencesSchema,
  },
];
