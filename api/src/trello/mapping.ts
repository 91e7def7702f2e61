// A Trello board as one project of an export document (transfer/schemas.ts), so the import writes
// through the same code as every other import; plus the preview the owner confirms. Pure: no I/O.
//
// - Open lists → columns in board order. A list's kind comes from its name ("Done" → done, "Doing",
//   "In review" → in progress, anything else → to do); a kind no list has gets an empty column, since
//   every project keeps one column per kind.
// - Archived lists get no column: their cards become archived tasks in the first column.
// - Cards → tasks in their list's order (positions renumbered 1024 apart, order kept); archived cards
//   → archived tasks. Title, description, due date and labels are kept; a card's creation time is read
//   from its id (a Trello id starts with its creation time in seconds).
// - Labels → the project's labels, colours mapped to the palette; an unnamed label is named after its
//   colour, and a name used twice gets " (2)".
// - Checklists → one checklist per task: with several checklists each item starts with its
//   checklist's name ("QA: Run the tests").
// - Comments → comments by the importer, starting with the Trello author's name; their dates kept.
// - Members → listed only.

import type { z } from "zod";
import { MAX_CHECKLIST_ITEMS, MAX_CHECKLIST_TEXT } from "../checklists/schemas.ts";
import { MAX_COLUMNS } from "../columns/schemas.ts";
import { MAX_COMMENT_LENGTH } from "../comments/schemas.ts";
import { DEFAULT_LABEL_COLOR, type LabelColor } from "../labels/schemas.ts";
import type { Task } from "../tasks/repository.ts";
import { POSITION_GAP } from "../tasks/repository.ts";
import type { exportedProject } from "../transfer/schemas.ts";
import { type TrelloBoard, type TrelloImportResult, trelloCommentData } from "./schemas.ts";

type ExportedProject = z.input<typeof exportedProject>;
type Kind = Task["status"];

/** Our limits, in the units the schemas count (code points, or UTF-16 units for z.string().max). */
const LIMITS = {
  projectName: 100,
  projectDescription: 2000,
  title: 200,
  description: 10_000,
  column: 100,
  label: 50,
  labelsPerTask: 20,
} as const;

/** Trello colours (and their _dark/_light shades) → the label palette. */
const PALETTE: Record<string, LabelColor> = {
  green: "green",
  yellow: "amber",
  orange: "orange",
  red: "red",
  purple: "purple",
  blue: "blue",
  sky: "teal",
  lime: "green",
  pink: "pink",
  black: "slate",
};

export function paletteColor(trelloColor: string | null): LabelColor {
  if (!trelloColor) return DEFAULT_LABEL_COLOR;
  return PALETTE[trelloColor.replace(/_(dark|light)$/, "")] ?? DEFAULT_LABEL_COLOR;
}

const DONE = /\b(done|complete[d]?|finished|shipped|released|resolved|closed|archive[d]?)\b/i;
const IN_PROGRESS =
  /\b(doing|in[ -]?progress|progress|wip|working|started|review(ing)?|testing|qa|blocked|ongoing)\b/i;

/** The kind of column a list becomes, from its name. */
export function kindOfList(name: string): Kind {
  if (DONE.test(name)) return "done";
  if (IN_PROGRESS.test(name)) return "in_progress";
  return "todo";
}

const codePoints = (value: string) => [...value];
/** `value` cut to `max` (code points, or UTF-16 units) with an ellipsis; null when it fits. */
function cut(value: string, max: number, units: "codePoints" | "utf16" = "codePoints"): string | null {
  const chars = codePoints(value);
  const length = units === "utf16" ? value.length : chars.length;
  if (length <= max) return null;
  let kept = chars.slice(0, max - 1);
  while (units === "utf16" && kept.join("").length > max - 1) kept = kept.slice(0, -1);
  return `${kept.join("").trimEnd()}…`;
}

