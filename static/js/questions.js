/* The question editor: show the settings of the kind chosen (options, "Other", the scale) as soon as
   it changes. Without JavaScript, the "Show the settings of this kind" button reloads the form. */
(function () {
  "use strict";
  var kind = document.getElementById("kind");
  if (!kind) { return; }
  function show() {
    document.querySelectorAll("[data-for-kinds]").forEach(function (box) {
      box.hidden = box.dataset.forKinds.split(" ").indexOf(kind.value) < 0;
    });
  }
  document.querySelectorAll("[data-kind-reload]").forEach(function (button) { button.hidden = true; });
  kind.addEventListener("change", show);
  show();
})();
