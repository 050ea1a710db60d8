/* Draw each chart option of page-data.charts into #chart-<name> (reports, uptime). */
"use strict";

(function () {
  const data = JSON.parse(document.getElementById("page-data").textContent);
  window.hwCharts = data.charts;
  if (!window.echarts) return;
  Object.keys(data.charts).forEach(function (name) {
    const el = document.getElementById("chart-" + name);
    if (!el) return;
    const chart = window.echarts.init(el, null, { renderer: "svg" });
    chart.setOption(data.charts[name]);
    window.addEventListener("resize", function () { chart.resize(); });
  });
})();
