// Bundles editor.js (CodeMirror 6 + YAML + JSON Schema hints) into one minified IIFE file:
// `node build.mjs OUTFILE [LICENCES]`, run by vendor.py (`make assets`); LICENCES gets the licence
// text of every npm package that ends up in the bundle. The markdown renderer of
// codemirror-json-schema (markdown-it + shiki) is swapped for markdown-stub.js to keep it small.
import { build } from "esbuild";
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = fileURLToPath(new URL(".", import.meta.url));
const stub = {
  name: "markdown-stub",
  setup(b) {
    b.onResolve({ filter: /utils\/markdown(\.js)?$/ }, (args) =>
      args.importer.includes("codemirror-json-schema")
        ? { path: here + "markdown-stub.js" }
        : undefined,
    );
  },
};
const outfile = process.argv[2] || here + "dist/editor.min.js";
const result = await build({
  entryPoints: [here + "editor.js"],
  outfile,
  bundle: true,
  minify: true,
  format: "iife",
  target: ["es2020"],
  legalComments: "none",
  plugins: [stub],
  metafile: true,
  logLevel: "warning",
});

// The packages whose code is in the bundle, with their licence texts.
const packages = new Set();
for (const input of Object.keys(Object.values(result.metafile.outputs)[0].inputs)) {
  const match = input.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
  if (match) packages.add(match[1]);
}
const parts = [];
for (const name of [...packages].sort()) {
  const root = join(here, "node_modules", name);
  const meta = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
  const file = readdirSync(root).find((f) => /^(licen[cs]e|copying)(-mit)?(\.(md|txt))?$/i.test(f));
  const text = file
    ? readFileSync(join(root, file), "utf8").trim()
    : `(the package has no licence file; its package.json says ${meta.license}: see ${meta.homepage || "npm"})`;
  parts.push(`${name} ${meta.version} (${meta.license || "see below"})\n${"-".repeat(72)}\n${text}\n`);
}
const licences = process.argv[3] || join(dirname(outfile), "LICENSES.txt");
writeFileSync(
  licences,
  "Licences of the npm packages bundled into editor.min.js (traject/web/assets/build.mjs).\n\n" +
    parts.join("\n"),
);
console.log(JSON.stringify([...packages].sort()));
