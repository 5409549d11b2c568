/*
 * Traject pages: a little glue, no framework.
 *
 * Diagrams: any element with the class `mermaid` (e.g. <pre class="mermaid traject-diagram">) is
 * drawn with mermaid, which is loaded from /static/vendor only when a page has such an element,
 * on page load and after every htmx swap. Nodes given the class `current` in the diagram text
 * (`class Intake current`) are highlighted like .traject-state--current.
 * When all diagrams of a load or swap are drawn, `traject:diagrams` fires on document. A diagram
 * drawn at less than four fifths of its own width gets a button above it: "Ware grootte" shows it
 * at its own size, the box scrolling sideways; "Passend maken" fits it again.
 *
 * A form sent back with problems: its error summary (.traject-error-summary with tabindex=-1)
 * takes the focus on load, and with it comes into view, as the NL Design System's and GOV.UK's
 * summaries do. The case page's forms sit low on the page: without this, a refused form reloaded
 * at the top and its summary was out of sight. A change asked about again before it is made (the
 * case page's "Dit vervangt de datum …", "Je stopt het traject …": `data-traject-confirm` with
 * tabindex=-1) takes the focus the same way.
 *
 * A form marked `data-traject-focus` (a task's form, just claimed) takes the focus on its first
 * field on load, when no error summary does: the next thing to do is to fill it in, and the
 * keyboard should not start ten Tabs above it.
 *
 * A table's box that scrolls sideways (.traject-table-scroll: a wide table on a phone) is marked
 * `data-scrolls` while its table is wider than it, on load, after an htmx swap and whenever the
 * box or its table changes size (a turned phone, an opened <details>): traject.css shows the hint
 * above it then.
 *
 * Words: the diagram's button speaks the page's language (<html lang>, nl or en).
 */
