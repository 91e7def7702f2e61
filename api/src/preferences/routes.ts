// /api/me/preferences: the signed-in user's mail preferences. Each use case is one statement on the
// pool (api/src/preferences/repository.ts), so there is no service layer yet.
import { Hono } from "hono";
import type { Deps } from "../deps.ts";
import type { AppEnv } from "../http/context.ts";
import { validate } from "../http/validate.ts";
import { findPreferences, savePreferences } from "./repository.ts";
import { updatePreferencesBody } from "./schemas.ts";

export function preferenceRoutes(deps: Deps) {
  return new Hono<AppEnv>()
    .get("/preferences", async (c) => c.json(await findPreferences(deps.sql, c.get("user").id)))
    .put("/preferences", validate("json", updatePreferencesBody), async (c) =>
      c.json(await savePreferences(deps.sql, c.get("user").id, c.req.valid("json"))),
    );
}
