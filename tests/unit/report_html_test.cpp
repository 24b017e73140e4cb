// The optimize report: on a hand-made search result, the HTML holds the three Pareto charts with the front
// and the chosen point, the budget table, the per-layer table, the stage times and what was not measured;
// a chart whose metric is missing says so; it is self-contained (no scripts, nothing fetched); and headless
// Chromium renders it with the charts present (skipped when chromium is not installed).
#include <gtest/gtest.h>

#include <filesystem>

#include "support/test_support.h"
#include "tinyopt/report/report_html.h"
#include "tinyopt/report/svg_scatter.h"
#include "tinyopt/target/target.h"

namespace tinyopt::report {
namespace {

using search::Candidate;
using search::Metrics;

size_t count(const std::string& s, const std::string& needle) {
  size_t n = 0;
  for (size_t p = s.find(needle); p != std::string::npos; p = s.find(needle, p + 1)) ++n;
  return n;
}

const Target& cortex_m4() {
  static const Target t = load_target("cortex-m4");
  return t;
}

search::OptimizeResult sample_result(bool with_cost_model) {
  search::OptimizeResult r;
  if (with_cost_model) r.options.target = &cortex_m4();
  r.options.model_name = "teacher.onnx";
  r.options.data_name = "fashion-mnist";
  r.options.target_name = "cortex-m4";
  r.options.budgets.max_flash_bytes = 65536;
  r.options.budgets.min_accuracy = 0.9;
  r.teacher = {141098, 21903104, 564392, 0.935};
  const double acc[] = {0.934, 0.929, 0.925, 0.921, 0.88};
  const int64_t bytes[] = {141128, 71224, 36000, 19000, 10000};
  for (int i = 0; i < 5; ++i) {
    Candidate c;
    c.spec = {i, i < 2 ? 1.0 : 0.5, i % 2 ? search::WeightPolicy::kInt4 : search::WeightPolicy::kInt8};
    c.metrics.accuracy = acc[i];
    c.metrics.weight_bytes = bytes[i];
    if (with_cost_model) {
      c.metrics.flash_bytes = bytes[i] + 6000;
      c.metrics.ram_bytes = 20000;
      c.metrics.latency_ms = 180.0 / (i + 1);
      c.metrics.energy_uj = 5000.0 / (i + 1);
    }
    c.layers.push_back({"conv1", "Conv", i % 2 ? 4 : 8, 32, 16, 100000, 200,
                        with_cost_model ? std::optional<double>(i % 2 ? 3e5 : 1.5e5) : std::nullopt,
                        with_cost_model ? (i % 2 ? "conv2d_s8w4/dsp" : "conv2d_s8/dsp") : ""});
    c.stages.push_back({"quantize", "PTQ W8A8 <calibrated>", 1.5, false});
    r.candidates.push_back(c);
  }
  search::select_best(r);
  if (!with_cost_model) r.missing.push_back("cost model: not in this build");
  return r;
}

TEST(ReportHtml, HoldsChartsTablesAndBudgets) {
  search::OptimizeResult r = sample_result(true);
  ASSERT_TRUE(r.best);
  search::DeviceCheck d;
  d.firmware_dir = "out/firmware";
  d.emulated = true;
  d.platform = "cortex-m4: qemu-system-arm -M mps2-an386";
  d.samples = d.identical = 100;
  d.host_accuracy = 0.93;
  d.device_accuracy = 0.93;
  d.flash_bytes = 27000;
  d.estimated_flash_bytes = 26000;
  r.device = d;
  const std::string html = render_report_html(r);
  EXPECT_EQ(count(html, "class=\"pareto-chart\""), 3u);
  for (const char* id : {"chart-acc-latency", "chart-acc-flash", "chart-acc-energy", "id=\"candidates\"", "id=\"layers\"",
                         "id=\"stages\"", "id=\"chosen\"", "id=\"device-accuracy\"", "id=\"device-measured\"",
                         "id=\"why-target\"", "id=\"bits\"", "<b class=\"met\">100 of 100</b>", "26.4 KiB", "25.4 KiB",
                         "<code>conv2d_s8/dsp</code>", "multiple of <b>4</b> channels"})
    EXPECT_NE(html.find(id), std::string::npos) << id;
  EXPECT_EQ(count(html, "class=\"chosen\""), 3u);  // ringed once per chart
  EXPECT_NE(html.find("flash &lt;= 64.0 KiB"), std::string::npos);
  EXPECT_NE(html.find("PTQ W8A8 &lt;calibrated&gt;"), std::string::npos);  // escaped
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("http://"), html.find("http://www.w3.org/2000/svg"));  // only the SVG namespace
  EXPECT_EQ(html.find("https://"), std::string::npos);
}

TEST(ReportHtml, SaysWhatWasNotMeasured) {
  const std::string html = render_report_html(sample_result(false));
  EXPECT_EQ(count(html, "class=\"pareto-chart\""), 1u);  // size (weight bytes) only
  EXPECT_NE(html.find("accuracy vs latency (ms): not available"), std::string::npos);
  EXPECT_NE(html.find("accuracy vs energy (µJ): not available"), std::string::npos);
  EXPECT_NE(html.find("cost model: not in this build"), std::string::npos);
  EXPECT_NE(html.find("unchecked"), std::string::npos);  // the flash budget could not be checked
  EXPECT_NE(html.find("Not run"), std::string::npos);
}

TEST(ReportHtml, DeviceCheckOfATargetWithoutEmulatorSaysNotMeasured) {
  search::OptimizeResult r = sample_result(true);
  search::DeviceCheck d;
  d.firmware_dir = "out/firmware";
  d.not_measured = "esp32s3 has no emulator in tinyopt";
  r.device = d;
  const std::string html = render_report_html(r);
  EXPECT_NE(html.find("Not measured: esp32s3 has no emulator in tinyopt"), std::string::npos);
  EXPECT_EQ(html.find("id=\"device-measured\""), std::string::npos);  // no measured figures, none guessed
}

TEST(ReportHtml, NiceTicksCoverTheRange) {
  EXPECT_EQ(nice_ticks(0, 10, 5), (std::vector<double>{0, 2, 4, 6, 8, 10}));
  const std::vector<double> t = nice_ticks(0.873, 0.941, 5);
  ASSERT_GE(t.size(), 3u);
  EXPECT_GE(t.front(), 0.873);
  EXPECT_LE(t.back(), 0.941);
  EXPECT_EQ(html_escape("a<b&\"c\">"), "a&lt;b&amp;&quot;c&quot;&gt;");
}

TEST(ReportHtml, RendersInHeadlessChromium) {
  if (testing::run_command("command -v chromium").exit_code != 0) GTEST_SKIP() << "chromium is not installed";
  testing::TempDir dir;
  const std::string path = dir.file("report.html");
  testing::write_file(path, render_report_html(sample_result(true)));
  const testing::CommandResult r = testing::run_command(
      "timeout 120 chromium --headless --no-sandbox --disable-gpu --user-data-dir=" + dir.file("profile") +
      " --dump-dom file://" + path + " 2>/dev/null");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // The DOM Chromium built: three SVG charts with their points and the chosen ring.
  EXPECT_EQ(count(r.out, "class=\"pareto-chart\""), 3u) << r.out.substr(0, 400);
  EXPECT_GE(count(r.out, "<circle class=\"point"), 15u);
  EXPECT_EQ(count(r.out, "class=\"chosen\""), 3u);
  EXPECT_NE(r.out.find("<table id=\"layers\">"), std::string::npos);
}

}  // namespace
}  // namespace tinyopt::report
