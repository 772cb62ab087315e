// Progressive touches only; every page works without this file.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  // "Select all" on the dead letters grid.
  document.querySelectorAll("input.select-all").forEach(function (box) {
    box.addEventListener("change", function () {
      box.form.querySelectorAll("input[name=id]").forEach(function (item) {
        item.checked = box.checked;
      });
    });
  });
});