/** Creation time of a Trello object: its id is a MongoDB ObjectId, whose first 4 bytes are seconds. */
export function createdAtOfId(trelloId: string): Date | null {
  if (!/^[0-9a-f]{24}$/i.test(trelloId)) return null;
  const seconds = Number.parseInt(trelloId.slice(0, 8), 16);
  return seconds > 0 ? new Date(seconds * 1000) : null;
}

const plural = (count: number, one: string, many = `${one}s`) =>
  `${count.toLocaleString("en-US")} ${count === 1 ? one : many}`;

/** Sorted by Trello position, the file's order breaking ties. */
const byPos = <T extends { pos: number }>(items: T[]) =>
  items
    .map((item, index) => ({ item, index }))
    .sort((a, b) => a.item.pos - b.item.pos || a.index - b.index)
    .map(({ item }) => item);

export interface MappedBoard {
  project: ExportedProject;
  preview: Omit<TrelloImportResult, "dryRun">;
}

const DEFAULT_COLUMN_NAMES: Record<Kind, string> = {
  todo: "To do",
  in_progress: "In progress",
  done: "Done",
};

export class TooManyColumns extends Error {
  constructor(readonly lists: number) {
    super(`${lists} lists`);
  }
}

/**
 * Maps a checked board onto one project of an export document, whose comments are written by
 * `importerEmail`. `now` is the archive time of cards archived without a date.
 */
