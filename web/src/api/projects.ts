// Projects and their members: /api/projects/*.
import { json, request } from "./http";
import type { Member, Page, Project, Role } from "./types";

export const projectsApi = {
  projects: () => request<Page<Project>>("/api/projects"),
  project: (id: string) => request<Project>(`/api/projects/${id}`),
  createProject: (input: { name: string; description?: string }) =>
    request<Project>("/api/projects", json("POST", input)),
  updateProject: (id: string, input: { name?: string; description?: string }) =>
    request<Project>(`/api/projects/${id}`, json("PATCH", input)),
  archiveProject: (id: string) => request<Project>(`/api/projects/${id}/archive`, { method: "POST" }),
  restoreProject: (id: string) => request<Project>(`/api/projects/${id}/restore`, { method: "POST" }),
  deleteProject: (id: string) => request<void>(`/api/projects/${id}`, { method: "DELETE" }),
  members: (id: string) => request<Page<Member>>(`/api/projects/${id}/members`),
  updateMember: (id: string, userId: string, role: Role) =>
    request<Member>(`/api/projects/${id}/members/${userId}`, json("PATCH", { role })),
  removeMember: (id: string, userId: string) =>
    request<void>(`/api/projects/${id}/members/${userId}`, { method: "DELETE" }),
};
