/* Similar proposals while someone types a title: asks the server after a pause and replaces
   the list (a polite live region). Without JavaScript, "Look for similar proposals" does it. */
(function () {
  "use strict";
  var box = document.getElementById("similar-proposals");
  var title = document.querySelector("[data-similar-proposals]");
  if (!box || !title || !window.fetch) { return; }
  var background = document.getElementById("summary");
  var timer = null;
  var last = "";

  function look() {
    var text = title.value.trim();
    if (text === last) { return; }
    last = text;
    if (text.length < 3) { box.innerHTML = ""; return; }
    var url = box.dataset.similarUrl + "?title=" + encodeURIComponent(text) +
      "&summary=" + encodeURIComponent(background ? background.value.slice(0, 400) : "");
    fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) { return response.ok ? response.text() : ""; })
      .then(function (html) { if (title.value.trim() === text) { box.innerHTML = html; } })
      .catch(function () { /* the button still works */ });
  }

  title.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(look, 400);
  });
})();
