// The dashboard's charts: each group's rates ([data-chart], JSON) as one horizontal bar chart (ECharts, served
// by the platform). A file, not an inline script, so the Content-Security-Policy needs no 'unsafe-inline'.
"use strict";
window.addEventListener("load", function () {
  document.querySelectorAll("[data-chart]").forEach(function (el) {
    var rates = JSON.parse(el.dataset.chart);
    var chart = echarts.init(el, null, { renderer: "svg" });
    chart.setOption({
      grid: { left: 8, right: 48, top: 8, bottom: 8, containLabel: true },
      xAxis: { type: "value", max: 100, axisLabel: { formatter: "{value}%" } },
      yAxis: { type: "category", data: rates.map(function (r) { return r.name; }), inverse: true },
      series: [{ type: "bar", data: rates.map(function (r) { return r.value; }), itemStyle: { color: "#c8161d" },
                 label: { show: true, position: "right", formatter: "{c}%" } }]
    });
    el.dataset.rendered = "1";
    window.addEventListener("resize", function () { chart.resize(); });
  });
});
