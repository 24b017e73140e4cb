// `tinyopt inspect` shows the memory plan of a quantized model (arena, naive, lower bound; text and
// --json keys arena_bytes, arena_naive_bytes, arena_lower_bound_bytes) and none for a float model.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "support/test_support.h"
#include "tinyopt/onnx/onnx_io.h"
#include "tinyopt/plan/arena_plan.h"
#include "unit/exec_integer_models.h"
#include "unit/plan_test_programs.h"

namespace tinyopt {
namespace {

TEST(PlanInspect, QuantizedModelsShowTheirArena) {
  testing::TempDir dir;
  const Graph qdq = testing::quantized_architecture("ds-cnn");
  save_onnx(qdq, dir.file("q.onnx"));
  const ArenaPlan plan = plan_arena(lower_qdq_graph(load_onnx(dir.file("q.onnx"))));
  const auto r = testing::run_cli("inspect " + dir.file("q.onnx") + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j.at("arena_bytes").get<size_t>(), plan.arena_bytes);
  EXPECT_EQ(j.at("arena_naive_bytes").get<size_t>(), plan.naive_bytes);
  EXPECT_EQ(j.at("arena_lower_bound_bytes").get<size_t>(), plan.lower_bound_bytes);
  EXPECT_LE(plan.lower_bound_bytes, plan.arena_bytes);
  const auto text = testing::run_cli("inspect " + dir.file("q.onnx"));
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("arena " + std::to_string(plan.arena_bytes) + " bytes (naive " +
                          std::to_string(plan.naive_bytes) + ", lower bound " + std::to_string(plan.lower_bound_bytes)),
            std::string::npos)
      << text.out;

  save_onnx(testing::cnn_model(1), dir.file("f.onnx"));
  const auto f = testing::run_cli("inspect " + dir.file("f.onnx") + " --json");
  ASSERT_EQ(f.exit_code, 0) << f.err;
  EXPECT_FALSE(nlohmann::json::parse(f.out).contains("arena_bytes"));
}

}  // namespace
}  // namespace tinyopt
