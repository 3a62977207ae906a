// The ECharts that CareNet's dashboards use (carenet/dashboards/static/dashboards/dashboard.js),
// tree-shaken from the echarts package and exposed as the global `echarts`, like the full
// dist/echarts.min.js it replaces. A chart type or component that dashboard.js starts to use
// must be added here, then the bundle rebuilt (scripts/echarts/build).
import * as echarts from "echarts/core";
import { BarChart, LineChart, PieChart } from "echarts/charts";
import {
  AriaComponent,
  DatasetComponent,
  GridComponent,
  LegendComponent, // plain and scroll legends
  MarkLineComponent,
  TitleComponent,
  TooltipComponent,
} from "echarts/components";
import { LabelLayout } from "echarts/features"; // axisLabel.hideOverlap, labelLayout
import { CanvasRenderer } from "echarts/renderers";

echarts.use([
  BarChart,
  LineChart,
  PieChart,
  AriaComponent,
  DatasetComponent,
  GridComponent,
  LegendComponent,
  MarkLineComponent,
  TitleComponent,
  TooltipComponent,
  LabelLayout,
  CanvasRenderer,
]);

globalThis.echarts = echarts;
