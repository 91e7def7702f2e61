// happy-dom for web test files only. One window lives for the whole run (modules that bound event
// delegation to its document keep working), but its globals exist only while a web test file runs:
// they are installed when the file loads and the previous globals are restored after its tests.
import { afterAll, afterEach } from "bun:test";
import { GlobalWindow, PropertySymbol } from "happy-dom";

const IGNORE = new Set(["constructor", "undefined", "NaN", "global", "globalThis"]);
let window: GlobalWindow | undefined;
let saved: Map<PropertyKey, PropertyDescriptor | undefined> | undefined;

function install(): void {
  if (saved) return;
  window ??= new GlobalWindow({ url: "http://localhost:3000/", console: globalThis.console });
  const descriptors = Object.getOwnPropertyDescriptors(window) as Record<PropertyKey, PropertyDescriptor>;
  saved = new Map();
  const keys: PropertyKey[] = [...Object.keys(descriptors), ...Object.getOwnPropertySymbols(descriptors)];
  for (const key of keys) {
    if (typeof key === "string" && IGNORE.has(key)) continue;
    const descriptor = descriptors[key] as PropertyDescriptor;
    const current = Object.getOwnPropertyDescriptor(globalThis, key);
    if (current?.value !== undefined && current.value === descriptor.value) continue;
    saved.set(key, current);
    const value = descriptor.value === window ? globalThis : descriptor.value;
    Object.defineProperty(globalThis, key, {
      ...descriptor,
      ...("value" in descriptor ? { value } : {}),
      configurable: true,
    });
  }
  (window.document as unknown as Record<symbol, unknown>)[PropertySymbol.defaultView] = globalThis;
}

function uninstall(): void {
  if (!saved) return;
  for (const [key, descriptor] of saved) {
    if (descriptor) Object.defineProperty(globalThis, key, descriptor);
    else delete (globalThis as Record<PropertyKey, unknown>)[key];
  }
  saved = undefined;
}

export function useDom(): void {
  install();
  afterEach(async () => {
    const { cleanup } = await import("@solidjs/testing-library");
    cleanup();
    document.body.innerHTML = "";
  });
  afterAll(() => uninstall());
}
