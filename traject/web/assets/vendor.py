"""Vendor the web pages' front-end files into traject/web/static/vendor/ (`make assets`).

Runs `npm ci` against the pinned package.json/package-lock.json beside this file, then copies only
the built files the pages load (plus each package's licence) out of node_modules, and rewrites
static/vendor/README.md with each file's package, version, licence and size. The designer's code
editor is the one built file: build.mjs bundles editor.js (CodeMirror 6, YAML, JSON Schema hints)
with esbuild into static/vendor/codemirror/editor.min.js. The copies are kept
in the repository, so `make up` and `make test` never need npm; node_modules/ is git-ignored.

To upgrade: change a version in package.json, run `npm install --prefix traject/web/assets
--ignore-scripts` to refresh package-lock.json, then `make assets`, and look at the pages.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ASSETS = Path(__file__).resolve().parent
NODE_MODULES = ASSETS / "node_modules"
VENDOR = ASSETS.parent / "static" / "vendor"


@dataclass(frozen=True)
class Item:
    package: str  # npm package name
    source: str  # path inside the package
    target: str  # path inside static/vendor/
    purpose: str  # one line for the README


FONT_PACKAGE = "@fontsource-variable/noto-sans"
# Latin and Latin Extended cover Dutch and residents' names (ş, ł, ğ, ...); other scripts fall back.
FONT_SUBSETS = ("latin-ext", "latin")
# The family name the design tokens ask for (--basis-text-font-family-default: 'Noto Sans').
FONT_FAMILY = "Noto Sans"

ITEMS: tuple[Item, ...] = (
    Item("htmx.org", "dist/htmx.min.js", "htmx/htmx.min.js", "htmx, minified"),
    Item("htmx.org", "LICENSE", "htmx/LICENSE", "licence"),
    Item(
        "mermaid",
        "dist/mermaid.min.js",
        "mermaid/mermaid.min.js",
        "single-file browser bundle (global `mermaid`); traject.js loads it only on pages with"
        " a `.mermaid` element",
    ),
    Item("mermaid", "LICENSE", "mermaid/LICENSE", "licence"),
    Item(
        "chart.js",
        "dist/chart.umd.min.js",
        "chartjs/chart.umd.min.js",
        "Chart.js UMD bundle (global `Chart`), minified; the dashboard pages load it",
    ),
    Item("chart.js", "LICENSE.md", "chartjs/LICENSE.md", "licence"),
    Item(
        "@utrecht/component-library-css",
        "dist/index.css",
        "utrecht/component-library.css",
        "NL Design System component classes (`utrecht-button`, `utrecht-table`, ...)",
    ),
    Item("@utrecht/component-library-css", "LICENSE.md", "utrecht/LICENSE.md", "licence"),
    Item(
        "@nl-design-system-unstable/voorbeeld-design-tokens",
        "dist/theme.css",
        "nlds-tokens/theme.css",
        "design tokens (CSS variables) under the `voorbeeld-theme` class",
    ),
    Item(
        "@nl-design-system-unstable/voorbeeld-design-tokens",
        "LICENSE.md",
        "nlds-tokens/LICENSE.md",
        "licence",
    ),
    *(
        Item(
            FONT_PACKAGE,
            f"files/noto-sans-{subset}-wght-normal.woff2",
            f"noto-sans/noto-sans-{subset}-wght-normal.woff2",
            f"Noto Sans variable font (weights 100-900), {subset} subset",
        )
        for subset in FONT_SUBSETS
    ),
    Item(FONT_PACKAGE, "LICENSE", "noto-sans/LICENSE", "licence"),
    Item(
        "swagger-ui-dist",
        "swagger-ui-bundle.js",
        "swagger-ui/swagger-ui-bundle.js",
        "Swagger UI bundle (global `SwaggerUIBundle`), minified; the API docs at `/docs` load it",
    ),
    Item(
        "swagger-ui-dist",
        "swagger-ui-bundle.js.LICENSE.txt",
        "swagger-ui/swagger-ui-bundle.js.LICENSE.txt",
        "licences of the packages in swagger-ui-bundle.js",
    ),
    Item("swagger-ui-dist", "swagger-ui.css", "swagger-ui/swagger-ui.css", "Swagger UI styles"),
    Item(
        "swagger-ui-dist",
        "favicon-32x32.png",
        "swagger-ui/favicon-32x32.png",
        "Swagger UI favicon, the tab icon of `/docs`",
    ),
    Item("swagger-ui-dist", "LICENSE", "swagger-ui/LICENSE", "licence"),
    Item("swagger-ui-dist", "NOTICE", "swagger-ui/NOTICE", "Apache-2.0 notice"),
)
FONT_CSS = "noto-sans/noto-sans.css"

# The designer's code editor: one esbuild bundle of editor.js (build.mjs), plus its licences.
EDITOR_JS = "codemirror/editor.min.js"
EDITOR_LICENCES = "codemirror/LICENSES.txt"
EDITOR_PACKAGE = "codemirror-json-schema"
EDITOR_NAMED = ("@codemirror/view", "@codemirror/lang-yaml", "codemirror-json-schema", "yaml")


def package_json(package: str) -> dict[str, str]:
    data: dict[str, str] = json.loads((NODE_MODULES / package / "package.json").read_text())
    return data


def npm_ci() -> None:
    npm = shutil.which("npm")
    if npm is None:
        sys.exit("vendor.py: npm is not on PATH (apt-get install npm), or run with --no-install")
    subprocess.run(
        [npm, "ci", "--prefix", str(ASSETS), "--ignore-scripts", "--no-audit", "--no-fund"],
        check=True,
    )


def font_css() -> str:
    """The fontsource @font-face rules for FONT_SUBSETS, renamed to FONT_FAMILY."""
    source = (NODE_MODULES / FONT_PACKAGE / "index.css").read_text()
    rules = []
    for subset in FONT_SUBSETS:
        match = re.search(
            r"@font-face \{[^}]*noto-sans-" + re.escape(subset) + r"-wght-normal\.woff2[^}]*\}",
            source,
        )
        if match is None:
            sys.exit(f"vendor.py: no @font-face for subset {subset!r} in {FONT_PACKAGE}")
        rule = re.sub(r"font-family: '[^']*';", f"font-family: '{FONT_FAMILY}';", match.group(0))
        rules.append(rule.replace("url(./files/", "url(./"))
    version = package_json(FONT_PACKAGE)["version"]
    header = f"/* {FONT_PACKAGE} {version} (OFL-1.1), written by traject/web/assets/vendor.py */\n"
    return header + "\n\n".join(rules) + "\n"


def bundle_editor() -> list[tuple[str, str, str, str, int, str]]:
    """Build EDITOR_JS and EDITOR_LICENCES with esbuild (build.mjs); their README rows."""
    node = shutil.which("node")
    if node is None:
        sys.exit("vendor.py: node is not on PATH (apt-get install nodejs)")
    script, licences = VENDOR / EDITOR_JS, VENDOR / EDITOR_LICENCES
    script.parent.mkdir(parents=True, exist_ok=True)
    built = subprocess.run(
        [node, str(ASSETS / "build.mjs"), str(script), str(licences)],
        check=True,
        capture_output=True,
        text=True,
    )
    bundled: list[str] = json.loads(built.stdout.strip().splitlines()[-1])
    versions = ", ".join(f"{name} {package_json(name)['version']}" for name in EDITOR_NAMED)
    version = package_json(EDITOR_PACKAGE)["version"]
    licence = licence_of(EDITOR_PACKAGE)
    return [
        (
            EDITOR_JS,
            EDITOR_PACKAGE,
            version,
            licence,
            script.stat().st_size,
            "the designer's YAML editor (global `TrajectEditor`): editor.js bundled and minified"
            f" by build.mjs (esbuild) from {len(bundled)} packages ({versions}, ...)",
        ),
        (
            EDITOR_LICENCES,
            EDITOR_PACKAGE,
            version,
            licence,
            licences.stat().st_size,
            "licences of every package in editor.min.js (MIT, ISC, BSD-2-Clause)",
        ),
    ]


def human(size: int) -> str:
    return f"{size / 1024:.0f} KiB" if size < 1024 * 1024 else f"{size / 1024 / 1024:.1f} MiB"


def readme(rows: list[tuple[str, str, str, str, int, str]]) -> str:
    total = sum(row[4] for row in rows)
    lines = [
        "# Vendored front-end files",
        "",
        "Written by `traject/web/assets/vendor.py` (`make assets`); do not edit by hand. Pinned in",
        "`traject/web/assets/package.json` and `package-lock.json`. Served at `/static/vendor/...`;",
        "nothing is loaded from a CDN. Files are byte-identical copies from the npm packages, except",
        "`noto-sans/noto-sans.css`, which is fontsource's `@font-face` rules for the two subsets",
        "below, renamed to the family `Noto Sans` that the design tokens ask for, and",
        "`codemirror/`, the designer's code editor: `traject/web/assets/editor.js` bundled with",
        "esbuild (`build.mjs`) from the pinned CodeMirror 6 and `codemirror-json-schema` packages,",
        "with `LICENSES.txt` holding the licence of every package in the bundle.",
        "",
        "| file | package | version | licence | size | what |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for target, package, version, licence, size, purpose in rows:
        lines.append(
            f"| `{target}` | `{package}` | {version} | {licence} | {human(size)} | {purpose} |"
        )
    lines += ["", f"Total: {human(total)} ({total} bytes) in {len(rows)} files.", ""]
    return "\n".join(lines)


def licence_of(package: str) -> str:
    licence = package_json(package).get("license", "?")
    return licence


def vendor() -> None:
    if VENDOR.exists():
        for child in VENDOR.iterdir():
            if child.is_dir():
                shutil.rmtree(child)
            else:
                child.unlink()
    rows: list[tuple[str, str, str, str, int, str]] = []
    for item in ITEMS:
        source = NODE_MODULES / item.package / item.source
        target = VENDOR / item.target
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        version = package_json(item.package)["version"]
        size = target.stat().st_size
        rows.append(
            (item.target, item.package, version, licence_of(item.package), size, item.purpose)
        )
    css = VENDOR / FONT_CSS
    css.write_text(font_css())
    rows.append(
        (
            FONT_CSS,
            FONT_PACKAGE,
            package_json(FONT_PACKAGE)["version"],
            licence_of(FONT_PACKAGE),
            css.stat().st_size,
            "`@font-face` rules (written by vendor.py)",
        )
    )
    rows += bundle_editor()
    rows.sort()
    (VENDOR / "README.md").write_text(readme(rows))
    total = sum(row[4] for row in rows)
    print(f"vendored {len(rows)} files ({human(total)}) into {VENDOR}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--no-install", action="store_true", help="use the node_modules that is there (no npm ci)"
    )
    args = parser.parse_args()
    if not args.no_install:
        npm_ci()
    vendor()


if __name__ == "__main__":
    main()
