// emulate_project (emulate.h): a generated folder on its own. Without the model, the reference is the
// same sources built for the host: it proves the device computes what the host computes from the very
// same C, which is the firmware half of the bit-exactness chain (the integer executor half needs the model).

#include "emulate/project_run.h"
#include "emulate/sample_inputs.h"
#include "tinyopt/core/error.h"
#include "tinyopt/emulate/emulate.h"

namespace tinyopt {

EmulateResult emulate_project(const std::string& dir, const EmulateOptions& options) {
  using namespace emulate;
  const EmuPlatform platform = emu_platform(options.target);
  if (options.reference_kernels)
    throw_usage("reference kernels need the model: a generated folder's kernels were chosen by codegen");
  require_tools(platform);
  const ProjectManifest project = read_manifest(dir);
  const SampleInputs samples = sample_inputs(options, {project.input_size});
  const std::string inputs = quantize_samples(samples.x, project.input_scale, project.input_zero_point,
                                              project.input_size);
  WorkDir work(options.keep_dir);
  const ProjectRun device = run_project(platform, project, inputs, work.path() + "/" + platform.name);
  const ProjectRun host = run_project(emu_platform("host"), project, inputs, work.path() + "/host");
  EmulateResult result;
  result.target = platform.name;
  result.model = dir;
  result.reference = "host build of the project";
  summarize(project, device, host.outputs, samples.labels, result);
  return result;
}

}  // namespace tinyopt
