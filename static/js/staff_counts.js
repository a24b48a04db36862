// The staff navigation's counts, kept current while the page is open (the server pushes
// "staff_counts" to each moderator when a report is made or decided). Without this file the
// counts are as the page was drawn.
(function () {
  "use strict";
  if (!window.Civic) { return; }
  window.Civic.onLive(function (socket) {
    socket.on("staff_counts", function (data) {
      Object.keys(data || {}).forEach(function (name) {
        document.querySelectorAll('[data-staff-count="' + name + '"]').forEach(function (el) {
          el.textContent = Number(data[name]).toLocaleString(document.documentElement.lang);
        });
      });
    });
  });
})();
