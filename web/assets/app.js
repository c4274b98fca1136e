// Progressive enhancement only: every page works without this file. It hands the CSRF token
// to htmx requests, moves focus to an error summary that a partial update brought, and wires
// the print buttons (no inline script anywhere: the Content-Security-Policy forbids it).
(function () {
  "use strict";
  var csrf = document.querySelector('meta[name="csrf-token"]');
  document.addEventListener("htmx:configRequest", function (e) {
    if (csrf) { e.detail.headers["X-CSRF-Token"] = csrf.getAttribute("content"); }
  });
  document.addEventListener("htmx:afterSwap", function (e) {
    var summary = e.target.querySelector ? e.target.querySelector(".error-summary") : null;
    if (summary) { summary.focus(); }
  });
  // Skip logic: the judgment panel names the items the form asks for now (the server decides,
  // from the master's conditions); the others are hidden until their condition holds.
  document.addEventListener("htmx:oobAfterSwap", function (e) {
    var panel = e.detail && e.detail.target;
    if (!panel || panel.id !== "judgment") { return; }
    var shown;
    try { shown = JSON.parse(panel.getAttribute("data-shown") || "[]"); } catch (x) { return; }
    var set = {};
    shown.forEach(function (id) { set[id] = true; });
    document.querySelectorAll("[data-item]").forEach(function (el) {
      el.hidden = !set[el.getAttribute("data-item")];
    });
  });
  document.addEventListener("click", function (e) {
    var t = e.target.closest ? e.target.closest("[data-print]") : null;
    if (t) { e.preventDefault(); window.print(); }
  });
})();
