// Classifier evaluation over a dataset with the integer executor (quantized graphs) or the float executor. Batches are contiguous slices of the
// dataset tensor, so evaluation copies each batch once and allocates nothing per batch beyond that.
#include "tinyopt/exec/evaluate.h"

#include <chrono>
#include <vector>

#include "tinyopt/core/error.h"
#include "tinyopt/exec/float_executor.h"
#include "tinyopt/exec/integer_executor.h"
#include "tinyopt/exec/integer_program.h"

namespace tinyopt {

void check_dataset_fits_model(const Graph& graph, const Dataset& data) {
  if (graph.inputs.empty()) throw_bad_input("model has no inputs");
  const Shape& want = graph.value(graph.inputs[0]).shape;
  const Shape& have = data.x.shape();
  const Shape want_sample(want.begin() + (want.empty() ? 0 : 1), want.end());
  const Shape have_sample(have.begin() + 1, have.end());
  bool fits = want_sample.size() == have_sample.size();
  for (size_t i = 0; fits && i < want_sample.size(); ++i) fits = want_sample[i] < 0 || want_sample[i] == have_sample[i];
  if (!fits)
    throw_bad_input("dataset '" + data.name + "' has samples of shape " + shape_str(have_sample) + ", but model input '" +
                    graph.inputs[0] + "' expects " + shape_str(want_sample) + "; use data that matches the model");
}

namespace {

template <class Executor>
EvalResult evaluate_with(Executor& exec, const Graph& graph, const Dataset& data, int64_t batch) {
  const int64_t n = data.x.dim(0);
  int64_t correct = 0;
  const auto start = std::chrono::steady_clock::now();
  BatchIterator batches(data, batch, /*shuffle=*/false, /*seed=*/0);
  Tensor x;
  std::vector<int32_t> y;
  while (batches.next(x, y)) {
    const int64_t b = x.dim(0);
    const std::vector<Tensor> out = exec.run({x});
    const Tensor& logits = out.at(0);
    if (logits.rank() != 2 || logits.dim(0) != b)
      throw_bad_input("model output '" + graph.outputs.at(0) + "' has shape " + shape_str(logits.shape()) +
                      "; a classifier must output (batch, classes)");
    const int64_t classes = logits.dim(1);
    const float* p = logits.data<float>();
    for (int64_t i = 0; i < b; ++i) {
      int64_t best = 0;
      for (int64_t c = 1; c < classes; ++c)
        if (p[i * classes + c] > p[i * classes + best]) best = c;
      correct += best == y[static_cast<size_t>(i)];
    }
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EvalResult r;
  r.samples = n;
  r.accuracy = n ? static_cast<double>(correct) / static_cast<double>(n) : 0.0;
  r.images_per_s = seconds > 0 ? static_cast<double>(n) / seconds : 0.0;
  return r;
}

}  // namespace

EvalResult evaluate_classifier(const Graph& graph, const Dataset& data, int64_t batch, int threads) {
  check_dataset_fits_model(graph, data);
  if (data.y.empty()) throw_bad_input("dataset '" + data.name + "' has no labels; accuracy needs labels");
  if (is_quantized(graph)) {
    IntegerExecutor exec(graph, IntegerExecOptions{threads});
    EvalResult r = evaluate_with(exec, graph, data, batch);
    r.executor = "integer";
    return r;
  }
  FloatExecutor exec(graph, ExecOptions{threads});
  return evaluate_with(exec, graph, data, batch);
}

}  // namespace tinyopt
