// The whole client behind one import: the fetch wrapper (http.ts) and every resource's endpoints.
// App code imports the piece it uses; `api` is the shape tests call and fakes stand in for.
import { authApi } from "./auth";
import { columnsApi } from "./columns";
import { projectsApi } from "./projects";
import { tasksApi } from "./tasks";
import { transferApi } from "./transfer";

export * from "./http";

export const api = { ...authApi, ...projectsApi, ...tasksApi, ...transferApi, ...columnsApi };
