// Route table: pages are lazy so the first load only carries the shell.
import type { RouteDefinition } from "@solidjs/router";
import { lazy } from "solid-js";
import { Shell } from "./components/Shell";
import { ProjectLayout } from "./pages/ProjectLayout";

export const routes: RouteDefinition[] = [
  { path: "/signin", component: lazy(() => import("./pages/SignIn")) },
  { path: ["/signup", "/invitation"], component: lazy(() => import("./pages/SignUp")) },
  { path: "/forgot-password", component: lazy(() => import("./pages/ForgotPassword")) },
  { path: "/reset-password", component: lazy(() => import("./pages/ResetPassword")) },
  {
    path: "/",
    component: Shell,
    children: [
      { path: "/", component: lazy(() => import("./pages/Home")) },
      { path: "/settings", component: lazy(() => import("./pages/Account")) },
      { path: "/notifications", component: lazy(() => import("./pages/Inbox")) },
      { path: "/calendar", component: lazy(() => import("./calendar/Calendar")) },
      { path: "/import/trello", component: lazy(() => import("./pages/ImportTrello")) },
      {
        path: "/projects/:projectId",
        component: ProjectLayout,
        children: [
          { path: "/", component: lazy(() => import("./pages/Board")) },
          { path: "/list", component: lazy(() => import("./pages/List")) },
          { path: "/activity", component: lazy(() => import("./pages/Activity")) },
          {
            path: "/calendar",
            component: lazy(() =>
              import("./calendar/Calendar").then((m) => ({ default: m.ProjectCalendar })),
            ),
          },
          { path: "/archived", component: lazy(() => import("./pages/Archived")) },
          { path: "/settings", component: lazy(() => import("./pages/ProjectSettings")) },
        ],
      },
      { path: "*404", component: lazy(() => import("./pages/NotFound")) },
    ],
  },
];
