/* The alarm's page: its readings as a chart, its countdown, and the outcome of a command the
 * person just gave (the stream worker decides: applied, or rejected with its reason). */
"use strict";

(function () {
  const hw = window.hw;
  const page = hw.page;

  document.querySelectorAll(".countdown").forEach(function (el) {
    hw.countdown(el, Date.now());
    setInterval(function () { hw.countdown(el, Date.now()); }, 1000);
  });

  const chartEl = document.getElementById("readings-chart");
  const readings = page.readings || { points: [] };
  if (!readings.points.length || !window.echarts) {
    chartEl.hidden = true;
    document.getElementById("readings-empty").hidden = false;
  } else {
    const chart = window.echarts.init(chartEl, null, { renderer: "svg" });
    let series;
    if (readings.bucket === "raw") {
      series = [{ type: "line", name: "value", showSymbol: false,
                  data: readings.points.map(function (p) { return [p.ts, p.value]; }),
                  markLine: { symbol: "none", label: { show: false }, data: [{ xAxis: page.raised_at }] } }];
    } else {
      const pick = function (key) {
        return readings.points.map(function (p) { return [p.ts, p[key]]; });
      };
      series = ["min", "avg", "max"].map(function (key) {
        return { type: "line", name: key, showSymbol: false, data: pick(key),
                 lineStyle: { opacity: key === "avg" ? 1 : 0.4 } };
      });
      series[1].markLine = { symbol: "none", label: { show: false }, data: [{ xAxis: page.raised_at }] };
    }
    chart.setOption({
      animation: false,
      tooltip: { trigger: "axis" },
      xAxis: { type: "time" },
      yAxis: { type: "value", scale: true },
      grid: { left: 48, right: 16, top: 16, bottom: 32 },
      series: series,
    });
    window.addEventListener("resize", function () { chart.resize(); });
    window.hwChart = chart;
  }

  const status = document.getElementById("command-status");
  if (status && page.command_id) {
    const url = "/console/alarms/" + encodeURIComponent(page.alarm_id) + "/commands/" +
      encodeURIComponent(page.command_id);
    const began = Date.now();
    const show = function (state, reason) {
      status.dataset.commandState = state;
      status.querySelectorAll("[data-when]").forEach(function (el) {
        el.hidden = el.dataset.when !== state;
      });
      if (reason) status.querySelector("[data-reason]").textContent = hw.t("reason." + reason.split(":")[0], reason);
    };
    const poll = function () {
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (body) {
          if (body.state === "applied") {
            show("applied");
            const clean = location.pathname;
            setTimeout(function () { location.replace(clean + "?applied=" + page.command_id); }, 800);
          } else if (body.state === "rejected") {
            show("rejected", body.reason);
            status.className = "error";
          } else if (Date.now() - began < 60000) {
            setTimeout(poll, 400);
          }
        })
        .catch(function () { setTimeout(poll, 1000); });
    };
    poll();
  }
})();
