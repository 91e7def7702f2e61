// A project's columns and its whole board: /api/projects/:id/columns, /api/projects/:id/board.
import { json, request } from "./http";
import type { Board, Column, Page, Status } from "./types";

export interface ColumnInput {
  name?: string;
  kind?: Status;
  done?: boolean;
  wipLimit?: number | null;
}

export const columnsApi = {
  board: (projectId: string) => request<Board>(`/api/projects/${projectId}/board`),
  createColumn: (projectId: string, input: ColumnInput & { name: string }) =>
    request<Column>(`/api/projects/${projectId}/columns`, json("POST", input)),
  updateColumn: (projectId: string, id: string, input: ColumnInput) =>
    request<Column>(`/api/projects/${projectId}/columns/${id}`, json("PATCH", input)),
  moveColumn: (projectId: string, id: string, position: number) =>
    request<Page<Column>>(`/api/projects/${projectId}/columns/${id}/move`, json("POST", { position })),
  deleteColumn: (projectId: string, id: string, moveTo?: string) =>
    request<void>(
      `/api/projects/${projectId}/columns/${id}${moveTo ? `?moveTo=${encodeURIComponent(moveTo)}` : ""}`,
      { method: "DELETE" },
    ),
};
