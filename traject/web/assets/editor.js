/* The designer's YAML editor: CodeMirror 6 with YAML highlighting, line numbers and completion,
   validation and hover hints from the definition language's JSON Schema. Bundled by build.mjs into
   static/vendor/codemirror/editor.min.js; exposes window.TrajectEditor. The <textarea> stays the
   form field: it is hidden, kept in sync and sent an `input` event on every change, so htmx and
   the form work as before (and without JavaScript the textarea is simply used). */
import { EditorState, EditorSelection } from "@codemirror/state";
import {
  EditorView, keymap, lineNumbers, highlightActiveLine, highlightActiveLineGutter,
  drawSelection, highlightSpecialChars,
} from "@codemirror/view";
import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import {
  syntaxHighlighting, defaultHighlightStyle, indentOnInput, bracketMatching, foldGutter, foldKeymap,
} from "@codemirror/language";
import { autocompletion, completionKeymap, closeBrackets, closeBracketsKeymap } from "@codemirror/autocomplete";
import { lintKeymap } from "@codemirror/lint";
import { yamlSchema } from "codemirror-json-schema/yaml";
import { updateSchema } from "codemirror-json-schema";

let view = null;

const theme = EditorView.theme({
  "&": { height: "40rem", border: "1px solid #8a8a8a", borderRadius: "3px", backgroundColor: "#fff", fontSize: "0.85rem" },
  "&.cm-focused": { outline: "2px solid #1a4b8c", outlineOffset: "1px" },
  ".cm-scroller": { fontFamily: 'ui-monospace, "DejaVu Sans Mono", monospace', lineHeight: "1.4", overflow: "auto" },
  ".cm-gutters": { backgroundColor: "#f3f3f3", color: "#666", borderRight: "1px solid #ddd" },
  ".cm-tooltip": { maxWidth: "32rem" },
});

function attach(textarea, options = {}) {
  if (view) return view;
  const sync = EditorView.updateListener.of((update) => {
    if (!update.docChanged) return;
    textarea.value = update.state.doc.toString();
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
  });
  const label = textarea.id && document.querySelector('label[for="' + textarea.id + '"]');
  view = new EditorView({
    state: EditorState.create({
      doc: textarea.value,
      extensions: [
        lineNumbers(), highlightActiveLineGutter(), highlightSpecialChars(), history(), foldGutter(),
        drawSelection(), indentOnInput(), bracketMatching(), closeBrackets(), highlightActiveLine(),
        syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
        autocompletion(),
        keymap.of([
          ...closeBracketsKeymap, ...defaultKeymap, ...historyKeymap, ...foldKeymap,
          ...completionKeymap, ...lintKeymap, indentWithTab,
        ]),
        EditorState.tabSize.of(2),
        yamlSchema(undefined),
        sync, theme,
        EditorView.contentAttributes.of({ "aria-label": label ? label.textContent : "YAML" }),
      ],
    }),
  });
  textarea.hidden = true;
  textarea.style.display = "none";
  textarea.parentNode.insertBefore(view.dom, textarea.nextSibling);
  if (label) label.addEventListener("click", () => view.focus());
  if (options.schemaUrl) {
    fetch(options.schemaUrl, { credentials: "same-origin" })
      .then((r) => (r.ok ? r.json() : null))
      .then((schema) => { if (schema) updateSchema(view, schema); })
      .catch(() => {});
  }
  return view;
}

/* Select line `line` (1-based), scroll it into view and focus the editor. */
function gotoLine(line) {
  if (!view) return false;
  const doc = view.state.doc;
  const at = doc.line(Math.min(Math.max(1, line), doc.lines));
  const start = at.from + (at.text.length - at.text.trimStart().length);
  view.dispatch({
    selection: EditorSelection.range(start, at.to),
    effects: EditorView.scrollIntoView(at.from, { y: "center" }),
  });
  view.focus();
  return true;
}

/* Replace the whole text (as one undoable change), back at its start. */
function setValue(text) {
  if (!view) return;
  view.dispatch({
    changes: { from: 0, to: view.state.doc.length, insert: text },
    selection: EditorSelection.cursor(0),
    effects: EditorView.scrollIntoView(0, { y: "start", x: "start" }),
  });
}

window.TrajectEditor = {
  attach,
  gotoLine,
  setValue,
  get view() { return view; },
  value: () => (view ? view.state.doc.toString() : null),
  selectedText: () => {
    if (!view) return null;
    const r = view.state.selection.main;
    return view.state.sliceDoc(r.from, r.to);
  },
};
