/* The live board: the open alarms of the account's scope, kept current from the feed.
 * Each event is applied once (by event id, and never behind the alarm's own seq), so a replay
 * after a reconnect or a redelivery by the worker never shows anything twice. The order and the
 * overdue mark follow the same rules as the server (alerts/console/board.py). */
"use strict";

(function () {
  const hw = window.hw;
  const page = hw.page;
  const root = document.getElementById("board");
  const tbody = document.getElementById("alarm-rows");
  const template = document.getElementById("row-template");
  const countEl = document.querySelector("[data-unacknowledged-count]");
  const popup = document.getElementById("alarm-popup");
  const baseTitle = document.title.replace(/^\(\d+\)\s*/, "");
  const RANK = { red: 0, orange: 1, yellow: 2, blue: 3 };
  const ALERTING = { red: true, orange: true };

  const alarms = new Map();
  const seenEvents = new Set();
  const closed = new Set();
  const cards = new Map();
  let muted = new Set(JSON.parse(localStorage.getItem("hw-muted") || "[]"));
  let shownInPopup = null;

  function fromRow(tr) {
    return {
      id: tr.dataset.alarmId,
      el: tr,
      seq: Number(tr.dataset.seq || 0),
      severity: tr.dataset.severity,
      state: tr.dataset.state,
      raisedAt: tr.dataset.raisedAt,
      escalation: tr.dataset.escalation || "township",
      suppressed: tr.dataset.suppressed === "true",
      supervised: !!tr.querySelector("[data-mark=supervised]"),
      cleared: false,
      deviceId: tr.dataset.deviceId,
      condition: tr.querySelector("[data-field=condition]").textContent,
      location: tr.querySelector("[data-field=location]").textContent,
      enterprise: tr.querySelector("[data-field=enterprise]").textContent,
      value: tr.querySelector("[data-field=value]").textContent,
    };
  }

  tbody.querySelectorAll("tr[data-alarm-id]").forEach(function (tr) {
    const alarm = fromRow(tr);
    alarms.set(alarm.id, alarm);
  });

  function deadline(alarm) {
    const limits = page.deadlines[alarm.severity];
    if (!limits || alarm.suppressed) return null;
    const raised = Date.parse(alarm.raisedAt);
    if (alarm.state === "open") return { kind: "ack", at: raised + limits[0] * 1000 };
    if (alarm.state === "acknowledged" || alarm.state === "dispatched") {
      return { kind: "resolve", at: raised + limits[1] * 1000 };
    }
    return null;
  }

  function overdue(alarm, now) {
    if (alarm.escalation !== "township") return true;
    const d = deadline(alarm);
    return !!d && now >= d.at;
  }

  function mark(cls, key, hook) {
    const s = document.createElement("span");
    s.className = "mark " + cls;
    if (hook) s.dataset.mark = hook;
    s.textContent = hw.t(key);
    return s;
  }

  function draw(alarm) {
    const tr = alarm.el;
    tr.dataset.alarmId = alarm.id;
    tr.dataset.severity = alarm.severity;
    tr.dataset.state = alarm.state;
    tr.dataset.seq = alarm.seq;
    tr.dataset.escalation = alarm.escalation;
    tr.dataset.suppressed = alarm.suppressed ? "true" : "false";
    tr.dataset.deviceId = alarm.deviceId;
    tr.className = "sev-row-" + alarm.severity + (overdue(alarm, Date.now()) ? " overdue" : "");
    const sev = tr.querySelector(".sev");
    sev.className = "sev sev-" + alarm.severity;
    sev.textContent = hw.t("severity." + alarm.severity);
    tr.querySelector("[data-field=state]").textContent = hw.t("state." + alarm.state);
    tr.querySelector("[data-field=enterprise]").textContent = alarm.enterprise;
    tr.querySelector("[data-field=location]").textContent = alarm.location || "—";
    tr.querySelector("[data-field=condition]").textContent = alarm.condition;
    tr.querySelector("[data-field=value]").textContent = alarm.value;
    const cell = tr.querySelector("[data-field=deadline]");
    const d = deadline(alarm);
    cell.textContent = "";
    if (d) {
      const c = document.createElement("span");
      c.className = "countdown";
      c.dataset.deadline = new Date(d.at).toISOString();
      c.dataset.kind = d.kind;
      cell.appendChild(c);
      hw.countdown(c, Date.now());
    }
    const marks = tr.querySelector("[data-field=marks]");
    marks.textContent = "";
    if (alarm.escalation !== "township") marks.appendChild(mark("esc", "escalation." + alarm.escalation));
    if (alarm.supervised) marks.appendChild(mark("sup", "mark.supervised", "supervised"));
    if (alarm.suppressed) marks.appendChild(mark("supp", "mark.suppressed", "suppressed"));
    if (alarm.cleared) marks.appendChild(mark("clr", "mark.cleared"));
  }

  function sortKey(alarm, now) {
    return [
      alarm.suppressed ? 1 : 0,
      overdue(alarm, now) ? 0 : 1,
      RANK[alarm.severity] === undefined ? 9 : RANK[alarm.severity],
      alarm.state === "open" ? 0 : 1,
      Date.parse(alarm.raisedAt),
    ];
  }

  function reorder() {
    const now = Date.now();
    const keyed = Array.from(alarms.values(), function (alarm) {
      return { alarm: alarm, key: sortKey(alarm, now) };
    });
    keyed.sort(function (a, b) {
      for (let i = 0; i < a.key.length; i++) if (a.key[i] !== b.key[i]) return a.key[i] - b.key[i];
      return 0;
    });
    // Move only the rows that are out of place: a new row at the top is one DOM move.
    let cursor = tbody.firstElementChild;
    keyed.forEach(function (entry) {
      const el = entry.alarm.el;
      if (el === cursor) {
        cursor = cursor.nextElementSibling;
      } else {
        tbody.insertBefore(el, cursor);
      }
    });
    document.getElementById("board-empty").hidden = alarms.size > 0;
  }

  function unacknowledged() {
    let n = 0;
    alarms.forEach(function (a) { if (a.state === "open" && !a.suppressed) n++; });
    return n;
  }

  function counts() {
    const n = unacknowledged();
    countEl.dataset.unacknowledgedCount = n;
    countEl.textContent = n;
    document.title = "(" + n + ") " + baseTitle;
  }

  function card(alarm) {
    if (cards.has(alarm.deviceId)) return Promise.resolve(cards.get(alarm.deviceId));
    return fetch("/console/devices/" + encodeURIComponent(alarm.deviceId) + "/card", {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    }).then(function (r) { return r.ok ? r.json() : null; }).then(function (c) {
      if (c) cards.set(alarm.deviceId, c);
      return c;
    }).catch(function () { return null; });
  }

  function raise(event) {
    const tr = template.content.firstElementChild.cloneNode(true);
    const link = tr.querySelector("a");
    link.href = "/console/alarms/" + event.alarm_id;
    link.textContent = event.device_id;
    const time = tr.querySelector("time");
    time.dateTime = event.occurred_at;
    time.textContent = new Date(event.occurred_at).toLocaleString(document.documentElement.lang);
    const alarm = {
      id: event.alarm_id,
      el: tr,
      seq: event.seq,
      severity: event.severity,
      state: "open",
      raisedAt: event.occurred_at,
      escalation: "township",
      suppressed: !!event.suppressed_window,
      supervised: false,
      cleared: false,
      deviceId: event.device_id,
      condition: hw.t("condition." + event.condition),
      location: "—",
      enterprise: event.enterprise_id,
      value: event.value === null || event.value === undefined ? "—" : Number(event.value).toFixed(1),
    };
    alarms.set(alarm.id, alarm);
    draw(alarm);
    card(alarm).then(function (c) {
      if (!c || !alarms.has(alarm.id)) return;
      alarm.location = c.location || "—";
      alarm.enterprise = c.enterprise_name || c.enterprise_id;
      draw(alarm);
      refreshPopup();
    });
    if (ALERTING[alarm.severity] && !alarm.suppressed) notifyDesktop(alarm);
    return alarm;
  }

  function apply(event) {
    if (!event || !event.alarm_id) return;
    if (event.event_id) {
      if (seenEvents.has(event.event_id)) {
        // The server passes each event once; a repeat here is counted so a test can see it.
        document.body.dataset.repeats = String(Number(document.body.dataset.repeats || 0) + 1);
        return;
      }
      seenEvents.add(event.event_id);
    }
    let alarm = alarms.get(event.alarm_id);
    if (alarm && event.seq && event.seq <= alarm.seq) return;
    if (!alarm) {
      if (event.type !== "AlarmRaised" || closed.has(event.alarm_id)) return;
      alarm = raise(event);
    } else {
      switch (event.type) {
        case "SeverityChanged":
          alarm.severity = event.to_severity;
          if (event.value !== undefined && event.value !== null) alarm.value = Number(event.value).toFixed(1);
          break;
        case "ConditionCleared": alarm.cleared = true; break;
        case "Acknowledged": alarm.state = "acknowledged"; break;
        case "Dispatched": alarm.state = "dispatched"; break;
        case "Resolved": alarm.state = "resolved"; break;
        case "Closed":
          alarms.delete(alarm.id);
          closed.add(alarm.id);
          alarm.el.remove();
          break;
        case "Escalated": alarm.escalation = event.level; break;
        case "Supervised": alarm.supervised = true; break;
        case "SupervisionLifted": alarm.supervised = false; break;
        case "Suppressed": alarm.suppressed = true; break;
        default: break;
      }
      if (event.seq) alarm.seq = Math.max(alarm.seq, event.seq);
      if (alarms.has(alarm.id)) draw(alarm);
    }
    schedule();
  }

  // A burst (a replay after a reconnect, a county-wide outage) is many events a frame: the
  // order, the counts and the pop-up are brought up to date once per 30 ms, not per event.
  let pending = false;
  function schedule() {
    if (pending) return;
    pending = true;
    // A timer, not requestAnimationFrame: a board in a background tab must still count and alert.
    setTimeout(function () {
      pending = false;
      reorder();
      counts();
      refreshPopup();
    }, 30);
  }

  /* ---- the pop-up, the sound and the desktop notification ---- */

  function candidates() {
    return Array.from(alarms.values()).filter(function (a) {
      return ALERTING[a.severity] && a.state === "open" && !a.suppressed && !muted.has(a.id);
    }).sort(function (a, b) {
      // Red before orange; within a colour, the newest first.
      return (RANK[a.severity] - RANK[b.severity]) || (Date.parse(b.raisedAt) - Date.parse(a.raisedAt));
    });
  }

  function refreshPopup() {
    const waiting = candidates();
    if (!waiting.length) {
      popup.hidden = true;
      shownInPopup = null;
      return;
    }
    const alarm = waiting[0];
    const fresh = shownInPopup !== alarm.id;
    shownInPopup = alarm.id;
    popup.dataset.alarmId = alarm.id;
    popup.dataset.severity = alarm.severity;
    popup.className = "popup popup-" + alarm.severity;
    const body = document.getElementById("popup-body");
    body.textContent = "";
    [hw.t("severity." + alarm.severity) + " · " + alarm.condition,
     alarm.deviceId + " · " + alarm.location,
     alarm.enterprise,
     hw.t("col.value", "") + " " + alarm.value].forEach(function (line) {
      const p = document.createElement("p");
      p.textContent = line;
      body.appendChild(p);
    });
    const more = document.getElementById("popup-more");
    more.hidden = waiting.length < 2;
    more.textContent = hw.t("js.popup.more", "+") + " " + (waiting.length - 1);
    document.getElementById("popup-open").href = "/console/alarms/" + alarm.id;
    document.getElementById("popup-ack").action = "/console/alarms/" + alarm.id + "/acknowledge";
    if (popup.hidden || fresh) {
      popup.hidden = false;
      if (fresh) document.querySelector("#popup-ack [data-action=acknowledge]").focus();
    }
  }

  document.getElementById("popup-mute").addEventListener("click", function () {
    if (!shownInPopup) return;
    muted.add(shownInPopup);
    localStorage.setItem("hw-muted", JSON.stringify(Array.from(muted).slice(-500)));
    refreshPopup();
  });

  function commandId() {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, function (b) { return b.toString(16).padStart(2, "0"); }).join("");
  }

  document.getElementById("popup-ack").addEventListener("submit", function (e) {
    e.preventDefault();
    const form = e.target;
    const button = form.querySelector("button");
    const body = new FormData(form);
    // One id for every try: the same command however often it is sent.
    body.set("command_id", commandId());
    button.disabled = true;
    let tries = 0;
    const send = function () {
      tries += 1;
      fetch(form.action, {
        method: "POST", body: body, headers: { Accept: "application/json" },
        credentials: "same-origin",
      }).then(function (r) {
        // A brand-new alarm may not be in the stored projection yet: ask again shortly.
        if (r.status === 404 && tries < 20) return setTimeout(send, 300);
        button.disabled = false;
        if (r.status !== 202) {
          button.textContent = hw.t("js.ack.failed", "failed");
        } else {
          form.querySelector("input[name=comment]").value = "";
        }
      }).catch(function () { button.disabled = false; });
    };
    send();
  });

  let audio = null;
  const soundButton = document.getElementById("enable-sound");

  function soundOn() {
    if (!audio) {
      const Context = window.AudioContext || window.webkitAudioContext;
      if (!Context) return;
      audio = new Context();
    }
    audio.resume();
    localStorage.setItem("hw-sound", "1");
    soundButton.setAttribute("aria-pressed", "true");
    soundButton.textContent = hw.t("js.sound.on", "sound on");
  }

  soundButton.addEventListener("click", function () {
    if (audio && soundButton.getAttribute("aria-pressed") === "true") {
      localStorage.removeItem("hw-sound");
      soundButton.setAttribute("aria-pressed", "false");
      soundButton.textContent = hw.t("js.sound.off", "sound off");
      return;
    }
    soundOn();
  });
  // Browsers allow sound only after a gesture: a person who enabled it once gets it back on
  // their first click or key press on this page.
  if (localStorage.getItem("hw-sound") === "1") {
    const resume = function () {
      soundOn();
      document.removeEventListener("click", resume, true);
      document.removeEventListener("keydown", resume, true);
    };
    document.addEventListener("click", resume, true);
    document.addEventListener("keydown", resume, true);
  }

  function beep() {
    if (!audio || audio.state !== "running" || popup.hidden) return;
    const tones = popup.dataset.severity === "red" ? [880, 660] : [660];
    tones.forEach(function (hz, i) {
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.frequency.value = hz;
      gain.gain.value = 0.2;
      osc.connect(gain).connect(audio.destination);
      const start = audio.currentTime + i * 0.25;
      osc.start(start);
      osc.stop(start + 0.2);
    });
    document.body.dataset.soundPlays = String(Number(document.body.dataset.soundPlays || 0) + 1);
  }
  setInterval(beep, 2000);

  const notifyButton = document.getElementById("enable-notify");
  if (!("Notification" in window) || Notification.permission === "granted") {
    notifyButton.hidden = true;
  }
  notifyButton.addEventListener("click", function () {
    Notification.requestPermission().then(function (p) { notifyButton.hidden = p === "granted"; });
  });

  function notifyDesktop(alarm) {
    if (!("Notification" in window) || Notification.permission !== "granted") return;
    const n = new Notification(hw.t("severity." + alarm.severity) + " " + alarm.condition, {
      body: alarm.deviceId,
      tag: alarm.id,
      requireInteraction: alarm.severity === "red",
    });
    n.onclick = function () { window.focus(); location.href = "/console/alarms/" + alarm.id; };
  }

  /* ---- clock and feed ---- */

  setInterval(function () {
    const now = Date.now();
    let changed = false;
    alarms.forEach(function (alarm) {
      const c = alarm.el.querySelector(".countdown");
      if (c) hw.countdown(c, now);
      const late = overdue(alarm, now);
      if (late !== alarm.el.classList.contains("overdue")) {
        alarm.el.classList.toggle("overdue", late);
        changed = true;
      }
    });
    if (changed) reorder();
  }, 1000);

  function setLive(state) {
    root.dataset.live = state;
    root.querySelectorAll("[data-live-text]").forEach(function (el) {
      el.hidden = el.dataset.liveText !== state;
    });
  }

  reorder();
  counts();
  refreshPopup();
  hw.follow("/console/board/stream", page.since_ms, apply, setLive);
})();
