// A parser for Grafana Alloy's configuration syntax (the River/HCL-like language of *.alloy files),
// enough to prove a file is well-formed and to read the pipeline's stages back for tests:
//   file      = { attribute | block }
//   block     = name { "." name } [ string ] "{" { attribute | block } "}"
//   attribute = name "=" expr
//   expr      = string | raw string | number | bool | null | array | object | reference | call
//               (with the binary operators Alloy has, parsed but not evaluated)
// Parsed values keep references (`loki.write.default.receiver`) as { ref } so callers can check that
// every reference points at a defined component.

export type Value =
  | string
  | number
  | boolean
  | null
  | Value[]
  | { [key: string]: Value }
  | { ref: string }
  | { call: string; args: Value[] }
  | { op: string; left: Value; right: Value };

export interface Block {
  name: string;
  label?: string;
  attributes: Record<string, Value>;
  blocks: Block[];
  line: number;
}

export interface AlloyFile {
  attributes: Record<string, Value>;
  blocks: Block[];
}

type TokenKind = "ident" | "string" | "number" | "punct" | "op" | "eof";
interface Token {
  kind: TokenKind;
  text: string;
  value?: string | number;
  line: number;
}

export class AlloySyntaxError extends Error {}

function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  const err = (msg: string) => new AlloySyntaxError(`line ${line}: ${msg}`);
  while (i < src.length) {
    const c = src[i] as string;
    if (c === "\n") {
      line++;
      i++;
      continue;
    }
    if (c === " " || c === "\t" || c === "\r") {
      i++;
      continue;
    }
    if (c === "/" && src[i + 1] === "/") {
      while (i < src.length && src[i] !== "\n") i++;
      continue;
    }
    if (c === "#") {
      while (i < src.length && src[i] !== "\n") i++;
      continue;
    }
    if (c === "/" && src[i + 1] === "*") {
      const end = src.indexOf("*/", i + 2);
      if (end < 0) throw err("unterminated block comment");
      line += src.slice(i, end).split("\n").length - 1;
      i = end + 2;
      continue;
    }
    if (c === '"') {
      let j = i + 1;
      let out = "";
      while (j < src.length && src[j] !== '"') {
        if (src[j] === "\n") throw err("newline in string");
        if (src[j] === "\\") {
          const e = src[j + 1];
          const map: Record<string, string> = { n: "\n", t: "\t", r: "\r", "\\": "\\", '"': '"' };
          if (e === undefined) throw err("unterminated escape");
          if (map[e] !== undefined) out += map[e];
          else if (e === "u") {
            out += String.fromCharCode(Number.parseInt(src.slice(j + 2, j + 6), 16));
            j += 4;
          } else throw err(`unknown escape \\${e}`);
          j += 2;
        } else {
          out += src[j];
          j++;
        }
      }
      if (j >= src.length) throw err("unterminated string");
      tokens.push({ kind: "string", text: src.slice(i, j + 1), value: out, line });
      i = j + 1;
      continue;
    }
    if (c === "`") {
      const end = src.indexOf("`", i + 1);
      if (end < 0) throw err("unterminated raw string");
      const raw = src.slice(i + 1, end);
      tokens.push({ kind: "string", text: src.slice(i, end + 1), value: raw, line });
      line += raw.split("\n").length - 1;
      i = end + 1;
      continue;
    }
    if (/[0-9]/.test(c)) {
      const m = /^[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(src.slice(i));
      const text = m?.[0] ?? c;
      tokens.push({ kind: "number", text, value: Number(text), line });
      i += text.length;
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i));
      const text = m?.[0] ?? c;
      tokens.push({ kind: "ident", text, line });
      i += text.length;
      continue;
    }
    const two = src.slice(i, i + 2);
    if (["==", "!=", "<=", ">=", "&&", "||"].includes(two)) {
      tokens.push({ kind: "op", text: two, line });
      i += 2;
      continue;
    }
    if ("{}[](),.=:".includes(c)) {
      tokens.push({ kind: "punct", text: c, line });
      i++;
      continue;
    }
    if ("+-*/%^<>!".includes(c)) {
      tokens.push({ kind: "op", text: c, line });
      i++;
      continue;
    }
    throw err(`unexpected character ${JSON.stringify(c)}`);
  }
  tokens.push({ kind: "eof", text: "", line });
  return tokens;
}

class Parser {
  private pos = 0;
  constructor(private readonly tokens: Token[]) {}

  private peek(offset = 0): Token {
    return this.tokens[Math.min(this.pos + offset, this.tokens.length - 1)] as Token;
  }
  private next(): Token {
    const t = this.peek();
    this.pos++;
    return t;
  }
  private fail(msg: string, t = this.peek()): never {
    throw new AlloySyntaxError(`line ${t.line}: ${msg} (at ${JSON.stringify(t.text || "end of file")})`);
  }
  private expect(kind: TokenKind, text?: string): Token {
    const t = this.next();
    if (t.kind !== kind || (text !== undefined && t.text !== text)) this.fail(`expected ${text ?? kind}`, t);
    return t;
  }

  parseBody(end: "eof" | "}"): { attributes: Record<string, Value>; blocks: Block[] } {
    const attributes: Record<string, Value> = {};
    const blocks: Block[] = [];
    for (;;) {
      const t = this.peek();
      if (end === "eof" && t.kind === "eof") break;
      if (end === "}" && t.kind === "punct" && t.text === "}") break;
      if (t.kind !== "ident") this.fail("expected an attribute or a block");
      if (this.peek(1).kind === "punct" && this.peek(1).text === "=") {
        this.next();
        this.next();
        if (t.text in attributes) this.fail(`attribute ${t.text} set twice`, t);
        attributes[t.text] = this.parseExpr();
        continue;
      }
      // block: a.b.c ["label"] { ... }
      let name = this.next().text;
      while (this.peek().kind === "punct" && this.peek().text === ".") {
        this.next();
        name += `.${this.expect("ident").text}`;
      }
      let label: string | undefined;
      if (this.peek().kind === "string") label = this.next().value as string;
      this.expect("punct", "{");
      const body = this.parseBody("}");
      this.expect("punct", "}");
      blocks.push({ name, label, ...body, line: t.line });
    }
    return { attributes, blocks };
  }