export function mapBoard(board: TrelloBoard, importerEmail: string, now: Date): MappedBoard {
  const shortened = new Map<string, number>();
  const shorten = (what: string, value: string, max: number, units?: "codePoints" | "utf16") => {
    const short = cut(value, max, units);
    if (short === null) return value;
    shortened.set(what, (shortened.get(what) ?? 0) + 1);
    return short;
  };
  const warnings: string[] = [];
  const name = shorten("board name", board.name.trim() || "Trello board", LIMITS.projectName, "utf16");
  const description = shorten("board description", board.desc ?? "", LIMITS.projectDescription, "utf16");

  // Columns.
  const openLists = byPos(board.lists.filter((list) => !list.closed));
  const closedListIds = new Set(board.lists.filter((list) => list.closed).map((list) => list.id));
  type Column = { id: string; name: string; kind: Kind; list: string | null };
  const listColumns: Column[] = openLists.map((list) => {
    const name = shorten("list name", list.name.trim() || "Untitled list", LIMITS.column);
    return { id: crypto.randomUUID(), name, kind: kindOfList(name), list: list.name };
  });
  const columns = [...listColumns];
  const added = (kind: Kind): Column => ({
    id: crypto.randomUUID(),
    name: DEFAULT_COLUMN_NAMES[kind],
    kind,
    list: null,
  });
  if (!columns.some((column) => column.kind === "todo")) columns.unshift(added("todo"));
  if (!columns.some((column) => column.kind === "in_progress")) {
    const firstDone = columns.findIndex((column) => column.kind === "done");
    columns.splice(firstDone < 0 ? columns.length : firstDone, 0, added("in_progress"));
  }
  if (!columns.some((column) => column.kind === "done")) columns.push(added("done"));
  if (columns.length > MAX_COLUMNS) throw new TooManyColumns(openLists.length);
  const columnOfList = new Map(openLists.map((list, i) => [list.id, listColumns[i] as Column]));
  const firstColumn = columns[0] as Column;

  // Labels: unique names, in the file's order.
  const labelName = new Map<string, string>();
  const labels: { name: string; color: LabelColor; trelloColor: string | null }[] = [];
  const taken = new Set<string>();
  for (const label of board.labels) {
    const base = shorten(
      "label name",
      (label.name ?? "").trim() || (label.color ?? "no colour").replace(/_/g, " "),
      LIMITS.label,
      "utf16",
    );
    let name = base;
    for (let n = 2; taken.has(name); n++) {
      const suffix = ` (${n})`;
      name = `${cut(base, LIMITS.label - suffix.length, "utf16") ?? base}${suffix}`;
    }
    taken.add(name);
    labelName.set(label.id, name);
    labels.push({ name, color: paletteColor(label.color), trelloColor: label.color });
  }

  // Checklists per card, in order, as one list of items.
  const checklistsOf = new Map<string, TrelloBoard["checklists"]>();
  for (const checklist of byPos(board.checklists)) {
    const list = checklistsOf.get(checklist.idCard);
    if (list) list.push(checklist);
    else checklistsOf.set(checklist.idCard, [checklist]);
  }
  let droppedItems = 0;
  const checklistOf = (cardId: string) => {
    const lists = checklistsOf.get(cardId) ?? [];
    const items = lists.flatMap((checklist) =>
      byPos(checklist.checkItems).flatMap((item) => {
        const prefix = lists.length > 1 && checklist.name.trim() ? `${checklist.name.trim()}: ` : "";
        const itemText = `${prefix}${item.name.trim()}`;
        if (!item.name.trim()) return [];
        return [
          { text: shorten("checklist item", itemText, MAX_CHECKLIST_TEXT), done: item.state === "complete" },
        ];
      }),
    );
    droppedItems += Math.max(0, items.length - MAX_CHECKLIST_ITEMS);
    return items.slice(0, MAX_CHECKLIST_ITEMS);
  };

  // Comments per card, oldest first.
  const commentsOf = new Map<
    string,
    { authorEmail: string; body: string; createdAt: string; updatedAt: string }[]
  >();
  const commentsBy = new Map<string, number>();
  const cardIds = new Set(board.cards.map((card) => card.id));
  const comments = board.actions
    .filter((action) => action.type === "commentCard")
    .map((action) => ({ action, data: trelloCommentData.safeParse(action.data) }))
    .filter(({ data }) => data.success && cardIds.has(data.data.card.id) && data.data.text.trim() !== "")
    .sort((a, b) => a.action.date.localeCompare(b.action.date));
  for (const { action, data } of comments) {
    if (!data.success) continue;
    const author = action.memberCreator;
    const name = author?.fullName?.trim() || author?.username?.trim() || "someone";
    const handle = author?.username?.trim() ? ` (@${author.username.trim()})` : "";
    const memberId = action.idMemberCreator ?? author?.id;
    if (memberId) commentsBy.set(memberId, (commentsBy.get(memberId) ?? 0) + 1);
    const body = shorten(
      "comment",
      `${name}${handle} on Trello:\n\n${data.data.text.trim()}`,
      MAX_COMMENT_LENGTH,
    );
    const list = commentsOf.get(data.data.card.id) ?? [];
    list.push({
      authorEmail: importerEmail,
      body,
      createdAt: action.date,
      updatedAt: data.data.dateLastEdited ?? action.date,
    });
    commentsOf.set(data.data.card.id, list);
  }

  // Tasks, list by list.
  const cardsOf = new Map<string, TrelloCard[]>();
  for (const card of byPos(board.cards)) {
    const list = cardsOf.get(card.idList) ?? [];
    list.push(card);
    cardsOf.set(card.idList, list);
  }
  const tasksIn = new Map<string, number>();
  const labelUses = new Map<string, number>();
  let archivedTasks = 0;
  let checklistItems = 0;
  let droppedLabels = 0;
  const tasks: ExportedProject["tasks"] = [];
  const place = (column: Column, card: TrelloCard, archived: boolean) => {
    const created = createdAtOfId(card.id) ?? (card.dateLastActivity ? new Date(card.dateLastActivity) : now);
    const lastActivity = card.dateLastActivity ? new Date(card.dateLastActivity) : created;
    const updated = new Date(Math.max(lastActivity.getTime(), created.getTime()));
    const names = [...new Set(card.idLabels.flatMap((labelId) => labelName.get(labelId) ?? []))];
    droppedLabels += Math.max(0, names.length - LIMITS.labelsPerTask);
    const taskLabels = names.slice(0, LIMITS.labelsPerTask);
    for (const name of taskLabels) labelUses.set(name, (labelUses.get(name) ?? 0) + 1);
    const checklist = checklistOf(card.id);
    const notes = commentsOf.get(card.id) ?? [];
    checklistItems += checklist.length;
    const rank = (tasksIn.get(column.id) ?? 0) + 1;
    tasksIn.set(column.id, rank);
    if (archived) archivedTasks += 1;
    tasks.push({
      title: shorten("card title", card.name.trim() || "Untitled card", LIMITS.title),
      description: shorten("card description", card.desc, LIMITS.description),
      status: column.kind,
      priority: "medium",
      dueAt: card.due,
      labels: taskLabels,
      assigneeEmail: null,
      columnId: column.id,
      position: rank * POSITION_GAP,
      createdAt: created.toISOString(),
      updatedAt: updated.toISOString(),
      completedAt: column.kind === "done" ? updated.toISOString() : null,
      archivedAt: archived ? (card.dateLastActivity ?? now.toISOString()) : null,
      ...(checklist.length ? { checklist } : {}),
      ...(notes.length ? { comments: notes } : {}),
    });
  };
  for (const list of [...openLists, ...byPos(board.lists.filter((l) => l.closed))]) {
    for (const card of cardsOf.get(list.id) ?? []) {
      const column = columnOfList.get(list.id) ?? firstColumn;
      place(column, card, card.closed || closedListIds.has(list.id));
    }
  }
  const listIds = new Set(board.lists.map((list) => list.id));
  const orphans = board.cards.filter((card) => !listIds.has(card.idList));
  for (const card of byPos(orphans)) place(firstColumn, card, true);
  if (orphans.length)
    warnings.push(
      `${plural(orphans.length, "card")} named a list the file does not have and ${orphans.length === 1 ? "is" : "are"} imported as archived.`,
    );

  for (const [what, count] of shortened) {
    warnings.push(
      `${plural(count, what)} ${count === 1 ? "was" : "were"} longer than TaskPlatform allows and ${count === 1 ? "was" : "were"} shortened.`,
    );
  }
  if (droppedItems)
    warnings.push(
      `${plural(droppedItems, "checklist item")} beyond ${MAX_CHECKLIST_ITEMS} on one card ${droppedItems === 1 ? "was" : "were"} left out.`,
    );
  if (droppedLabels)
    warnings.push(
      `${plural(droppedLabels, "label")} beyond ${LIMITS.labelsPerTask} on one card ${droppedLabels === 1 ? "was" : "were"} left out.`,
    );

  const cardsByMember = new Map<string, number>();
  for (const card of board.cards)
    for (const memberId of new Set(card.idMembers))
      cardsByMember.set(memberId, (cardsByMember.get(memberId) ?? 0) + 1);

  const commentCount = tasks.reduce((sum, task) => sum + (task.comments?.length ?? 0), 0);
  const nowIso = now.toISOString();
  return {
    project: {
      name,
      description,
      createdAt: nowIso,
      updatedAt: nowIso,
      labels: labels.map(({ name: labelName, color }) => ({ name: labelName, color })),
      members: [],
      columns: columns.map((column, i) => ({
        id: column.id,
        name: column.name,
        kind: column.kind,
        done: column.kind === "done",
        wipLimit: null,
        position: (i + 1) * POSITION_GAP,
      })),
      tasks,
    },
    preview: {
      project: { id: null, name, description },
      columns: columns.map((column) => ({
        name: column.name,
        kind: column.kind,
        list: column.list,
        tasks: tasksIn.get(column.id) ?? 0,
      })),
      labels: labels.map((label) => ({ ...label, tasks: labelUses.get(label.name) ?? 0 })),
      members: board.members.map((member) => ({
        fullName: member.fullName?.trim() || member.username || "",
        username: member.username ?? "",
        cards: cardsByMember.get(member.id) ?? 0,
        comments: commentsBy.get(member.id) ?? 0,
      })),
      counts: {
        tasks: tasks.length,
        archivedTasks,
        checklistItems,
        comments: commentCount,
        labels: labels.length,
        columns: columns.length,
        archivedLists: closedListIds.size,
      },
      warnings,
    },
  };
}

type TrelloCard = TrelloBoard["cards"][number];
