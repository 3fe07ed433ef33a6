// Replies table: filter by text, theme and band; sort by clicking a header.
// Plain DOM, no network; with JavaScript off the table is shown as it is.
(function () {
  "use strict";
  var table = document.getElementById("replies-table");
  if (!table) { return; }
  var tools = document.getElementById("replies-tools");
  if (tools) { tools.hidden = false; }
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var search = document.getElementById("replies-search");
  var theme = document.getElementById("replies-theme");
  var count = document.getElementById("replies-count");
  function apply() {
    var q = (search && search.value || "").toLowerCase();
    var t = theme && theme.value || "";
    var shown = 0;
    rows.forEach(function (row) {
      var ok = (!q || row.textContent.toLowerCase().indexOf(q) !== -1) &&
               (!t || (" " + row.getAttribute("data-themes") + " ").indexOf(" " + t + " ") !== -1);
      row.hidden = !ok;
      if (ok) { shown += 1; }
    });
    if (count) { count.textContent = shown + " shown"; }
  }
  if (search) { search.addEventListener("input", apply); }
  if (theme) { theme.addEventListener("change", apply); }
  var headers = table.tHead.rows[0].cells;
  Array.prototype.forEach.call(headers, function (th, index) {
    if (!th.hasAttribute("data-sort")) { return; }
    th.setAttribute("tabindex", "0");
    var ascending = false;
    function sort() {
      var numeric = th.getAttribute("data-sort") === "num";
      ascending = !ascending;
      rows.sort(function (a, b) {
        var x = a.cells[index].getAttribute("data-value") || a.cells[index].textContent;
        var y = b.cells[index].getAttribute("data-value") || b.cells[index].textContent;
        var r = numeric ? (parseFloat(x) || 0) - (parseFloat(y) || 0) : x.localeCompare(y);
        return ascending ? r : -r;
      });
      rows.forEach(function (row) { body.appendChild(row); });
      Array.prototype.forEach.call(headers, function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    }
    th.addEventListener("click", sort);
    th.addEventListener("keydown", function (e) { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sort(); } });
  });
  apply();
}());
