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

  // Category labels that do not fit side by side under the bars (a phone's width, long
  // school names): the chart is drawn lying down instead, one row per label.
  const LABEL_FONT = 12;
  function crowded(labels, width) {
    const text = labels.reduce((sum, label) => sum + String(label).length * LABEL_FONT + 8, 0);
    return text > width * 0.9;
  }

  // A chart lying down gets a row of at least 24 px per label (its element grows).
  function fitRows(element, rows, extra) {
    const needed = rows * 24 + extra;
    if (element.clientHeight < needed) {
      element.style.height = needed + "px";
    }
  }

  const categoryLabel = { interval: 0, width: 96, overflow: "truncate", hideOverlap: true };

  function bars(data, horizontal) {
    const category = { type: "category", data: data.labels, axisLabel: Object.assign({}, categoryLabel) };
    const value = { type: "value", minInterval: 1 };
    return {
      color: COLORS,
      tooltip: tooltip({ trigger: "axis" }),
      grid: { left: 8, right: 16, top: 16, bottom: 8, containLabel: true },
      xAxis: horizontal ? value : category,
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

  function targets(data, key, horizontal) {
    const t = data.targets;
    const category = { type: "category", data: t.orgs, axisLabel: Object.assign({}, categoryLabel) };
    const value = { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%", hideOverlap: true } };
    return {
      color: COLORS,
      tooltip: tooltip({ trigger: "axis" }),
      legend: { top: 0 },
      grid: { left: 8, right: 24, top: 32, bottom: 8, containLabel: true },
      xAxis: horizontal ? value : category,
      yAxis: horizontal ? Object.assign(category, { inverse: true }) : value,
      series: [
        { name: t.names.actual, type: "bar", data: t.values[key], cursor: "pointer", barMaxWidth: 56, label: { show: !horizontal || t.orgs.length <= 12, position: horizontal ? "right" : "top" } },
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
    const width = element.clientWidth;
    const chart = echarts.init(element, null, { renderer: "canvas" });
    let option;
    let urls = [];
    if (name === "targets") {
      const select = document.getElementById("targets-key");
      const key = () => (select ? select.value : data.targets.keys[0].key);
      const lying = crowded(data.targets.orgs, width);
      if (lying) {
        fitRows(element, data.targets.orgs.length, 72);
        chart.resize();
      }
      option = targets(data, key(), lying);
      urls = () => data.targets.drill[key()];
      chart.on("click", (params) => go(params.seriesIndex === 0 ? urls()[params.dataIndex] : data.targets.urls[params.dataIndex]));
      if (select) {
        select.addEventListener("change", () => {
          chart.setOption(Object.assign(targets(data, key(), lying), { animation: false }), true);
        });
      }
    } else if (name === "trend") {
      option = trend(data);
      chart.on("click", (params) => {
        const series = data.trend.series[params.seriesIndex];
        go(series && data.trend.urls[series.kind][params.dataIndex]);
      });
    } else if (name === "teachers") {
      fitRows(element, data.teachers.labels.length, 72);
      chart.resize();
      option = teachers(data);
      chart.on("click", (params) => go(data.teachers.urls[params.dataIndex]));
    } else {
      const set = data[name];
      const lying = element.dataset.kind === "hbar" || (element.dataset.kind !== "pie" && crowded(set.labels, width));
      if (lying && element.dataset.kind !== "pie") {
        fitRows(element, set.labels.length, 48);
        chart.resize();
      }
      option = element.dataset.kind === "pie" ? pie(set) : bars(set, lying);
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
