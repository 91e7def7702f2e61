// Labels of one project: the list (refetched when a label.* event says it changed), each name's
// colour for the cards, and the owner's edits (each refreshes the list from the server).
import { createResource } from "solid-js";
import { labelsApi } from "../api/labels";
import type { Label, LabelColor } from "../api/types";

export interface LabelsStore {
  items: () => Label[];
  /** The colour of the label of this name; the default for a name not (yet) known. */
  colorOf(name: string): LabelColor;
  refetch(): void;
  create(name: string, color: LabelColor): Promise<Label>;
  update(id: string, changes: { name?: string; color?: LabelColor }): Promise<Label>;
  remove(id: string): Promise<void>;
}

export function createLabelsStore(projectId: string, client = labelsApi): LabelsStore {
  const [labels, { refetch }] = createResource(
    () => projectId,
    async (id) => (await client.labels(id)).items,
    { initialValue: [] },
  );
  const items = () => labels.latest ?? [];
  const after = async <T>(request: Promise<T>) => {
    try {
      return await request;
    } finally {
      void refetch();
    }
  };
  return {
    items,
    colorOf: (name) => items().find((label) => label.name === name)?.color ?? "slate",
    refetch: () => void refetch(),
    create: (name, color) => after(client.createLabel(projectId, { name, color })),
    update: (id, changes) => after(client.updateLabel(projectId, id, changes)),
    remove: (id) => after(client.deleteLabel(projectId, id)),
  };
}
