// The renderer's own rules (raw HTML escaped, URL allow-list, no images) hold without the sanitiser;
// DOMPurify then runs as a second line. happy-dom is not a browser's DOM, so the sanitiser's own
// behaviour is checked in Chromium (web/test/e2e/discussion.suite.ts).
import { expect, test } from "bun:test";
import { createRenderer } from "./render-markdown";

const id = "00000000-0000-4000-8000-000000000001";
const render = createRenderer((userId) => (userId === id ? "Alice Renamed" : undefined));
const dom = (html: string) => {
  const div = document.createElement("div");
  div.innerHTML = html;
  return div;
};

test("CommonMark with GFM: emphasis, code, lists, tables", () => {
  const html = render("**bold** _em_ `code`\n\n- one\n- two");
  expect(html).toContain("<strong>bold</strong>");
  expect(html).toContain("<em>em</em>");
  expect(html).toContain("<code>code</code>");
  expect(html).toContain("<li>one</li>");
});

test("raw HTML is shown as text, never as elements", () => {
  for (const text of [
    "<img src=x onerror=alert(1)>",
    "<script>alert(1)</script>",
    '<a href="javascript:alert(1)">x</a>',
  ]) {
    const div = dom(render(text));
    expect(div.querySelector("img, script, a[href^='javascript']")).toBeNull();
    expect(div.textContent).toContain(text.slice(0, 8));
  }
});

test("links: only http(s), mailto and relative; rel noopener noreferrer; new tab for the web", () => {
  expect(dom(render("[x](javascript:alert(1))")).querySelector("a")).toBeNull();
  expect(
    dom(render("[x](data:text/html,<script>alert(1)</script>)")).querySelector("a[href^='data']"),
  ).toBeNull();
  const link = dom(render("[site](https://example.com)")).querySelector("a");
  expect(link?.getAttribute("href")).toBe("https://example.com");
  expect(link?.getAttribute("rel")).toBe("noopener noreferrer");
  expect(link?.getAttribute("target")).toBe("_blank");
  expect(dom(render("![x](https://evil.example/pixel.png)")).querySelector("img")).toBeNull();
});

test("no inline styles or event handlers survive", () => {
  const div = dom(render('<span style="color:red" onclick="alert(1)">x</span> **y**'));
  expect(div.querySelector("[style], [onclick]")).toBeNull();
  expect(div.querySelector("strong")?.textContent).toBe("y");
});

test("mentions show the member's current name; unknown ids the written one, escaped", () => {
  expect(dom(render(`hi @[Alice](user:${id})`)).querySelector(".mention")?.textContent).toBe(
    "@Alice Renamed",
  );
  const other = `@[<b>Bob</b>](user:00000000-0000-4000-8000-000000000002)`;
  const mention = dom(render(other)).querySelector(".mention");
  expect(mention?.textContent).toBe("@<b>Bob</b>");
  expect(mention?.querySelector("b")).toBeNull();
});
