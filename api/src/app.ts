// createApp(deps): the whole HTTP surface. Order matters: request id and observation wrap
// everything; health answers before rate limits; bodies are checked before any route reads them.
import { Hono } from "hono";
import { serveStatic } from "hono/bun";
import { TrieRouter } from "hono/router/trie-router";
import { version } from "../package.json" with { type: "json" };
import { activityRoutes } from "./activity/routes.ts";
import { attachmentDownloadRoutes, attachmentRoutes, isAttachmentUpload } from "./attachments/routes.ts";
import { authRoutes } from "./auth/routes.ts";
import { calendarRoutes } from "./calendar/routes.ts";
import { calendarFeedRoutes, publicCalendarRoutes, redactFeedPath } from "./calendar-feed/routes.ts";
import { checklistRoutes } from "./checklists/routes.ts";
import { columnRoutes } from "./columns/routes.ts";
import { commentRoutes } from "./comments/routes.ts";
import type { Deps } from "./deps.ts";
import type { EventHub } from "./events/hub.ts";
import { createPublisher } from "./events/publisher.ts";
import { eventRoutes } from "./events/routes.ts";
import { createHealthRoutes } from "./health/routes.ts";
import { authenticate, requireAuth, userLimit } from "./http/auth.ts";
import { jsonBody } from "./http/body.ts";
import { clientIp } from "./http/client-ip.ts";
import type { AppEnv } from "./http/context.ts";
import { errorBody, toErrorResponse } from "./http/errors.ts";
import { noStore } from "./http/no-store.ts";
import { observe } from "./http/observe.ts";
import { cleanQuery } from "./http/query.ts";
import { rateLimit } from "./http/rate-limit.ts";
import { requestId } from "./http/request-id.ts";
import { invitationRoutes } from "./invitations/routes.ts";
import { labelRoutes } from "./labels/routes.ts";
import { notificationRoutes } from "./notifications/routes.ts";
import { preferenceRoutes } from "./preferences/routes.ts";
import { projectRoutes } from "./projects/routes.ts";
import { taskRoutes } from "./tasks/routes.ts";
import { ARCHIVE_IMPORT_PATH, transferRoutes } from "./transfer/routes.ts";
import { TRELLO_IMPORT_PATH, trelloRoutes } from "./trello/routes.ts";

export const MAX_BODY_BYTES = 1024 * 1024;

export function createApp(deps: Deps & { hub: EventHub }) {
  const { config, store, metrics, log, hub } = deps;
  const publish = createPublisher(store, log);
  const limits = config.rateLimit;
  const health = createHealthRoutes(deps);
  const api = new Hono<AppEnv>()
    .use(
      jsonBody({
        maxBytes: MAX_BODY_BYTES,
        streamed: (c) =>
          isAttachmentUpload(c) || c.req.path === TRELLO_IMPORT_PATH || c.req.path === ARCHIVE_IMPORT_PATH,
      }),
      cleanQuery(),
    )
    .route("/", health.api)
    // Loaded on the first request for it: every start would otherwise pay for the whole document.
    .get("/openapi.json", async (c) => c.json((await import("./openapi.ts")).buildOpenApiDocument(version)))
    // The feed's token is its credential: before authentication, with limits of its own.
    .route("/ical", publicCalendarRoutes(deps))
    .use(
      authenticate({ secret: config.jwtSecret }),
      rateLimit({
        store,
        metrics,
        log,
        windowSeconds: limits.windowSeconds,
        limits: (c) => [
          { scope: "ip", limit: limits.ip, identity: c.get("clientIp") },
          {
            scope: "auth_ip",
            limit: limits.authIp,
            identity: c.req.path.startsWith("/api/auth/") ? c.get("clientIp") : undefined,
          },
          userLimit(c, limits.user),
        ],
      }),
    )
    .use("/auth/*", noStore())
    .route("/auth", authRoutes(deps, publish))
    .route("/events", eventRoutes(deps, hub));

  const signedIn = requireAuth({ secret: config.jwtSecret, metrics, store });
  // "/x/*" also matches "/x" itself in Hono: listing both would run it twice.
  for (const path of [
    "/projects/*",
    "/tasks/*",
    "/notifications/*",
    "/export/*",
    "/import/*",
    "/imports/*",
    "/me/*",
  ])
    api.use(path, signedIn);
  api.use("/calendar", signedIn);
  api.use("/export/*", noStore());
  api
    .route("/projects", projectRoutes(deps, publish))
    .route("/projects", columnRoutes(deps, publish))
    .route("/projects", labelRoutes(deps, publish))
    .route("/projects", invitationRoutes(deps, publish))
    .route("/tasks", taskRoutes(deps, publish))
    .route("/tasks", commentRoutes(deps, publish))
    .route("/tasks", attachmentRoutes(deps, publish))
    // Signed links (attachments/links.ts), no Authorization header: <a download> and <img> open them.
    .route("/attachments", attachmentDownloadRoutes(deps, publish))
    .route("/", checklistRoutes(deps, publish))
    .route("/", activityRoutes(deps))
    .route("/", notificationRoutes(deps, publish))
    .route("/", transferRoutes(deps, publish))
    .route("/", trelloRoutes(deps, publish))
    .route("/me", preferenceRoutes(deps))
    .route("/me", calendarFeedRoutes(deps))
    .route("/calendar", calendarRoutes(deps));

  // RegExpRouter cannot hold these routes (POST /notifications/read-all next to /notifications/:id/read):
  // the default SmartRouter found that out at the first request by trying to build one, then filled a
  // TrieRouter anyway. Only this app matches; the mounted sub-apps' routers are never built.
  const app = new Hono<AppEnv>({ router: new TrieRouter() })
    .use(
      requestId(),
      clientIp({ trustedProxies: config.trustedProxies }),
      observe({ log, metrics, redactPath: redactFeedPath }),
    )
    .get("/metrics", async (c) =>
      c.text(await metrics.registry.metrics(), 200, { "Content-Type": metrics.registry.contentType }),
    )
    // Readiness with every detail, for operators: never forwarded by the proxy (only /api/ is).
    .route("/", health.internal)
    .route("/api", api);

  if (config.staticDir) {
    const root = config.staticDir;
    app.use(
      "/assets/*",
      async (c, next) => {
        await next();
        if (c.res.ok) c.res.headers.set("Cache-Control", "public, max-age=31536000, immutable");
      },
      serveStatic({ root, precompressed: true }),
    );
    app.get("*", serveStatic({ root, precompressed: true }));
    // Client-side routes: anything else that is not /api gets the SPA shell.
    app.get("*", async (c, next) => {
      if (c.req.path.startsWith("/api/")) return next();
      c.header("Cache-Control", "no-cache");
      return serveStatic({ root, path: "index.html" })(c, next);
    });
  }

  app.notFound((c) => c.json(errorBody("not_found", "no such route"), 404));
  app.onError((error, c) => toErrorResponse(error, c, log));
  api.notFound((c) => c.json(errorBody("not_found", "no such route"), 404));
  api.onError((error, c) => toErrorResponse(error, c, log));
  return app;
}
