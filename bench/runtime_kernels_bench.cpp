// Benchmark of the runtime's kernel variants on real MLPerf Tiny layer shapes (DS-CNN keyword spotting,
// ResNet-8 image classification, MobileNetV1-0.25 visual wake words, FC autoencoder): every kernel of the
// layer's family that supports the shape (taken from the kernel table, so new variants appear
// automatically) is timed in the same run, and its speedup over the family reference is printed.
// Outputs are checked to be identical to the reference's before timing.
//
// Usage: runtime_kernels_bench [--json FILE] [--rounds N] [--quick]
// Timing: bench_timing.h's protocol (warm-up, then at least min_runs runs and min_seconds, median), single
// thread; tiny kernels are repeated inside one run so a run lasts >= 20 us. Kernels are interleaved per
// round and each keeps its best median over the rounds (load on a shared machine only slows a run).
// Not a test: the numbers depend on the machine and its load (the JSON records the load average).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "bench_io.h"
#include "bench_timing.h"
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
  const size_t wcount =
      l.kind == Kind::kDepthwise ? static_cast<size_t>(kh) * kw * cout : static_cast<size_t>(cout) * kh * kw * l.cin;
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
  d.macs = l.kind == Kind::kDense       ? int64_t{l.cin} * l.cout
           : l.kind == Kind::kDepthwise ? int64_t{oh} * ow * cout * kh * kw
                                        : int64_t{oh} * ow * cout * kh * kw * l.cin;
  return d;
}

// Calls kernel k (of the layer's family) once on d; returns its status.
topt_status call(const topt_kernel_info& k, Kind kind, Data& d, std::vector<uint8_t>& scratch, int8_t* out) {
  switch (kind) {
    case Kind::kConv:
      return reinterpret_cast<topt_conv2d_s8_fn*>(k.run)(&d.conv, d.input.data(), d.weights.data(), d.bias.data(), out,
                                                         scratch.data());
    case Kind::kDepthwise:
      return reinterpret_cast<topt_dwconv2d_s8_fn*>(k.run)(&d.dw, d.input.data(), d.weights.data(), d.bias.data(), out,
                                                           scratch.data());
    case Kind::kDense:
      return reinterpret_cast<topt_dense_s8_fn*>(k.run)(&d.dense, d.input.data(), d.weights.data(), d.bias.data(), out,
                                                        scratch.data());
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
  return kind == Kind::kConv        ? TOPT_FAMILY_conv2d_s8
         : kind == Kind::kDepthwise ? TOPT_FAMILY_dwconv2d_s8
                                    : TOPT_FAMILY_dense_s8;
}

std::string load_average() {
  std::ifstream f("/proc/loadavg");
  std::string a, b, c;
  f >> a >> b >> c;
  return a + " " + b + " " + c;
}

struct Measured {
  const topt_kernel_info* kernel;
  std::vector<uint8_t> scratch;
  std::vector<int8_t> out;
  int reps = 1;        // kernel calls per timed run
  double best = 1e30;  // best per-round median, seconds per call
};

}  // namespace

int main(int argc, char** argv) {
  std::string json_path;
  int rounds = 3;
  tinyopt::bench::TimingProtocol protocol;
  protocol.min_seconds = 0.3;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--json") && i + 1 < argc) {
      json_path = argv[++i];
    } else if (!std::strcmp(argv[i], "--rounds") && i + 1 < argc) {
      rounds = std::max(1, std::atoi(argv[++i]));
    } else if (!std::strcmp(argv[i], "--quick")) {
      protocol.warmup = 2;
      protocol.min_runs = 5;
      protocol.min_seconds = 0.01;
    } else {
      std::fprintf(stderr, "usage: %s [--json FILE] [--rounds N] [--quick]\n", argv[0]);
      return 2;
    }
  }
  const std::string load_start = load_average();
  size_t count = 0;
  const topt_kernel_info* table = topt_kernels(&count);
  nlohmann::json rows = nlohmann::json::array();
  bool mismatch = false;
  std::printf("%-17s %-30s %-24s %9s %7s %8s\n", "model", "layer", "kernel", "us/call", "GMAC/s", "speedup");
  for (const Layer& l : kLayers) {
    Data d = make_data(l);
    // the family reference first (it is last in the list), then every other kernel supporting the layer
    std::vector<Measured> kernels;
    for (size_t i = count; i-- > 0;) {
      size_t scratch_bytes = 0;
      if (table[i].family != family_of(l.kind) || !supports(table[i], l.kind, d, &scratch_bytes)) continue;
      Measured m;
      m.kernel = &table[i];
      m.scratch.resize(std::max<size_t>(scratch_bytes, 1));
      m.out.resize(d.output.size());
      if (call(table[i], l.kind, d, m.scratch, m.out.data()) != TOPT_OK) {
        std::fprintf(stderr, "%s failed on %s\n", table[i].name, l.name);
        return 1;
      }
      if (!kernels.empty() && m.out != kernels.front().out) {
        std::fprintf(stderr, "MISMATCH: %s differs from the reference on %s\n", table[i].name, l.name);
        mismatch = true;
      }
      const auto t0 = std::chrono::steady_clock::now();
      call(table[i], l.kind, d, m.scratch, m.out.data());
      const double once = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      m.reps = std::max(1, static_cast<int>(20e-6 / std::max(once, 1e-9)));
      kernels.push_back(std::move(m));
    }
    for (int r = 0; r < rounds; ++r) {
      for (Measured& m : kernels) {
        const auto t = tinyopt::bench::time_runs(
            [&] {
              for (int i = 0; i < m.reps; ++i) call(*m.kernel, l.kind, d, m.scratch, m.out.data());
            },
            protocol);
        m.best = std::min(m.best, t.median_seconds / m.reps);
      }
    }
    for (const Measured& m : kernels) {
      const double speedup = kernels.front().best / m.best;
      std::printf("%-17s %-30s %-24s %9.2f %7.2f %7.2fx\n", l.model, l.name, m.kernel->name, m.best * 1e6,
                  static_cast<double>(d.macs) / m.best * 1e-9, speedup);
      rows.push_back({{"model", l.model},
                      {"layer", l.name},
                      {"kernel", m.kernel->name},
                      {"macs", d.macs},
                      {"us_per_call", m.best * 1e6},
                      {"speedup_vs_reference", speedup}});
    }
  }
  if (!json_path.empty()) {
    tinyopt::bench::write_json(json_path, {{"benchmark", "runtime_kernels"},
                                           {"what", "each kernel vs its family reference, same run, 1 thread"},
                                           {"rounds", rounds},
                                           {"protocol", tinyopt::bench::to_json(protocol)},
                                           {"load_average_start", load_start},
                                           {"load_average_end", load_average()},
                                           {"rows", rows}});
    std::printf("wrote %s\n", json_path.c_str());
  }
  return mismatch ? 1 : 0;
}
