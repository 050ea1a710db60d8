/* A device's trend: draw the ECharts option the server built (readings, thresholds, alarms,
 * offline episodes). The option stays on window.hwTrend for outside checks. */
"use strict";

(function () {
  const data = JSON.parse(document.getElementById("page-data").textContent);
  const el = document.getElementById("trend-chart");
  window.hwTrend = data;
  const hasPoints = data.option.series.some(function (s) { return s.data && s.data.length; });
  if (!window.echarts || !hasPoints) {
    document.getElementById("trend-empty").hidden = false;
  }
  if (!window.echarts) return;
  const chart = window.echarts.init(el, null, { renderer: "svg" });
  chart.setOption(data.option);
  window.hwTrendChart = chart;
  window.addEventListener("resize", function () { chart.resize(); });
})();
