// Civic's progressive enhancements. Every page works without this file.
(function () {
  "use strict";

  // Move focus to the error summary so that keyboard and screen reader users hear it first.
  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.querySelector("[data-error-summary]");
    if (summary) { summary.focus(); }
  });

  // One shared Socket.IO connection for pages that ask for live updates (data-live on <body>
  // or any element). Later features register handlers through window.Civic.onLive.
  var handlers = [];
  window.Civic = {
    onLive: function (fn) { handlers.push(fn); },
  };
  document.addEventListener("DOMContentLoaded", function () {
    if (!document.querySelector("[data-live]") || typeof window.io !== "function") { return; }
    var socket = window.io({ transports: ["websocket", "polling"] });
    handlers.forEach(function (fn) { fn(socket); });
  });
})();
