// emulate_model (emulate.h): codegen for the target into the work folder, then the project on the device,
// and the integer executor on the same samples as the reference.
#include <algorithm>

#include "emulate/project_run.h"
#include "emulate/sample_inputs.h"
#include "tinyopt/codegen/codegen.h"
#include "tinyopt/core/error.h"
#include "tinyopt/emulate/emulate.h"
#include "tinyopt/exec/integer_executor.h"
#include "tinyopt/target/target.h"

namespace tinyopt {
namespace {

// The integer executor's int8 outputs, sample by sample (batch 1 each: graph inputs may fix the batch).
std::string reference_outputs(const Graph& qdq, const Tensor& x) {
  IntegerExecutor exec(qdq);
  std::string bytes;
  const int64_t n = x.dim(0), per = x.numel() / n;
  Shape one = x.shape();
  one[0] = 1;
  for (int64_t s = 0; s < n; ++s) {
    Tensor sample(DType::kF32, one);
    std::copy_n(x.data<float>() + s * per, per, sample.data<float>());
    const std::vector<Tensor> out = exec.run_integer({sample});
    if (out.empty() || out[0].dtype() != DType::kI8)
      throw_bad_input("emulate needs one int8 graph output (the integer executor gave another)");
    bytes.append(reinterpret_cast<const char*>(out[0].bytes()), out[0].nbytes());
  }
  return bytes;
}

// The codegen target of an emulated platform: the built-in target of that name (data/targets), whose
// features pick the kernel variants (dsp on Cortex-M4/M7, neon on the A72). The Pi 5 has no target file
// of its own: it is the Pi 4's with the A76's SDOT. The platform, not the target file, says how the
// emulated build is compiled, so its toolchain wins. reference: no optimized variants at all.
Target codegen_target(const emulate::EmuPlatform& platform, bool reference) {
  Target t;
  if (platform.kind == emulate::EmuKind::kHost) {
    t = host_target();
  } else if (platform.name == "rpi5") {
    t = load_target("rpi4");
    t.name = platform.name;
    t.core = "cortex-a76";
    t.features.push_back("sdot");
  } else {
    t = load_target(platform.name);
  }
  t.toolchain = {platform.cc, platform.cflags, platform.emulator, platform.emulator_args};
  if (reference) t.features.clear();
  return t;
}

}  // namespace

EmulateResult emulate_model(const Graph& qdq, const std::string& model_name, const EmulateOptions& options) {
  using namespace emulate;
  const EmuPlatform platform = emu_platform(options.target);
  require_tools(platform);
  if (qdq.inputs.size() != 1) throw_bad_input("emulate needs a model with one input");
  const Target target = codegen_target(platform, options.reference_kernels);
  WorkDir work(options.keep_dir);
  const std::string project_dir = work.path() + "/project";
  generate_c_project(qdq, target, project_dir);
  const ProjectManifest project = read_manifest(project_dir);
  const Shape& in_shape = qdq.value(qdq.inputs[0]).shape;
  if (in_shape.empty()) throw_bad_input("emulate needs an input with a batch axis");
  const SampleInputs samples = sample_inputs(options, Shape(in_shape.begin() + 1, in_shape.end()));
  const std::string inputs =
      quantize_samples(samples.x, project.input_scale, project.input_zero_point, project.input_size);
  const ProjectRun device = run_project(platform, project, inputs, work.path() + "/" + platform.name);
  const std::string reference = reference_outputs(qdq, samples.x);
  if (reference.size() != device.outputs.size())
    throw_internal("the integer executor gave " + std::to_string(reference.size()) + " output bytes, the device " +
                   std::to_string(device.outputs.size()));
  EmulateResult result;
  result.target = platform.name;
  result.model = model_name;
  result.reference = "integer executor";
  summarize(project, device, reference, samples.labels, result);
  return result;
}

}  // namespace tinyopt
