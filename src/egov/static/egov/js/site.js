/* Small progressive enhancements; every page works without this file. */
(function () {
  "use strict";

  // Type-to-filter for long <select> lists (procedure chooser): data-filter-for="<select id>".
  document.querySelectorAll("input[data-filter-for]").forEach(function (input) {
    var select = document.getElementById(input.getAttribute("data-filter-for"));
    if (!select) { return; }
    var fold = function (text) {
      return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/đ/g, "d").replace(/Đ/g, "D").toLowerCase();
    };
    input.addEventListener("input", function () {
      var wanted = fold(input.value.trim());
      var firstVisible = null;
      Array.prototype.forEach.call(select.options, function (option) {
        var show = !wanted || fold(option.text).indexOf(wanted) !== -1;
        option.hidden = !show;
        option.disabled = !show;
        if (show && firstVisible === null && option.value) { firstVisible = option; }
      });
      if (firstVisible && select.selectedOptions.length && select.selectedOptions[0].hidden) {
        firstVisible.selected = true;
      }
    });
  });

  // Move focus to the error summary so screen readers announce what to fix.
  var summary = document.querySelector(".error-summary");
  if (summary) { summary.focus(); }
})();