(function () {
  "use strict";

  var MERMAID_SRC = "/static/vendor/mermaid/mermaid.min.js";
  var PENDING = "data-traject-diagram";
  var loading = null;

  function cssVar(name, fallback) {
    var value = getComputedStyle(document.body).getPropertyValue(name).trim();
    return value || fallback;
  }

  function configure(mermaid) {
    var font = cssVar("--traject-font-family", "'Noto Sans', Arial, sans-serif");
    var current = cssVar("--traject-current-bg", "#fff1bb");
    var currentBorder = cssVar("--traject-current-border", "#615117");
    mermaid.initialize({
      startOnLoad: false,
      securityLevel: "strict",
      theme: "base",
      fontFamily: font,
      themeVariables: {
        fontFamily: font,
        fontSize: "15px",
        primaryColor: "#ffffff",
        primaryBorderColor: cssVar("--traject-brand-bg", "#00568b"),
        primaryTextColor: cssVar("--traject-color", "#0b0c0c"),
        lineColor: cssVar("--traject-color-subtle", "#3d5374"),
      },
      themeCSS:
        "g.current rect, g.current path, g.current polygon, g.current circle {" +
        " fill: " + current + " !important; stroke: " + currentBorder + " !important;" +
        " stroke-width: 3px !important; }" +
        " g.current .nodeLabel, g.current text { font-weight: 700; }",
      state: { useMaxWidth: true },
    });
    return mermaid;
  }

  function loadMermaid() {
    if (!loading) {
      loading = new Promise(function (resolve, reject) {
        if (window.mermaid) {
          resolve(configure(window.mermaid));
          return;
        }
        var script = document.createElement("script");
        script.src = MERMAID_SRC;
        script.onload = function () {
          resolve(configure(window.mermaid));
        };
        script.onerror = function () {
          loading = null;
          reject(new Error("could not load " + MERMAID_SRC));
        };
        document.head.appendChild(script);
      });
    }
    return loading;
  }

  var SIZE_LABELS = {
    nl: { actual: "Ware grootte", fit: "Passend maken" },
    en: { actual: "Actual size", fit: "Fit to width" },
  };

  // A chart much wider than its box is drawn small enough to fit, and its words get too small to
  // read: a button above it switches to its own size, scrolling sideways, and back.
  function offerActualSize(node) {
    var svg = node.querySelector("svg");
    var box = svg && svg.viewBox && svg.viewBox.baseVal;
    var before = node.previousElementSibling;
    if (!box || !box.width || (before && before.classList.contains("traject-diagram-size"))) {
      return;
    }
    if (box.width <= node.clientWidth * 1.25) {
      return; // drawn at (nearly) its own size already
    }
    var labels = SIZE_LABELS[(document.documentElement.lang || "nl").slice(0, 2)] || SIZE_LABELS.nl;
    var button = document.createElement("button");
    button.type = "button";
    button.className = "utrecht-button utrecht-button--subtle traject-diagram-size";
    // the label says what a press does (no aria-pressed: a toggle's label would have to stay put)
    if (node.id) {
      button.setAttribute("aria-controls", node.id);
    }
    button.textContent = labels.actual;
    button.addEventListener("click", function () {
      var actual = !node.classList.contains("traject-diagram--actual");
      node.classList.toggle("traject-diagram--actual", actual);
      svg.style.inlineSize = actual ? box.width + "px" : "";
      svg.style.maxInlineSize = actual ? "none" : "";
      button.textContent = actual ? labels.fit : labels.actual;
    });
    node.parentNode.insertBefore(button, node);
  }

  function renderDiagrams(root) {
    root = root || document;
    var found = Array.prototype.slice.call(root.querySelectorAll(".mermaid"));
    if (root.classList && root.classList.contains("mermaid")) {
      found.push(root);
    }
    var nodes = found.filter(function (node) {
      return !node.hasAttribute(PENDING);
    });
    if (nodes.length === 0) {
      return Promise.resolve();
    }
    nodes.forEach(function (node) {
      node.setAttribute(PENDING, "pending");
    });
    return loadMermaid()
      .then(function (mermaid) {
        return mermaid.run({ nodes: nodes });
      })
      .then(function () {
        nodes.forEach(function (node) {
          node.setAttribute(PENDING, "done");
          offerActualSize(node);
        });
        document.dispatchEvent(new CustomEvent("traject:diagrams", { detail: { nodes: nodes } }));
      })
      .catch(function (error) {
        nodes.forEach(function (node) {
          node.setAttribute(PENDING, "error");
        });
        console.error("traject: diagram failed", error);
      });
  }

  var TAKES_FOCUS = ".traject-error-summary[tabindex='-1'], [data-traject-confirm][tabindex='-1']";

  function focusErrorSummary() {
    var summary = document.querySelector(TAKES_FOCUS);
    if (summary) {
      summary.focus();
    }
  }

  function focusMarkedForm() {
    if (document.querySelector(TAKES_FOCUS)) {
      return;
    }
    var form = document.querySelector("form[data-traject-focus]");
    var field =
      form &&
      form.querySelector(
        "input:not([type='hidden']):not([disabled]), select:not([disabled]), textarea:not([disabled])"
      );
    if (field) {
      field.focus();
    }
  }

  function markScrolling(box) {
    box.toggleAttribute("data-scrolls", box.scrollWidth > box.clientWidth + 1);
  }

  var resized = window.ResizeObserver
    ? new ResizeObserver(function (entries) {
        entries.forEach(function (entry) {
          var box = entry.target.closest(".traject-table-scroll");
          if (box) {
            markScrolling(box);
          }
        });
      })
    : null;

  function watchScrolling(root) {
    var boxes = Array.prototype.slice.call(root.querySelectorAll(".traject-table-scroll"));
    if (root.classList && root.classList.contains("traject-table-scroll")) {
      boxes.push(root);
    }
    boxes.forEach(function (box) {
      markScrolling(box);
      if (resized) {
        resized.observe(box);
        if (box.firstElementChild) {
          resized.observe(box.firstElementChild);
        }
      }
    });
  }

  function ready() {
    focusErrorSummary();
    focusMarkedForm();
    watchScrolling(document);
    renderDiagrams(document);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ready);
  } else {
    ready();
  }
  document.addEventListener("htmx:load", function (event) {
    watchScrolling(event.target);
    renderDiagrams(event.target);
  });

  window.traject = { renderDiagrams: renderDiagrams };
})();
