// The report's script (matcher/report/html.py inlines it, then static/map.js).
// The page reads without JavaScript; this adds the filter of the table of unmatched
// needs, and records, for tests and anyone who looks, whether the scripts ran to
// their end (body data-ok) or hit an error (body data-error).
window.onerror = function (message) {
  (document.body || document.documentElement).dataset.error = String(message);
};
(function () {
  "use strict";
  document.body.dataset.figures = String(document.querySelectorAll("svg.figure").length);
  var box = document.getElementById("unmatched-filter");
  var table = document.getElementById("unmatched-table");
  if (!box || !table) { return; }
  box.hidden = false;
  box.addEventListener("input", function () {
    var q = box.value.toLowerCase();
    var rows = table.tBodies[0].rows;
    for (var i = 0; i < rows.length; i++) {
      rows[i].hidden = q !== "" && rows[i].textContent.toLowerCase().indexOf(q) < 0;
    }
  });
})();
