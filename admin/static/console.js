// The console's own script, served from /admin/console-static: the pages' Content-Security-Policy runs
// scripts from this origin only, never inline ones (no onchange="..." attributes).
document.addEventListener("DOMContentLoaded", function () {
  // The tenant switcher submits as soon as a client company is chosen.
  var switcher = document.getElementById("tenant-select");
  if (switcher !== null) {
    switcher.addEventListener("change", function () {
      switcher.form.submit();
    });
  }
  // SQLAdmin's search reset is an icon alone: give it a name screen readers say.
  var reset = document.getElementById("search-reset");
  if (reset !== null && !reset.getAttribute("aria-label")) {
    reset.setAttribute("aria-label", "Clear the search");
  }
  // A table wider than the screen scrolls sideways: reachable by keyboard (Tab, then the arrows).
  document.querySelectorAll(".table-responsive").forEach(function (region) {
    region.tabIndex = 0;
    region.setAttribute("role", "region");
    region.setAttribute("aria-label", "Table, scrolls sideways");
  });
});
