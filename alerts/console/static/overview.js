/* The overview follows the live feed of its scope: an alarm event or a device going offline
 * or coming back asks the server for the figures again. The figures come from the projection,
 * which the sink writes a moment after the event is on the feed, so each burst of events is
 * followed by a few refreshes: soon, once the sink has usually stored it, and a few more spaced
 * out for a sink that is behind (a busy server), so the figure never waits for the slow
 * periodic refresh, which stays for what no event announces (a maintenance window ending). */
"use strict";

(function () {
  const root = document.getElementById("overview");
  if (!root) return;
  const page = hw.page;
  const AFTER_EVENTS_MS = [400, 2500, 6000, 12000, 25000];
  const FALLBACK_MS = 60000;
  let pending = [];
  let loading = false;
  let again = false;

  function load() {
    if (loading) { again = true; return; }
    loading = true;
    htmx.ajax("GET", page.figures_url, { target: root, swap: "innerHTML" })
      .then(function () {
        root.dataset.refreshes = String(Number(root.dataset.refreshes || "0") + 1);
      })
      .catch(function () { /* the next event or the fallback tries again */ })
      .finally(function () {
        loading = false;
        if (again) { again = false; load(); }
      });
  }

  function changed() {
    pending.forEach(clearTimeout);
    pending = AFTER_EVENTS_MS.map(function (ms) { return setTimeout(load, ms); });
  }

  function setLive(state) {
    const section = root.closest("[data-live]");
    if (section) section.dataset.live = state;
    document.querySelectorAll("[data-live-text]").forEach(function (el) {
      el.hidden = el.dataset.liveText !== state;
    });
    if (state === "connected") changed();  // whatever happened while the feed was away
  }

  setInterval(load, FALLBACK_MS);
  hw.follow("/console/board/stream", page.since_ms, changed, setLive);
})();