  private static readonly precedence: Record<string, number> = {
    "||": 1,
    "&&": 2,
    "==": 3,
    "!=": 3,
    "<": 3,
    ">": 3,
    "<=": 3,
    ">=": 3,
    "+": 4,
    "-": 4,
    "*": 5,
    "/": 5,
    "%": 5,
    "^": 6,
  };

  parseExpr(minPrec = 1): Value {
    let left = this.parseUnary();
    for (;;) {
      const t = this.peek();
      const prec = t.kind === "op" ? Parser.precedence[t.text] : undefined;
      if (prec === undefined || prec < minPrec) return left;
      this.next();
      const right = this.parseExpr(prec + 1);
      left = { op: t.text, left, right };
    }
  }

  private parseUnary(): Value {
    const t = this.peek();
    if (t.kind === "op" && (t.text === "-" || t.text === "!")) {
      this.next();
      return { op: t.text, left: null, right: this.parseUnary() };
    }
    return this.parsePrimary();
  }

  private parsePrimary(): Value {
    const t = this.next();
    switch (t.kind) {
      case "string":
        return t.value as string;
      case "number":
        return t.value as number;
      case "ident": {
        if (t.text === "true") return true;
        if (t.text === "false") return false;
        if (t.text === "null") return null;
        let name = t.text;
        while (this.peek().kind === "punct" && this.peek().text === ".") {
          this.next();
          name += `.${this.expect("ident").text}`;
        }
        if (this.peek().kind === "punct" && this.peek().text === "(") {
          this.next();
          const args: Value[] = [];
          while (!(this.peek().kind === "punct" && this.peek().text === ")")) {
            args.push(this.parseExpr());
            if (this.peek().text === ",") this.next();
            else break;
          }
          this.expect("punct", ")");
          return { call: name, args };
        }
        return { ref: name };
      }
      case "punct":
        if (t.text === "(") {
          const v = this.parseExpr();
          this.expect("punct", ")");
          return v;
        }
        if (t.text === "[") {
          const items: Value[] = [];
          while (!(this.peek().kind === "punct" && this.peek().text === "]")) {
            items.push(this.parseExpr());
            if (this.peek().text === ",") this.next();
            else break;
          }
          this.expect("punct", "]");
          return items;
        }
        if (t.text === "{") {
          const obj: Record<string, Value> = {};
          while (!(this.peek().kind === "punct" && this.peek().text === "}")) {
            const key = this.next();
            if (key.kind !== "ident" && key.kind !== "string") this.fail("expected an object key", key);
            const k = key.kind === "string" ? (key.value as string) : key.text;
            this.expect("punct", "=");
            obj[k] = this.parseExpr();
            if (this.peek().text === ",") this.next();
            else break;
          }
          this.expect("punct", "}");
          return obj;
        }
        return this.fail("expected a value", t);
      default:
        return this.fail("expected a value", t);
    }
  }
}

export function parseAlloy(src: string): AlloyFile {
  const parser = new Parser(tokenize(src));
  return parser.parseBody("eof");
}

/** Components this project uses, with the exports other components may reference. */
export const KNOWN_COMPONENTS: Record<string, string[]> = {
  "discovery.docker": ["targets"],
  "discovery.relabel": ["output", "rules"],
  "loki.source.docker": [],
  "loki.source.journal": [],
  "loki.relabel": ["receiver", "rules"],
  "loki.process": ["receiver"],
  "loki.write": ["receiver"],
  "prometheus.exporter.self": ["targets"],
  "prometheus.scrape": [],
  "prometheus.remote_write": ["receiver"],
  logging: [],
  livedebugging: [],
};

/** Blocks allowed inside each component (nested blocks are checked by name only). */
export const KNOWN_INNER_BLOCKS: Record<string, string[]> = {
  "discovery.relabel": ["rule"],
  "loki.relabel": ["rule"],
  "loki.write": ["endpoint"],
  "loki.process": [
    "stage.match",
    "stage.json",
    "stage.regex",
    "stage.template",
    "stage.timestamp",
    "stage.labels",
    "stage.structured_metadata",
    "stage.drop",
    "stage.output",
    "stage.static_labels",
    "stage.label_drop",
    "stage.logfmt",
  ],
};

/** Every `{ref}` anywhere in a value tree. */
export function references(v: Value, out: string[] = []): string[] {
  if (v === null || typeof v !== "object") return out;
  if (Array.isArray(v)) {
    for (const item of v) references(item, out);
    return out;
  }
  if ("ref" in v && typeof v.ref === "string") out.push(v.ref);
  else if ("call" in v && Array.isArray(v.args)) for (const a of v.args) references(a as Value, out);
  else if ("op" in v && "left" in v) {
    references(v.left as Value, out);
    references(v.right as Value, out);
  } else for (const item of Object.values(v)) references(item as Value, out);
  return out;
}

/** All blocks, depth first, with nested ones. */
export function walk(blocks: Block[], out: Block[] = []): Block[] {
  for (const b of blocks) {
    out.push(b);
    walk(b.blocks, out);
  }
  return out;
}
