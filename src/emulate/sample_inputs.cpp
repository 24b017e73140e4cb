// sample_inputs, require_tools and WorkDir (see sample_inputs.h).
#include "emulate/sample_inputs.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <random>

#include "tinyopt/core/error.h"
#include "tinyopt/data/dataset.h"

namespace tinyopt::emulate {

namespace fs = std::filesystem;

SampleInputs sample_inputs(const EmulateOptions& options, const Shape& sample_shape) {
  if (options.samples < 1) throw_usage("--samples must be at least 1");
  int64_t per_sample = 1;
  for (int64_t d : sample_shape) per_sample *= d;
  SampleInputs s;
  if (options.inputs) {
    const Tensor& x = *options.inputs;
    if (x.dtype() != DType::kF32 || x.rank() < 1 || x.dim(0) < 1 || x.numel() / x.dim(0) != per_sample)
      throw_bad_input("the given samples " + shape_str(x.shape()) + " do not match the model's input of " +
                      std::to_string(per_sample) + " float values per sample");
    const int64_t n = std::min(options.samples, x.dim(0));
    Shape shape = {n};
    shape.insert(shape.end(), sample_shape.begin(), sample_shape.end());
    s.x = Tensor(DType::kF32, shape);
    std::copy_n(x.data<float>(), s.x.numel(), s.x.data<float>());
    s.labels.assign(options.labels.begin(), options.labels.begin() + std::min<int64_t>(n, std::ssize(options.labels)));
    return s;
  }
  if (options.data.empty()) {
    Shape shape = {options.samples};
    shape.insert(shape.end(), sample_shape.begin(), sample_shape.end());
    s.x = Tensor(DType::kF32, shape);
    std::mt19937_64 gen(options.seed);
    std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
    for (float& v : s.x.span<float>()) v = uniform(gen);
    return s;
  }
  const Dataset all = load_dataset(options.data, options.train_split ? Split::kTrain : Split::kTest);
  const Dataset data = take(all, options.samples);
  if (data.size() == 0) throw_bad_input(options.data + ": no samples");
  if (data.x.numel() / data.size() != per_sample)
    throw_bad_input(options.data + ": a sample has " + std::to_string(data.x.numel() / data.size()) +
                    " values, the model's input " + std::to_string(per_sample));
  Shape shape = {data.size()};
  shape.insert(shape.end(), sample_shape.begin(), sample_shape.end());
  s.x = data.x.reshaped(shape);
  s.labels = data.y;
  return s;
}

void require_tools(const EmuPlatform& platform) {
  std::string tools;
  for (const std::string& t : missing_tools(platform)) tools += (tools.empty() ? "" : ", ") + t;
  if (!tools.empty())
    throw_bad_input(platform.name + " emulation needs " + tools + " (install with scripts/install-deps.sh)");
}

WorkDir::WorkDir(const std::string& keep_dir) {
  if (!keep_dir.empty()) {
    fs::create_directories(keep_dir);
    path_ = fs::absolute(keep_dir).string();
    return;
  }
  std::string templ = (fs::temp_directory_path() / "tinyopt-emulate-XXXXXX").string();
  if (mkdtemp(templ.data()) == nullptr) throw_bad_input("cannot create a temporary folder");
  path_ = templ;
  remove_ = true;
}

WorkDir::~WorkDir() {
  if (!remove_) return;
  std::error_code ec;
  fs::remove_all(path_, ec);
}

}  // namespace tinyopt::emulate
