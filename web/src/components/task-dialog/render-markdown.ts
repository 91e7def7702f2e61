// Markdown → safe HTML, for comments and task descriptions. `marked` (CommonMark + GFM) renders, and
// DOMPurify removes anything that could run: raw HTML in the text is shown as text (never parsed),
// links keep only http(s)/mailto URLs and get rel="noopener noreferrer" and a new tab, and no style
// attribute survives (the CSP has no 'unsafe-inline'). Mentions, written @[name](user:<id>), show the
// member's current name. This module is imported dynamically: the initial bundle stays small.
import DOMPurify from "dompurify";
import { Marked, type Tokens } from "marked";

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c,
  );

export type NameOf = (userId: string) => string | undefined;

const SAFE_URL = /^(?:https?:|mailto:|#|\/(?!\/))/i;

export function createRenderer(nameOf: NameOf) {
  const marked = new Marked({
    gfm: true,
    breaks: true,
    async: false,
    extensions: [
      {
        name: "mention",
        level: "inline",
        start: (src: string) => src.indexOf("@["),
        tokenizer(src: string) {
          const match = /^@\[([^\]\n]{0,100})\]\(user:([0-9a-fA-F-]{36})\)/.exec(src);
          if (!match) return undefined;
          return {
            type: "mention",
            raw: match[0],
            name: match[1] ?? "",
            userId: (match[2] ?? "").toLowerCase(),
          };
        },
        renderer(token) {
          const { name, userId } = token as unknown as { name: string; userId: string };
          const current = nameOf(userId);
          return `<span class="mention" data-user-id="${escapeHtml(userId)}">@${escapeHtml(current ?? name)}</span>`;
        },
      },
    ],
    renderer: {
      // Raw HTML in the text is text: shown escaped, never parsed.
      html: (token: Tokens.HTML | Tokens.Tag) => escapeHtml(token.text),
      link(token: Tokens.Link) {
        const text = this.parser.parseInline(token.tokens);
        if (!SAFE_URL.test(token.href.trim())) return text;
        const title = token.title ? ` title="${escapeHtml(token.title)}"` : "";
        const target = /^https?:/i.test(token.href.trim()) ? ' target="_blank"' : "";
        return `<a href="${escapeHtml(token.href)}"${title}${target} rel="noopener noreferrer">${text}</a>`;
      },
      image(token: Tokens.Image) {
        // No images: they would load from other origins (and the CSP refuses them anyway).
        return escapeHtml(token.text || token.href);
      },
    },
  });

  const purify = DOMPurify();
  purify.addHook("afterSanitizeAttributes", (node) => {
    if (node.tagName === "A") {
      const href = node.getAttribute("href") ?? "";
      if (!SAFE_URL.test(href)) node.removeAttribute("href");
      if (/^https?:/i.test(href)) node.setAttribute("target", "_blank");
      node.setAttribute("rel", "noopener noreferrer");
    }
  });

  return (text: string): string =>
    purify.sanitize(marked.parse(text) as string, {
      ALLOWED_TAGS: [
        "p",
        "br",
        "strong",
        "em",
        "del",
        "code",
        "pre",
        "blockquote",
        "ul",
        "ol",
        "li",
        "a",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
        "span",
        "input",
      ],
      ALLOWED_ATTR: [
        "href",
        "title",
        "class",
        "data-user-id",
        "type",
        "checked",
        "disabled",
        "start",
        "align",
      ],
      ADD_ATTR: ["target"],
    });
}
