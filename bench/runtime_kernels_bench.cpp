// Benchmark of the runtime's kernel variants on real MLPerf Tiny layer shapes (DS-CNN keyword spotting,
// ResNet-8 image classification, MobileNetV1-0.25 visual wake words, FC autoencoder): every kernel of the
// layer's family that supports the shape (taken from the kernel table, so new variants appear
// automatically) is timed in the same run, and its speedup over the family reference is printed.
// Outputs are checked to be identical to the reference's before timing.
//
// Usage: runtime_kernels_bench [--json FILE] [--min-time SECONDS]
// Timing: the minimum over 7 rounds of the mean time per call within a round (each round >= min-time/7),
// single thread. Not a test: numbers depend on the machine and its load.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "tinyopt_rt_registry.h"

namespace {

enum class Kind { kConv, kDepthwise, kDense };

struct Layer {
  const char* model;
  const char* name;
  Kind kind;
  int32_t h, w, cin, cout, k, stride, pad;  // square kernel, symmetric padding (dense: cin -> cout)
};

// Layer shapes of the MLPerf Tiny v1.0 reference models.
const Layer kLayers[] = {
    {"ds-cnn", "conv1 10x4 s2 1->64 @49x10", Kind::kConv, 49, 10, 1, 64, 0, 2, 0},
    {"ds-cnn", "dw 3x3 64ch @25x5", Kind::kDepthwise, 25, 5, 64, 64, 3, 1, 1},
    {"ds-cnn", "pw 1x1 64->64 @25x5", Kind::kConv, 25, 5, 64, 64, 1, 1, 0},
    {"ds-cnn", "fc 64->12", Kind::kDense, 1, 1, 64, 12, 1, 1, 0},
    {"resnet8", "conv 3x3 3->16 @32x32", Kind::kConv, 32, 32, 3, 16, 3, 1, 1},
    {"resnet8", "conv 3x3 16->16 @32x32", Kind::kConv, 32, 32, 16, 16, 3, 1, 1},
    {"resnet8", "conv 3x3 s2 16->32 @32x32", Kind::kConv, 32, 32, 16, 32, 3, 2, 1},
    {"resnet8", "shortcut 1x1 s2 16->32 @32x32", Kind::kConv, 32, 32, 16, 32, 1, 2, 0},
    {"resnet8", "conv 3x3 64->64 @8x8", Kind::kConv, 8, 8, 64, 64, 3, 1, 1},
    {"mobilenetv1-0.25", "dw 3x3 8ch @48x48", Kind::kDepthwise, 48, 48, 8, 8, 3, 1, 1},
    {"mobilenetv1-0.25", "pw 1x1 8->16 @48x48", Kind::kConv, 48, 48, 8, 16, 1, 1, 0},
    {"mobilenetv1-0.25", "dw 3x3 s2 32ch @24x24", Kind::kDepthwise, 24, 24, 32, 32, 3, 2, 1},
    {"mobilenetv1-0.25", "pw 1x1 128->128 @6x6", Kind::kConv, 6, 6, 128, 128, 1, 1, 0},
    {"fc-autoencoder", "fc 640->128", Kind::kDense, 1, 1, 640, 128, 1, 1, 0},
    {"fc-autoencoder", "fc 128->128", Kind::kDense, 1, 1, 128, 128, 1, 1, 0},
};

// DS-CNN's first conv has a 10x4 kernel; the table's square k = 0 marks it.
void kernel_size(const Layer& l, int32_t* kh, int32_t* kw, int32_t* pt, int32_t* pl) {
  if (l.k == 0) {
    *kh = 10, *kw = 4, *pt = 4, *pl = 1;
  } else {
    *kh = *kw = l.k;
    *pt = *pl = l.pad;
  }
}

struct Data {
  std::vector<int8_t> input, weights, output;
  std::vector<int32_t> bias, multiplier, shift;
  topt_conv2d_params conv{};
  topt_dwconv2d_params dw{};
  topt_dense_params dense{};
  int64_t macs = 0;
};

Data make_data(const Layer& l) {
  Data d;
  std::mt19937 gen(1234);
  std::uniform_int_distribution<int> byte(-128, 127);
  int32_t kh, kw, pt, pl;
  kernel_size(l, &kh, &kw, &pt, &pl);
  const int32_t oh = (l.h + 2 * pt - kh) / l.stride + 1, ow = (l.w + 2 * pl - kw) / l.stride + 1;
  const int32_t cout = l.kind == Kind::kDepthwise ? l.cin : l.cout;
  d.input.resize(static_cast<size_t>(l.h) * l.w * l.cin);
  for (auto& v : d.input) v = static_cast<int8_t>(byte(gen));
  const size_t wcount = l.kind == Kind::kDepthwise ? static_cast<size_t>(kh) * kw * cout
                                                   : static_cast<size_t>(cout) * kh * kw * l.cin;
  d.weights.resize(wcount);
  for (auto& v : d.weights) v = static_cast<int8_t>(byte(gen));
  d.bias.assign(static_cast<size_t>(cout), 1000);
  d.multiplier.assign(static_cast<size_t>(cout), 1518500250);
  d.shift.assign(static_cast<size_t>(cout), -10);
  const topt_channel_quant q{-3, 5, -128, 127, d.multiplier.data(), d.shift.data()};
  const topt_window2d win{{1, l.h, l.w, l.cin}, {1, oh, ow, cout}, kh, kw, l.stride, l.stride, 1, 1, pt, pl};
  d.conv = topt_conv2d_params{win, q};
  d.dw = topt_dwconv2d_params{win, 1, q};
  d.dense = topt_dense_params{1, l.cin, l.cout, q};
  d.output.resize(l.kind == Kind::kDense ? static_cast<size_t>(l.cout) : static_cast<size_t>(oh) * ow * cout);
  d.macs = l.kind == Kind::kDense ? int64_t{l.cin} * l.cout
           : l.kind == Kind::kDepthwise ? int64_t{oh} * ow * cout * kh * kw
                                        : int64_t{oh} * ow * cout * kh * kw * l.cin;
  return d;
}

// Calls kernel k (of the layer's family) once on d; returns its status.
topt_status call(const topt_kernel_info& k, Kind kind, Data& d, std::vector<uint8_t>& scratch, int8_t* out) {
  switch (kind) {
    case Kind::kConv:
      return reinterpret_cast<topt_conv2d_s8_fn*>(k.run)(&d.conv, d.input.data(), d.weights.data(), d.bias.data(),
                                                          out, scratch.data());
    case Kind::kDepthwise:
      return reinterpret_cast<topt_dwconv2d_s8_fn*>(k.run)(&d.dw, d.input.data(), d.weights.data(), d.bias.data(),
                                                            out, scratch.data());
    case Kind::kDense:
      return reinterpret_cast<topt_dense_s8_fn*>(k.run)(&d.dense, d.input.data(), d.weights.data(), d.bias.data(),
                                                         out, scratch.data());
  }
  return TOPT_ERR_UNSUPPORTED;
}

bool supports(const topt_kernel_info& k, Kind kind, const Data& d, size_t* scratch) {
  switch (kind) {
    case Kind::kConv:
      *scratch = reinterpret_cast<topt_conv2d_s8_scratch_bytes_fn*>(k.scratch_bytes)(&d.conv);
      return reinterpret_cast<topt_conv2d_s8_supports_fn*>(k.supports)(&d.conv);
    case Kind::kDepthwise:
      *scratch = reinterpret_cast<topt_dwconv2d_s8_scratch_bytes_fn*>(k.scratch_bytes)(&d.dw);
      return reinterpret_cast<topt_dwconv2d_s8_supports_fn*>(k.supports)(&d.dw);
    case Kind::kDense:
      *scratch = reinterpret_cast<topt_dense_s8_scratch_bytes_fn*>(k.scratch_bytes)(&d.dense);
      return reinterpret_cast<topt_dense_s8_supports_fn*>(k.supports)(&d.dense);
  }
  return false;
}

topt_family family_of(Kind kind) {
  return kind == Kind::kConv ? TOPT_FAMILY_conv2d_s8
         : kind == Kind::kDepthwise ? TOPT_FAMILY_dwconv2d_s8 : TOPT_FAMILY_dense_s8;
}

double seconds_per_call(const std::function<void()>& f, double min_time) {
  using clock = std::chrono::steady_clock;
  f();  // warm up
  int64_t iters = 1;
  for (;;) {  // calibrate: a round lasts at least min_time / 7
    const auto t0 = clock::now();
    for (int64_t i = 0; i < iters; ++i) f();
    const double dt = std::chrono::duration<double>(clock::now() - t0).count();
    if (dt >= min_time / 7) break;
    iters *= 2;
  }
  double best = 1e30;
  for (int round = 0; round < 7; ++round) {
    const auto t0 = clock::now();
    for (int64_t i = 0; i < iters; ++i) f();
    best = std::min(best, std::chrono::duration<double>(clock::now() - t0).count() / static_cast<double>(iters));
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  std::string json_path;
  double min_time = 0.5;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--json") && i + 1 < argc) json_path = argv[++i];
    else if (!std::strcmp(argv[i], "--min-time") && i + 1 < argc) min_time = std::atof(argv[++i]);
    else {
      std::fprintf(stderr, "usage: %s [--json FILE] [--min-time SECONDS]\n", argv[0]);
      return 2;
    }
  }
  size_t count = 0;
  const topt_kernel_info* table = topt_kernels(&count);
  std::string json = "{\n  \"benchmark\": \"runtime_kernels\",\n  \"unit\": \"microseconds per call, 1 thread\",\n  \"rows\": [\n";
  bool first_row = true, mismatch = false;
  std::printf("%-18s %-32s %-26s %10s %8s %8s\n", "model", "layer", "kernel", "us/call", "GMAC/s", "speedup");
  for (const Layer& l : kLayers) {
    Data d = make_data(l);
    std::vector<int8_t> reference_out;
    double reference_s = 0;
    // the family reference first (it is last in the list), then every other supporting kernel
    std::vector<const topt_kernel_info*> kernels;
    for (size_t i = 0; i < count; ++i)
      if (table[i].family == family_of(l.kind)) kernels.insert(kernels.begin(), &table[i]);
    for (const topt_kernel_info* k : kernels) {
      size_t scratch_bytes = 0;
      if (!supports(*k, l.kind, d, &scratch_bytes)) continue;
      std::vector<uint8_t> scratch(std::max<size_t>(scratch_bytes, 1));
      std::vector<int8_t> out(d.output.size());
      if (call(*k, l.kind, d, scratch, out.data()) != TOPT_OK) {
        std::fprintf(stderr, "%s failed on %s\n", k->name, l.name);
        return 1;
      }
      const bool is_reference = reference_out.empty();
      if (is_reference) {
        reference_out = out;
      } else if (out != reference_out) {
        std::fprintf(stderr, "MISMATCH: %s differs from the reference on %s\n", k->name, l.name);
        mismatch = true;
      }
      const double s = seconds_per_call([&] { call(*k, l.kind, d, scratch, out.data()); }, min_time);
      if (is_reference) reference_s = s;
      const double speedup = reference_s / s;
      std::printf("%-18s %-32s %-26s %10.2f %8.2f %7.2fx\n", l.model, l.name, k->name, s * 1e6,
                  static_cast<double>(d.macs) / s * 1e-9, speedup);
      json += std::string(first_row ? "" : ",\n") + "    {\"model\": \"" + l.model + "\", \"layer\": \"" + l.name +
              "\", \"kernel\": \"" + k->name + "\", \"macs\": " + std::to_string(d.macs) +
              ", \"us_per_call\": " + std::to_string(s * 1e6) + ", \"speedup_vs_ref\": " + std::to_string(speedup) +
              "}";
      first_row = false;
    }
  }
  json += "\n  ]\n}\n";
  if (!json_path.empty()) {
    const std::string tmp = json_path + ".tmp";
    std::ofstream(tmp) << json;
    if (std::rename(tmp.c_str(), json_path.c_str()) != 0) {
      std::fprintf(stderr, "cannot write %s\n", json_path.c_str());
      return 1;
    }
  }
  return mismatch ? 1 : 0;
}
