// Yes/no query parameters, spelt one way by every route: `?dryRun=true`, `?unread=true`.
import { z } from "zod";

/** "true" or "false", false when absent, read as a boolean; anything else is a 422. */
export const queryFlag = () =>
  z
    .enum(["true", "false"])
    .default("false")
    .transform((value) => value === "true");
