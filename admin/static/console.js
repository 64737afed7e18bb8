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
});
