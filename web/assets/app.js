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
  // A disease picked while a search was on its way stays picked when those results replace the
  // list (the request left before the click, so the server could not keep it checked).
  var picked = null;
  document.addEventListener("htmx:beforeSwap", function (e) {
    if (!e.detail.target || e.detail.target.id !== "disease-list") { return; }
    var checked = document.querySelector("input[name=disease]:checked");
    picked = checked ? checked.value : null;
  });
  document.addEventListener("htmx:afterSwap", function () {
    if (picked === null) { return; }
    var list = document.getElementById("disease-list");
    if (list && !list.querySelector("input[name=disease]:checked")) {
      list.querySelectorAll("input[name=disease]").forEach(function (input) {
        if (input.value === picked) { input.checked = true; }
      });
    }
    picked = null;
  });
  document.addEventListener("click", function (e) {
    var t = e.target.closest ? e.target.closest("[data-print]") : null;
    if (t) { e.preventDefault(); window.print(); }
  });
})();
