/* Shared by the console's pages: labels, countdowns and the live feed connection.
 * The feed is an EventSource on a URL of this service; after a drop it resumes from the last
 * event it received (Last-Event-ID, or ?last= when the page builds a new connection), so the
 * server replays exactly what was missed. */
"use strict";

window.hw = (function () {
  const dataEl = document.getElementById("page-data");
  const page = dataEl ? JSON.parse(dataEl.textContent) : {};
  const labels = page.labels || {};

  function t(key, fallback) {
    return labels[key] || fallback || key;
  }

  function two(n) {
    return String(n).padStart(2, "0");
  }

  function span(seconds) {
    const s = Math.max(0, Math.floor(seconds));
    const h = Math.floor(s / 3600);
    const m = Math.floor((s % 3600) / 60);
    return (h ? h + ":" + two(m) : two(m)) + ":" + two(s % 60);
  }

  /* Update one countdown element; returns true when its deadline has passed. */
  function countdown(el, now) {
    const at = Date.parse(el.dataset.deadline);
    if (isNaN(at)) return false;
    const left = (at - now) / 1000;
    const kind = el.dataset.kind;
    if (left > 0) {
      el.textContent = t("js.deadline." + kind, kind) + " " + span(left);
      el.classList.remove("late");
      return false;
    }
    el.textContent = t("js.overdue", "overdue") + " " + span(-left);
    el.classList.add("late");
    return true;
  }

  const TYPES = [
    "AlarmRaised", "SeverityChanged", "ConditionCleared", "Acknowledged", "Dispatched",
    "Resolved", "Closed", "Escalated", "Supervised", "SupervisionLifted", "Suppressed",
    "CommandRejected", "DeviceWentOffline", "DeviceCameOnline",
  ];

  function follow(url, since, onEvent, onState) {
    let source = null;
    let lastId = null;
    let retry = null;

    function connect() {
      clearTimeout(retry);
      if (source) source.close();
      const query = lastId ? "last=" + encodeURIComponent(lastId) : "since=" + since;
      source = new EventSource(url + "?" + query);
      source.onopen = function () { onState("connected"); };
      source.onerror = function () {
        onState("reconnecting");
        // The browser retries by itself unless the server refused the stream outright.
        if (source.readyState === EventSource.CLOSED) retry = setTimeout(connect, 2000);
      };
      const take = function (message) {
        if (message.lastEventId) lastId = message.lastEventId;
        onEvent(JSON.parse(message.data));
      };
      TYPES.forEach(function (type) { source.addEventListener(type, take); });
      source.addEventListener("dropped", function () {
        source.close();
        onState("reconnecting");
        retry = setTimeout(connect, 500);
      });
    }

    window.addEventListener("offline", function () {
      if (source) source.close();
      onState("reconnecting");
    });
    window.addEventListener("online", function () { connect(); });
    connect();
  }

  return { page: page, t: t, countdown: countdown, follow: follow };
})();
