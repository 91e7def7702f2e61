// Root `bun test` preload (see bunfig.toml). Everything here is scoped to web/:
// - .tsx files under web/ are compiled with babel-preset-solid (Bun's own JSX transform is React-style);
// - solid-js resolves to its browser build (Bun would pick the server build);
// - web test files get a happy-dom DOM registered while they run and removed afterwards,
//   so the API tests in the same process keep Bun's own fetch, Request, Response, etc.
import { join } from "node:path";
import { plugin } from "bun";

const webDir = join(import.meta.dir, "..");
function browserFile(serverPath: string): string {
  if (/[\\/]web[\\/]dist[\\/]/.test(serverPath)) return "web.js";
  if (/[\\/]store[\\/]dist[\\/]/.test(serverPath)) return "store.js";
  return "solid.js";
}
const escaped = webDir.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const webTsx = new RegExp(`^${escaped}/(src|test)/.*\\.tsx$`);
const webTest = new RegExp(`^${escaped}/(src|test)/.*\\.test\\.tsx?$`);
const domSetup = join(import.meta.dir, "dom.ts");

plugin({
  name: "taskplatform-web-tests",
  setup(build) {
    // Runtime plugins cannot redirect bare specifiers, so the server builds Bun picks are
    // loaded with the browser builds' code instead (one module instance per entry, as in the browser).
    build.onLoad(
      { filter: /[\\/]solid-js[\\/](web[\\/]|store[\\/])?dist[\\/]server\.js$/ },
      async (args) => ({
        contents: await Bun.file(args.path.replace(/server\.js$/, browserFile(args.path))).text(),
        loader: "js",
      }),
    );
    build.onResolve({ filter: /^tp-dom:/ }, (args) => ({ path: args.path.slice(7), namespace: "tp-dom" }));
    build.onLoad({ filter: /.*/, namespace: "tp-dom" }, () => ({
      contents: `import { useDom } from ${JSON.stringify(domSetup)};\nuseDom();\n`,
      loader: "js",
    }));
    build.onLoad({ filter: new RegExp(`^${escaped}/(src|test)/.*\\.tsx?$`) }, async (args) => {
      const isTest = webTest.test(args.path);
      const isTsx = webTsx.test(args.path);
      let code = await Bun.file(args.path).text();
      if (isTsx) {
        const babel = await import("@babel/core");
        const solidPreset = (await import("babel-preset-solid")).default;
        const out = await babel.transformAsync(code, {
          filename: args.path,
          babelrc: false,
          configFile: false,
          presets: [[solidPreset, { generate: "dom", hydratable: false }]],
          parserOpts: { plugins: ["jsx", "typescript"] },
          sourceMaps: "inline",
        });
        code = out?.code ?? code;
      }
      // Each test file gets its own virtual module so the DOM is registered for that file only.
      if (isTest) code = `import "tp-dom:${args.path}";\n${code}`;
      return { contents: code, loader: "ts" };
    });
  },
});
