// Response types come from the zod response schemas (z.infer), with timestamps as the ISO strings
// clients receive. Repositories hold the same records with the Dates postgres.js returns, which
// c.json() and JSON.stringify write as those strings. These two types translate between the forms,
// so neither is written out by hand.

/** The response type T with its timestamp fields K as Dates: the record a repository returns. */
export type WithDates<T, K extends keyof T> = {
  [P in keyof T]: P extends K ? Date | Exclude<T[P], string> : T[P];
};

/** What JSON.stringify makes of T (Dates become ISO strings): what a client receives for T. */
export type Jsonify<T> = T extends Date
  ? string
  : T extends readonly (infer Item)[]
    ? Jsonify<Item>[]
    : T extends object
      ? { [K in keyof T]: Jsonify<T[K]> }
      : T;
