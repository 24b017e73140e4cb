// A scatter plot as inline SVG text for the optimize report: points, the Pareto front as a step line, the
// chosen point marked, axes with rounded ticks, a <title> tooltip per point. Self-contained (no scripts, no
// fonts or styles from the network); it knows nothing about candidates, only points.
#pragma once

#include <string>
#include <vector>

namespace tinyopt::report {

struct ScatterPoint {
  double x = 0, y = 0;
  std::string label;     // tooltip text
  bool on_front = false;
  bool chosen = false;
  bool feasible = true;  // drawn hollow when false
};

struct ScatterChart {
  std::string id;        // element id, e.g. "chart-acc-flash"
  std::string title;
  std::string x_label, y_label;
  std::vector<ScatterPoint> points;
  bool front_lower_x_better = true;  // the step line joins front points sorted by x
};

// An <svg> element (width 480, height 320) with class "pareto-chart".
std::string render_scatter_svg(const ScatterChart& chart);

// Tick positions covering [lo, hi] at a 1-2-5 step, about `count` of them.
std::vector<double> nice_ticks(double lo, double hi, int count);

// &, <, >, " escaped for HTML text and attributes.
std::string html_escape(const std::string& s);

}  // namespace tinyopt::report
