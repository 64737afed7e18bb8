// The console's own script, served from /admin/console-static: the pages' Content-Security-Policy runs
// scripts from this origin only, never inline ones (no onchange="..." attributes).
document.addEventListener("DOMContentLoaded", function () {
  // The page's language (SQLAdmin's frame says "en") and the words below, in the consultant's language.
  var words = document.getElementById("console-words");
  var say = function (name, english) {
    return words !== null && words.dataset[name] ? words.dataset[name] : english;
  };
  if (words !== null && words.dataset.lang) {
    document.documentElement.lang = words.dataset.lang;
  }
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
    reset.setAttribute("aria-label", say("clearSearch", "Clear the search"));
  }
  // A table wider than the screen scrolls sideways: reachable by keyboard (Tab, then the arrows).
  document.querySelectorAll(".table-responsive").forEach(function (region) {
    region.tabIndex = 0;
    region.setAttribute("role", "region");
    region.setAttribute("aria-label", say("tableScrolls", "Table, scrolls sideways"));
  });
});
