// Civic's progressive enhancements. Every page works without this file.
(function () {
  "use strict";

  var handlers = [];
  var Civic = (window.Civic = {
    socket: null,
    // Later features register what they do with the shared connection.
    onLive: function (fn) {
      handlers.push(fn);
      if (Civic.socket) { fn(Civic.socket); }
    },
    announce: function (text) {
      var region = document.querySelector("[data-announcer]") || document.getElementById("civic-announcer");
      if (!region) { return; }
      region.textContent = "";
      window.setTimeout(function () { region.textContent = text; }, 50);
    },
  });

  function text(key) {
    var holder = document.getElementById("civic-texts");
    return (holder && holder.dataset[key]) || "";
  }
  Civic.text = text;

  function setLiveStatus(paused) {
    document.querySelectorAll("[data-live-status]").forEach(function (el) {
      el.hidden = false;
      el.classList.toggle("is-paused", paused);
      el.textContent = paused ? text("livePaused") : text("liveResumed");
      if (!paused) { window.setTimeout(function () { el.hidden = true; }, 6000); }
    });
  }

  // <time data-relative> (templates/macros/dates.html): within a week, "3 minutes ago" in the page's
  // language, with the exact time the server wrote kept as the title. Refreshed every minute.
  var WEEK = 7 * 24 * 3600;
  var UNITS = [["day", 86400], ["hour", 3600], ["minute", 60]];
  function relativeTimes(root) {
    if (!window.Intl || !Intl.RelativeTimeFormat) { return; }
    var words = new Intl.RelativeTimeFormat(document.documentElement.lang || undefined, { numeric: "auto" });
    (root || document).querySelectorAll("time[data-relative][datetime]").forEach(function (el) {
      var at = Date.parse(el.getAttribute("datetime"));
      if (isNaN(at)) { return; }
      if (!el.dataset.exact) { el.dataset.exact = el.textContent; }
      var seconds = Math.round((at - Date.now()) / 1000);
      if (Math.abs(seconds) >= WEEK) { el.textContent = el.dataset.exact; el.removeAttribute("title"); return; }
      var unit = UNITS.find(function (u) { return Math.abs(seconds) >= u[1]; });
      el.textContent = unit ? words.format(Math.round(seconds / unit[1]), unit[0]) : words.format(0, "second");
      el.title = el.dataset.exact;
    });
  }
  Civic.relativeTimes = relativeTimes;

  document.addEventListener("DOMContentLoaded", function () {
    relativeTimes(document);
    window.setInterval(function () { relativeTimes(document); }, 60000);
    // Move focus to the error summary so that keyboard and screen reader users hear it first.
    var summary = document.querySelector("[data-error-summary]");
    if (summary) { summary.focus(); }

    if (!document.querySelector("[data-live]")) { return; }
    // The Socket.IO client (49 KB) comes only to pages that go live.
    var me = document.querySelector("script[data-socketio-src]");
    var client = document.createElement("script");
    client.src = me.dataset.socketioSrc;
    client.onload = connect;
    document.head.appendChild(client);
  });

  function connect() {
    if (typeof window.io !== "function") { return; }
    // WebSocket first; tryAllTransports falls back to long-polling where a proxy refuses the
    // upgrade (without it the client retries WebSocket for ever and never connects).
    var socket = (Civic.socket = window.io({ transports: ["websocket", "polling"], tryAllTransports: true }));
    var wasDisconnected = false;

    socket.on("disconnect", function () { wasDisconnected = true; setLiveStatus(true); });
    socket.on("connect_error", function () { wasDisconnected = true; setLiveStatus(true); });
    socket.on("connect", function () {
      if (wasDisconnected) { setLiveStatus(false); }
      wasDisconnected = false;
      // Rooms are per connection: join them again after every (re)connection.
      document.querySelectorAll("[data-tally-kind]").forEach(function (el) {
        socket.emit("watch_tally", { kind: el.dataset.tallyKind, id: Number(el.dataset.tallyId) });
      });
    });
    socket.on("live_status", function (data) { setLiveStatus(Boolean(data && data.paused)); });
    // The server holds as many live pages as it can and refuses the rest politely: this page
    // still works, it just does not update by itself (the client does not retry a refusal).
    socket.on("connect_error", function (err) {
      if (!err || err.message !== "live_connections_full") { return; }
      document.querySelectorAll("[data-live-status]").forEach(function (el) {
        el.hidden = false;
        el.classList.add("is-paused");
        el.textContent = text("liveOff");
      });
    });

    socket.on("notifications", function (data) {
      document.querySelectorAll("[data-unread-count]").forEach(function (el) {
        el.textContent = String(data.unread);
        el.hidden = !data.unread;
      });
    });

    socket.on("tally", function (data) {
      var selector = '[data-tally-kind="' + data.kind + '"][data-tally-id="' + data.id + '"]';
      document.querySelectorAll(selector).forEach(function (el) {
        Object.keys(data.counts).forEach(function (name) {
          el.querySelectorAll('[data-tally-value="' + name + '"]').forEach(function (value) {
            value.textContent = Number(data.counts[name]).toLocaleString(document.documentElement.lang);
          });
          el.querySelectorAll('progress[data-tally-progress="' + name + '"]').forEach(function (bar) {
            bar.value = Math.min(Number(data.counts[name]), Number(bar.max));
          });
        });
      });
    });

    handlers.forEach(function (fn) { fn(socket); });
  }
})();
