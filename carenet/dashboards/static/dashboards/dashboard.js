// The dashboard's charts (Apache ECharts, vendored). Loaded as a file: the page carries no
// inline script or style. The data comes from the page's json_script element
// (#dashboard-data); every bar or slice links to the list behind it.
"use strict";

(function () {
  const COLORS = ["#198754", "#0d6efd", "#fd7e14", "#6f42c1", "#20c997", "#dc3545", "#6c757d", "#ffc107"];

  // Tooltips drawn in the canvas ("richText"): the HTML tooltip writes style="" attributes,
  // which the Content-Security-Policy refuses.
  const tooltip = (extra) => Object.assign({ renderMode: "richText", confine: true }, extra);

  function go(url) {
    if (url) {
      window.location.assign(url);
    }
  }

  function bars(data, horizontal) {
    const category = { type: "category", data: data.labels, axisLabel: { interval: 0, hideOverlap: true } };
    const value = { type: "value", minInterval: 1 };
    return {
      color: COLORS,
      tooltip: tooltip({ trigger: "axis" }),
      grid: { left: 8, right: 16, top: 16, bottom: 8, containLabel: true },
      xAxis: horizontal ? value : Object.assign(category, { axisLabel: { interval: 0, rotate: data.labels.length > 6 ? 30 : 0 } }),
      yAxis: horizontal ? Object.assign(category, { inverse: true }) : value,
      series: [{ type: "bar", data: data.values, cursor: "pointer", barMaxWidth: 56, label: { show: true, position: horizontal ? "right" : "top" } }],
    };
  }

  function pie(data) {
    return {
      color: COLORS,
      tooltip: tooltip({ trigger: "item" }),
      legend: { bottom: 0, type: "scroll" },
      series: [{
        type: "pie",
        radius: ["35%", "65%"],
        center: ["50%", "45%"],
        cursor: "pointer",
        label: { formatter: "{b}: {c}" },
        data: data.labels.map((label, i) => ({ name: label, value: data.values[i] })),
      }],
    };
  }

  function targets(data, key) {
    const t = data.targets;
    return {
      color: COLORS,
      tooltip: tooltip({ trigger: "axis" }),
      legend: { top: 0 },
      grid: { left: 8, right: 16, top: 32, bottom: 8, containLabel: true },
      xAxis: { type: "category", data: t.orgs, axisLabel: { interval: 0, rotate: t.orgs.length > 5 ? 30 : 0 } },
      yAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
      series: [
        { name: t.names.actual, type: "bar", data: t.values[key], cursor: "pointer", barMaxWidth: 56, label: { show: true, position: "top" } },
        { name: t.names.target, type: "line", data: t.targets[key], symbol: "rect", lineStyle: { type: "dashed" } },
      ],
    };
  }

  function trend(data) {
    const t = data.trend;
    return {
      color: COLORS,
      tooltip: tooltip({ trigger: "axis" }),
      legend: { top: 0, type: "scroll" },
      grid: { left: 8, right: 16, top: 32, bottom: 8, containLabel: true },
      xAxis: { type: "category", data: t.months },
      yAxis: { type: "value", minInterval: 1 },
      series: t.series.map((s) => ({ name: s.label, type: "bar", stack: "records", data: s.values, cursor: "pointer" })),
    };
  }

  function teachers(data) {
    const t = data.teachers;
    const option = bars({ labels: t.labels, values: t.overdue }, true);
    option.legend = { top: 0 };
    option.grid.top = 32;
    option.series = [
      { name: t.names.overdue, type: "bar", data: t.overdue, cursor: "pointer", label: { show: true, position: "right" } },
      { name: t.names.tasks, type: "bar", data: t.tasks, cursor: "pointer" },
    ];
    return option;
  }

  function draw(element, data) {
    const name = element.dataset.chart;
    const chart = echarts.init(element, null, { renderer: "canvas" });
    let option;
    let urls = [];
    if (name === "targets") {
      const select = document.getElementById("targets-key");
      const key = () => (select ? select.value : data.targets.keys[0].key);
      option = targets(data, key());
      urls = () => data.targets.drill[key()];
      chart.on("click", (params) => go(params.seriesIndex === 0 ? urls()[params.dataIndex] : data.targets.urls[params.dataIndex]));
      if (select) {
        select.addEventListener("change", () => {
          chart.setOption(Object.assign(targets(data, key()), { animation: false }), true);
        });
      }
    } else if (name === "trend") {
      option = trend(data);
      chart.on("click", (params) => {
        const series = data.trend.series[params.seriesIndex];
        go(series && data.trend.urls[series.kind][params.dataIndex]);
      });
    } else if (name === "teachers") {
      option = teachers(data);
      chart.on("click", (params) => go(data.teachers.urls[params.dataIndex]));
    } else {
      const set = data[name];
      option = element.dataset.kind === "pie" ? pie(set) : bars(set, element.dataset.kind === "hbar");
      chart.on("click", (params) => go(set.urls[params.dataIndex]));
    }
    // No animation: the figures show at once, and cheap phones are spared the work.
    option.animation = false;
    chart.setOption(option);
    element.classList.add("cn-chart-drawn");
    return chart;
  }

  function start() {
    const source = document.getElementById("dashboard-data");
    if (!source || typeof echarts === "undefined") {
      return;
    }
    const data = JSON.parse(source.textContent);
    const charts = Array.from(document.querySelectorAll("[data-chart]")).map((el) => draw(el, data));
    window.addEventListener("resize", () => charts.forEach((chart) => chart.resize()));
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
