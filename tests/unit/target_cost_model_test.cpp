// The cost model: per-layer cycles follow the target's coefficients for the kernel variant codegen picks on
// the target (recomputed here from the JSON: instruction terms x cycles per instruction, or the per-MAC form),
// the cost terms of a conv are what its shape says, totals add up, energy = power x latency, flash = weights +
// code, RAM = planned arena + stack, the arena being the generated firmware's; float models are estimated as their int8 version with a note; and the
// `estimate` verb prints the DESIGN.md keys and fails cleanly.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <cmath>
#include <map>
#include <nlohmann/json.hpp>

#include "support/test_support.h"
#include "tinyopt/arch/architectures.h"
#include "tinyopt/codegen/codegen.h"
#include "tinyopt/onnx/onnx_io.h"
#include "tinyopt/plan/arena_plan.h"
#include "tinyopt/target/cost_model.h"
#include "tinyopt/target/kernel_choice.h"
#include "unit/exec_integer_models.h"
#include "unit/plan_test_programs.h"

namespace tinyopt {
namespace {

TEST(TargetCostModel, LayersFollowTheTargetCoefficients) {
  const Graph qdq = testing::int8_architecture("ds-cnn");
  const IntegerProgram program = lower_qdq_graph(qdq);
  const Target m4 = load_target("cortex-m4");
  const nlohmann::json file = nlohmann::json::parse(testing::read_file(testing::source_dir() + "/data/targets/cortex-m4.json"));
  const Estimate e = estimate_program(program, m4);
  ASSERT_EQ(e.layers.size(), program.steps.size());
  IntegerProgram on_m4 = program;
  retarget_program(on_m4, m4);
  double cycles = 0;
  int64_t macs = 0, weights = 0;
  int pointwise = 0, boundary = 0;
  for (size_t i = 0; i < e.layers.size(); ++i) {
    const LayerEstimate& l = e.layers[i];
    if (l.cost_key.empty()) {  // the float boundary: outside tinyopt_model_invoke
      EXPECT_TRUE(program.steps[i].family == TOPT_FAMILY_quantize_s8 ||
                  program.steps[i].family == TOPT_FAMILY_dequantize_s8) << l.name;
      EXPECT_EQ(l.cycles, 0) << l.name;
      ++boundary;
      continue;
    }
    const nlohmann::json& c = file["kernel_costs"].at(l.cost_key);
    double want = c.value("fixed_cycles", 0.0) + c.value("cycles_per_mac", 0.0) * static_cast<double>(l.macs) +
                  c.value("cycles_per_byte", 0.0) * static_cast<double>(l.bytes);
    if (c.contains("instructions")) {
      double instructions = 0;
      for (const auto& [term, value] : cost_terms(program, program.steps[i]))
        instructions += c["instructions"].value(term, 0.0) * value;
      EXPECT_NEAR(l.instructions, instructions, 1e-9 * instructions) << l.name;
      EXPECT_GT(l.instructions, 0) << l.name;
      want = c.at("cycles_per_instruction").get<double>() * instructions;
    }
    EXPECT_NEAR(l.cycles, want, 1e-6 * want) << l.name;
    EXPECT_EQ(l.macs, program.steps[i].macs);
    if (program.steps[i].family == TOPT_FAMILY_conv2d_s8 || program.steps[i].family == TOPT_FAMILY_dwconv2d_s8 ||
        program.steps[i].family == TOPT_FAMILY_dense_s8) {
      EXPECT_EQ(l.cost_key.substr(l.cost_key.find('/')), "/dsp") << l.name << " runs the DSP kernel on a Cortex-M4";
      // priced as the kernel codegen calls on the M4 ("conv2d_c1x4_s8/dsp"), not as its family
      EXPECT_EQ(l.cost_key, kernel_class_of(on_m4.steps[i].kernel) + "/dsp") << l.name;
    }
    const auto* conv = std::get_if<topt_conv2d_params>(&program.steps[i].params);
    pointwise += program.steps[i].family == TOPT_FAMILY_conv2d_s8 && conv && topt_conv2d_is_pointwise(conv);
    cycles += l.cycles;
    macs += l.macs;
    weights += l.weight_bytes;
  }
  EXPECT_EQ(pointwise, 4);  // DS-CNN's four pointwise convolutions
  EXPECT_EQ(boundary, 2);   // quantize the input, dequantize the logits
  EXPECT_NEAR(e.cycles, cycles, 1e-9 * cycles);
  EXPECT_NEAR(e.latency_ms, cycles / 120e6 * 1e3, 1e-9 * e.latency_ms);
  EXPECT_NEAR(e.energy_uj, m4.active_power_mw * e.latency_ms, 1e-9 * e.energy_uj);
  EXPECT_EQ(e.macs, macs);
  EXPECT_NEAR(static_cast<double>(e.macs), 2'656'768.0, 0.02 * 2'656'768.0);  // REFERENCE-NUMBERS.md 1.1
  EXPECT_EQ(e.weight_bytes, weights);
  EXPECT_EQ(e.flash_bytes, e.weight_bytes + e.code_bytes);
  EXPECT_EQ(e.arena_bytes, static_cast<int64_t>(plan_arena(on_m4).arena_bytes));
  EXPECT_EQ(e.ram_bytes, e.arena_bytes + e.stack_bytes);
  EXPECT_TRUE(e.fits_flash());
  EXPECT_TRUE(e.fits_ram());
  // The same model is faster on the 280 MHz Cortex-M7 and uses the reference kernels on a Cortex-M0+.
  EXPECT_LT(estimate_program(program, load_target("cortex-m7")).latency_ms, e.latency_ms);
  const Estimate m0 = estimate_program(program, load_target("cortex-m0plus"));
  for (const LayerEstimate& l : m0.layers) {
    if (l.cost_key.empty()) continue;  // the float boundary
    EXPECT_EQ(l.cost_key.substr(l.cost_key.find('/')), "/ref") << l.name;
  }
  EXPECT_GT(m0.latency_ms, e.latency_ms);
}

// The estimated arena is the one the generated firmware declares for the same target: planned with the
// kernels codegen calls there and their scratch (the int4 DSP kernels unpack weight rows into scratch; the
// host's x86 kernels cache packed weights, fc-ae's DSP dense would need ~32 KB and codegen falls back),
// never the host's. Each step is priced as the variant codegen chose.
TEST(TargetCostModel, ArenaAndKernelsAreTheFirmwaresOnEveryTarget) {
  testing::TempDir dir;
  int differs_from_host = 0, fallbacks = 0;
  for (const int bits : {8, 4})
    for (const char* arch : {"fmnist-cnn", "ds-cnn", "fc-ae"}) {
      ArchOptions a;
      a.seed = 1;
      const Graph qdq = int8_version(build_architecture(arch, a), bits);
      const IntegerProgram host = lower_qdq_graph(qdq);
      for (const char* name : {"cortex-m4", "cortex-m7", "cortex-m0plus", "rpi4", "esp32s3"}) {
        const std::string what = fmt::format("{} w{} on {}", arch, bits, name);
        const Target target = load_target(name);
        const CodegenResult fw = generate_c_project(qdq, target, dir.file(fmt::format("{}-{}-{}", arch, bits, name)));
        const Estimate e = estimate_program(host, target);
        EXPECT_EQ(e.arena_bytes, static_cast<int64_t>(fw.arena_bytes)) << what;
        differs_from_host += e.arena_bytes != static_cast<int64_t>(plan_arena(host).arena_bytes);
        for (const CodegenStep& s : fw.steps) {
          const LayerEstimate& l = e.layers.at(static_cast<size_t>(s.step));
          if (l.cost_key.empty() || l.cost_key.rfind("default/", 0) == 0) continue;  // boundary; no own row
          const std::string variant = s.kernel.substr(s.kernel.rfind("__") + 2);
          if (target.kernel_costs.count(l.cost_key.substr(0, l.cost_key.find('/')) + "/" + variant)) {
            EXPECT_EQ(l.cost_key.substr(l.cost_key.find('/') + 1), variant) << what << ": " << s.kernel;
          }
          fallbacks += preferred_variant(target) != "ref" && variant == "ref" && s.macs > 0;
        }
      }
    }
  EXPECT_GT(differs_from_host, 0);  // otherwise the test could not tell the host's plan from the target's
  EXPECT_GT(fallbacks, 0);          // fc-ae's dense layers: codegen runs (and the estimate prices) the reference
}

TEST(TargetCostModel, CostTermsOfAConvFollowItsShape) {
  // resnet8's first conv: 3x3, 3 -> 16 channels, stride 1, pad 1, 32x32 (REFERENCE-NUMBERS.md 1.1).
  const IntegerProgram program = lower_qdq_graph(testing::int8_architecture("resnet8"));
  const IntegerStep* conv = nullptr;
  for (const IntegerStep& s : program.steps)
    if (s.family == TOPT_FAMILY_conv2d_s8 && !conv) conv = &s;
  ASSERT_NE(conv, nullptr);
  std::map<std::string, double> t;
  for (const auto& [name, value] : cost_terms(program, *conv)) t[name] = value;
  ASSERT_EQ(t.size(), cost_term_names().size());
  const double pixels = 32 * 32, window = 3 * 3;
  EXPECT_EQ(t["call"], 1);
  EXPECT_EQ(t["macs"], pixels * 16 * window * 3);
  EXPECT_EQ(t["outputs"], pixels * 16);
  EXPECT_EQ(t["inputs"], 32 * 32 * 3);
  EXPECT_EQ(t["pixels"], pixels);
  EXPECT_EQ(t["channels"], 16);
  EXPECT_EQ(t["taps"], pixels * 16 * window);
  EXPECT_EQ(t["pixel_taps"], pixels * window);
  EXPECT_EQ(t["gather"], pixels * window * 3);
}

TEST(TargetCostModel, FloatModelsAreEstimatedAsInt8) {
  const Graph f = testing::cnn_model(3);
  const Estimate e = estimate_model(f, load_target("cortex-m4"));
  ASSERT_FALSE(e.notes.empty());
  EXPECT_NE(e.notes.back().find("int8 version"), std::string::npos);
  EXPECT_GT(e.latency_ms, 0);
  EXPECT_GT(e.weight_bytes, 0);
}

TEST(TargetCostModel, EstimateVerb) {
  testing::TempDir dir;
  const std::string model = dir.file("q.onnx");
  save_onnx(testing::int8_architecture("fc-ae"), model);
  const auto r = testing::run_cli("estimate " + model + " --target cortex-m4 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  for (const char* key : {"target", "latency_ms", "energy_uj", "flash_bytes", "ram_bytes", "layers"})
    EXPECT_TRUE(j.contains(key)) << key;
  EXPECT_EQ(j["target"], "cortex-m4");
  EXPECT_GT(j["latency_ms"].get<double>(), 0);
  ASSERT_FALSE(j["layers"].empty());
  for (const char* key : {"name", "kernel", "macs", "cycles", "latency_ms", "weight_bytes"})
    EXPECT_TRUE(j["layers"][0].contains(key)) << key;
  const auto text = testing::run_cli("estimate " + model + " --target rpi4");
  EXPECT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("latency"), std::string::npos);
  const auto bad = testing::run_cli("estimate " + model + " --target cortex-m99");
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("unknown target 'cortex-m99'"), std::string::npos) << bad.err;
  EXPECT_EQ(testing::run_cli("estimate " + model).exit_code, 2);  // --target is required
}

}  // namespace
}  // namespace tinyopt
