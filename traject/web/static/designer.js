/* The designer's pages: the YAML text area becomes a code editor (TrajectEditor, CodeMirror, with
   the definition schema's completion and hints) when the bundle is loaded, a problem's "regel N"
   link selects that line in the editor (or the plain text area), and "SVG downloaden" saves the
   drawn diagram as an SVG file (made in the browser, by mermaid). */
(function () {
  "use strict";
  var source = document.getElementById("bron");
  if (source && window.TrajectEditor) {
    window.TrajectEditor.attach(source, { schemaUrl: "/designer/schema.json" });
  }
  document.addEventListener("click", function (event) {
    var download = event.target.closest && event.target.closest("#svg-download");
    if (download) {
      var svg = document.querySelector("#" + download.getAttribute("data-source") + " svg");
      if (!svg) return;
      var text = new XMLSerializer().serializeToString(svg);
      var blob = new Blob([text], { type: "image/svg+xml" });
      var link = document.createElement("a");
      link.href = URL.createObjectURL(blob);
      link.download = download.getAttribute("data-filename");
      link.click();
      URL.revokeObjectURL(link.href);
      return;
    }
    var link = event.target.closest && event.target.closest(".traject-goto-line");
    if (!link) return;
    event.preventDefault();
    var line = parseInt(link.getAttribute("data-line"), 10);
    if (window.TrajectEditor && window.TrajectEditor.gotoLine(line)) return;
    var area = document.getElementById("bron");
    var lines = area.value.split("\n");
    var start = 0;
    for (var i = 0; i < line - 1 && i < lines.length; i++) start += lines[i].length + 1;
    area.focus();
    area.setSelectionRange(start, start + (lines[line - 1] || "").length);
    var lineHeight = parseFloat(getComputedStyle(area).lineHeight) || 20;
    area.scrollTop = Math.max(0, (line - 5) * lineHeight);
  });
})();
