// The label palette's chips must be readable: WCAG 2 contrast of the label text on its chip at least
// 4.5:1, in the light and the dark theme. Read from styles.css itself, so what ships is what is tested.
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { LABEL_COLORS } from "../api/types";

const css = await Bun.file(join(import.meta.dir, "..", "styles.css")).text();

/** WCAG 2.x relative luminance of #rrggbb. */
export function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => {
    const channel = Number.parseInt(hex.slice(i, i + 2), 16) / 255;
    return channel <= 0.04045 ? channel / 12.92 : ((channel + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

export function contrast(a: string, b: string): number {
  const [light, dark] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (light + 0.05) / (dark + 0.05);
}

/** The chip rules of one theme: the stylesheet before the dark media block, or inside it. */
function chips(theme: "light" | "dark"): Map<string, { bg: string; fg: string }> {
  const darkStart = css.search(/@media \(prefers-color-scheme: dark\) \{\s*\.chip-/);
  const part = theme === "light" ? css.slice(0, darkStart) : css.slice(darkStart);
  const found = new Map<string, { bg: string; fg: string }>();
  for (const match of part.matchAll(
    /\.chip-(\w+)\s*\{\s*--chip-bg:\s*(#[0-9a-f]{6});\s*--chip-fg:\s*(#[0-9a-f]{6});\s*\}/g,
  )) {
    const [, name, bg, fg] = match as unknown as [string, string, string, string];
    if (!found.has(name)) found.set(name, { bg, fg });
  }
  return found;
}

describe("label palette", () => {
  test("the contrast formula gives the known values", () => {
    expect(contrast("#000000", "#ffffff")).toBeCloseTo(21, 5);
    expect(contrast("#ffffff", "#ffffff")).toBeCloseTo(1, 5);
    expect(contrast("#767676", "#ffffff")).toBeCloseTo(4.54, 2);
  });

  for (const theme of ["light", "dark"] as const) {
    test(`${theme}: every colour of the API's palette has a chip, text at least 4.5:1 on it`, () => {
      const rules = chips(theme);
      expect([...rules.keys()].sort()).toEqual([...LABEL_COLORS].sort());
      const ratios = LABEL_COLORS.map((color) => {
        const rule = rules.get(color) as { bg: string; fg: string };
        return { color, ratio: Math.round(contrast(rule.fg, rule.bg) * 100) / 100 };
      });
      expect(ratios.filter(({ ratio }) => ratio < 4.5)).toEqual([]);
    });
  }
});
