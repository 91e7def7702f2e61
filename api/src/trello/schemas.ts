// A Trello board as Trello's "Export as JSON" writes it (the board object of the REST API with its
// lists, cards, labels, checklists, actions and members), and the import's answer. Only the fields the
// import reads are checked; an export carries many more (prefs, pluginData, limits…), which pass.
import { z } from "zod";
import { LABEL_COLORS } from "../labels/schemas.ts";
import { statusSchema } from "../tasks/schemas.ts";
import { TRELLO_LIMITS } from "./limits.ts";

const text = z
  .string()
  .max(
    TRELLO_LIMITS.text,
    `is longer than Trello allows (${TRELLO_LIMITS.text.toLocaleString("en-US")} characters)`,
  );
const id = z.string().min(1, "is required").max(100);
// PostgreSQL's calendar has no year 0: refused here, with the field named, not by the database.
const timestamp = z.iso
  .datetime({ offset: true, message: "is not a date" })
  .refine((value) => !value.startsWith("0000"), "is not a date");
/** Trello positions are numbers; the REST API also accepts "top"/"bottom", which exports never hold. */
const pos = z.number().finite();
const array = <T extends z.ZodType>(item: T, max: number) => z.array(item).max(max);

export const trelloList = z.looseObject({ id, name: text, closed: z.boolean().default(false), pos });

export const trelloCard = z.looseObject({
  id,
  name: text,
  desc: text.default(""),
  idList: id,
  closed: z.boolean().default(false),
  pos,
  due: timestamp.nullable().default(null),
  dateLastActivity: timestamp.nullable().optional(),
  idLabels: array(id, 1000).default([]),
  idMembers: array(id, 1000).default([]),
});

export const trelloLabel = z.looseObject({
  id,
  name: text.nullable().default(""),
  /** green, yellow, orange, red, purple, blue, sky, lime, pink, black, their _dark and _light shades, or null. */
  color: z.string().max(50).nullable().default(null),
});

export const trelloChecklist = z.looseObject({
  id,
  idCard: id,
  name: text.default(""),
  pos: pos.default(0),
  checkItems: array(
    z.looseObject({
      id,
      name: text,
      state: z.enum(["complete", "incomplete"]),
      pos: pos.default(0),
    }),
    TRELLO_LIMITS.checkItems,
  ).default([]),
});

const trelloPerson = z.looseObject({
  id: id.optional(),
  fullName: text.nullable().optional(),
  username: z.string().max(200).nullable().optional(),
});

/** Every action of the board's history; only comments ("commentCard") are imported. */
export const trelloAction = z.looseObject({
  id,
  type: z.string().max(100),
  date: timestamp,
  idMemberCreator: id.optional(),
  memberCreator: trelloPerson.nullable().optional(),
  data: z.looseObject({}).default({}),
});

/** What a comment action holds beyond the common fields. */
export const trelloCommentData = z.looseObject({
  text,
  card: z.looseObject({ id }),
  dateLastEdited: timestamp.nullable().optional(),
});

export const trelloMember = z.looseObject({
  id,
  fullName: text.nullable().default(""),
  username: z.string().max(200).nullable().default(""),
});

/** The board: its lists and cards make it a Trello export; the rest may be missing in a trimmed file. */
export const trelloBoard = z.looseObject({
  name: text,
  desc: text.nullable().default(""),
  lists: array(trelloList, TRELLO_LIMITS.lists),
  cards: array(trelloCard, TRELLO_LIMITS.cards),
  labels: array(trelloLabel, TRELLO_LIMITS.labels).default([]),
  checklists: array(trelloChecklist, TRELLO_LIMITS.checklists).default([]),
  actions: array(trelloAction, TRELLO_LIMITS.actions).default([]),
  members: array(trelloMember, TRELLO_LIMITS.members).default([]),
});

export type TrelloBoard = z.infer<typeof trelloBoard>;
export type TrelloCard = z.infer<typeof trelloCard>;
export type TrelloLabel = z.infer<typeof trelloLabel>;

export const trelloImportResult = z.object({
  /** Nothing was written: this is what the import would create. */
  dryRun: z.boolean(),
  project: z.object({
    /** null in a dry run: the project does not exist yet. */
    id: z.uuid().nullable(),
    name: z.string(),
    description: z.string(),
  }),
  /** The board's columns in order: one per open list, plus one per kind the lists left without. */
  columns: z.array(
    z.object({
      name: z.string(),
      kind: statusSchema,
      /** The Trello list it comes from; null for a column added so that every kind has one. */
      list: z.string().nullable(),
      tasks: z.int(),
    }),
  ),
  labels: z.array(
    z.object({
      name: z.string(),
      color: z.enum(LABEL_COLORS),
      /** Trello's colour name, or null for a label without colour. */
      trelloColor: z.string().nullable(),
      tasks: z.int(),
    }),
  ),
  /** The board's members: not added to the project; the owner invites those they want. */
  members: z.array(
    z.object({ fullName: z.string(), username: z.string(), cards: z.int(), comments: z.int() }),
  ),
  counts: z.object({
    tasks: z.int(),
    /** Archived cards, and the cards of archived lists: imported as archived tasks. */
    archivedTasks: z.int(),
    checklistItems: z.int(),
    comments: z.int(),
    labels: z.int(),
    columns: z.int(),
    /** Archived lists: no column is made for them. */
    archivedLists: z.int(),
  }),
  /** What was changed to fit (texts shortened, items left out), in sentences. */
  warnings: z.array(z.string()),
});

export type TrelloImportResult = z.infer<typeof trelloImportResult>;
