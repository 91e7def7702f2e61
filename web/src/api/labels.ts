// A project's managed labels: /api/projects/:id/labels.
import { json, request } from "./http";
import type { Label, LabelColor, Page } from "./types";

export const labelsApi = {
  labels: (projectId: string) => request<Page<Label>>(`/api/projects/${projectId}/labels`),
  createLabel: (projectId: string, input: { name: string; color?: LabelColor }) =>
    request<Label>(`/api/projects/${projectId}/labels`, json("POST", input)),
  updateLabel: (projectId: string, id: string, input: { name?: string; color?: LabelColor }) =>
    request<Label>(`/api/projects/${projectId}/labels/${id}`, json("PATCH", input)),
  deleteLabel: (projectId: string, id: string) =>
    request<void>(`/api/projects/${projectId}/labels/${id}`, { method: "DELETE" }),
};
