/* Stands in for codemirror-json-schema's utils/markdown (markdown-it + shiki, ~1 MB) in the
   editor bundle: the schema's descriptions are plain text, so they are only HTML-escaped. */
function escape(text) {
  return String(text).replace(/[&<>"']/g, function (c) {
    return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
  });
}
export function renderMarkdown(markdown, inline = true) {
  var html = escape(markdown || "").replace(/`([^`]+)`/g, "<code>$1</code>");
  return inline ? html : "<p>" + html.replace(/\n\s*\n/g, "</p><p>") + "</p>";
}
