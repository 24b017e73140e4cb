// Inline SVG scatter plots for the optimize report (svg_scatter.h).
#include "tinyopt/report/svg_scatter.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace tinyopt::report {

std::string html_escape(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::vector<double> nice_ticks(double lo, double hi, int count) {
  if (!(hi > lo)) return {lo};
  const double raw = (hi - lo) / std::max(1, count);
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = mag;
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * mag >= raw) {
      step = m * mag;
      break;
    }
  std::vector<double> ticks;
  for (double t = std::ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.push_back(std::abs(t) < step * 1e-9 ? 0 : t);
  return ticks;
}

namespace {

constexpr double kWidth = 480, kHeight = 320;
constexpr double kLeft = 64, kRight = 16, kTop = 34, kBottom = 48;

struct Axis {
  double lo, hi, px_lo, px_hi;
  double at(double v) const { return px_lo + (v - lo) / (hi - lo) * (px_hi - px_lo); }
};

Axis make_axis(const std::vector<double>& values, double px_lo, double px_hi) {
  double lo = *std::min_element(values.begin(), values.end());
  double hi = *std::max_element(values.begin(), values.end());
  const double pad = hi > lo ? (hi - lo) * 0.08 : std::max(std::abs(hi) * 0.05, 1e-9);
  return {lo - pad, hi + pad, px_lo, px_hi};
}

std::string tick_text(double v) {
  const double a = std::abs(v);
  if (a >= 1e6) return fmt::format("{:g}M", v / 1e6);
  if (a >= 1e4) return fmt::format("{:g}k", v / 1e3);
  return fmt::format("{:g}", v);
}

}  // namespace

std::string render_scatter_svg(const ScatterChart& chart) {
  std::string s = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"pareto-chart\" id=\"{}\" width=\"{}\" height=\"{}\" "
      "viewBox=\"0 0 {} {}\" role=\"img\" aria-label=\"{}\">\n",
      html_escape(chart.id), kWidth, kHeight, kWidth, kHeight, html_escape(chart.title));
  s += fmt::format("<text x=\"{}\" y=\"20\" font-size=\"14\" font-weight=\"bold\">{}</text>\n", kLeft,
                   html_escape(chart.title));
  if (chart.points.empty()) return s + "<text x=\"80\" y=\"160\">no points</text></svg>\n";
  std::vector<double> xs, ys;
  for (const ScatterPoint& p : chart.points) xs.push_back(p.x), ys.push_back(p.y);
  const Axis ax = make_axis(xs, kLeft, kWidth - kRight);
  const Axis ay = make_axis(ys, kHeight - kBottom, kTop);
  // Frame, ticks and grid.
  s += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#444\"/>\n", kLeft, kTop,
                   kWidth - kLeft - kRight, kHeight - kTop - kBottom);
  for (double t : nice_ticks(ax.lo, ax.hi, 5)) {
    const double x = ax.at(t);
    s += fmt::format("<line x1=\"{0:.1f}\" y1=\"{1}\" x2=\"{0:.1f}\" y2=\"{2}\" stroke=\"#ddd\"/>"
                     "<text x=\"{0:.1f}\" y=\"{3}\" font-size=\"10\" text-anchor=\"middle\">{4}</text>\n",
                     x, kTop, kHeight - kBottom, kHeight - kBottom + 14, tick_text(t));
  }
  for (double t : nice_ticks(ay.lo, ay.hi, 5)) {
    const double y = ay.at(t);
    s += fmt::format("<line x1=\"{1}\" y1=\"{0:.1f}\" x2=\"{2}\" y2=\"{0:.1f}\" stroke=\"#ddd\"/>"
                     "<text x=\"{3}\" y=\"{4:.1f}\" font-size=\"10\" text-anchor=\"end\">{5}</text>\n",
                     y, kLeft, kWidth - kRight, kLeft - 4, y + 3, tick_text(t));
  }
  s += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"12\" text-anchor=\"middle\">{}</text>\n", (kLeft + kWidth - kRight) / 2,
                   kHeight - 12, html_escape(chart.x_label));
  s += fmt::format("<text x=\"14\" y=\"{0}\" font-size=\"12\" text-anchor=\"middle\" transform=\"rotate(-90 14 {0})\">{1}</text>\n",
                   (kTop + kHeight - kBottom) / 2, html_escape(chart.y_label));
  // The front as a line through its points in x order.
  std::vector<const ScatterPoint*> front;
  for (const ScatterPoint& p : chart.points)
    if (p.on_front) front.push_back(&p);
  std::sort(front.begin(), front.end(), [](const ScatterPoint* a, const ScatterPoint* b) { return a->x < b->x; });
  if (front.size() > 1) {
    s += "<polyline class=\"front-line\" fill=\"none\" stroke=\"#1f77b4\" stroke-dasharray=\"4 3\" points=\"";
    for (const ScatterPoint* p : front) s += fmt::format("{:.1f},{:.1f} ", ax.at(p->x), ay.at(p->y));
    s += "\"/>\n";
  }
  for (const ScatterPoint& p : chart.points) {
    const double x = ax.at(p.x), y = ay.at(p.y);
    const char* color = p.on_front ? "#1f77b4" : "#999";
    s += fmt::format("<circle class=\"{}\" cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"5\" fill=\"{}\" stroke=\"{}\"><title>{}</title></circle>\n",
                     p.on_front ? "point front" : "point", x, y, p.feasible ? color : "white", color, html_escape(p.label));
    if (p.chosen)
      s += fmt::format("<circle class=\"chosen\" cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"10\" fill=\"none\" stroke=\"#d62728\" "
                       "stroke-width=\"2.5\"><title>chosen: {}</title></circle>\n",
                       x, y, html_escape(p.label));
  }
  return s + "</svg>\n";
}

}  // namespace tinyopt::report
