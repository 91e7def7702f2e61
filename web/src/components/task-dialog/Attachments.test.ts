import { describe, expect, test } from "bun:test";
import { extensionOf, formatBytes } from "./Attachments";

describe("attachment labels", () => {
  test("sizes read as people write them", () => {
    expect(formatBytes(0)).toBe("0 B");
    expect(formatBytes(1023)).toBe("1023 B");
    expect(formatBytes(1434)).toBe("1.4 KB");
    expect(formatBytes(25 * 1024 * 1024)).toBe("25 MB");
    expect(formatBytes(1024 ** 3)).toBe("1.0 GB");
    expect(formatBytes(5 * 1024 ** 4)).toBe("5120 GB");
  });

  test("the icon of a file without a thumbnail is its extension", () => {
    expect(extensionOf("report.final.pdf")).toBe("PDF");
    expect(extensionOf("README")).toBe("FILE");
    expect(extensionOf("archive.tar.gzipped")).toBe("FILE");
    expect(extensionOf("x.<img>")).toBe("FILE");
  });
});
