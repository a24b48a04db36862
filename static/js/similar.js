/* Similar items (petitions, proposals) while someone types a title: asks the server after a pause
   and replaces the list, a polite live region. The list says where to ask and what to send:
   data-similar-url, data-similar-title (the title field's id), and data-similar-context (the id of
   a longer field whose start is sent too, under its own name). Without JavaScript, the form's
   "Look for similar ..." button does the same. */
(function () {
  "use strict";
  var box = document.querySelector("[data-similar-url]");
  if (!box || !window.fetch) { return; }
  var title = document.getElementById(box.dataset.similarTitle);
  var context = document.getElementById(box.dataset.similarContext || "");
  if (!title) { return; }
  var timer = null;
  var last = "";

  function look() {
    var text = title.value.trim();
    if (text === last) { return; }
    last = text;
    if (text.length < 3) { box.innerHTML = ""; return; }
    var url = box.dataset.similarUrl + "?title=" + encodeURIComponent(text);
    if (context) { url += "&" + context.name + "=" + encodeURIComponent(context.value.slice(0, 400)); }
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
