// Instructions per MAC of every runtime kernel variant on the emulated Cortex-M4, Cortex-M7 and aarch64
// (Cortex-A72), on the MLPerf Tiny layer shapes (firmware/drivers/kernel_driver.c "bench" mode: the same
// shapes as runtime_kernels_bench.cpp), counted exactly by the qemu plugin. Every output is first checked
// byte for byte against the host reference; a mismatch is recorded, not hidden.
// Usage: emu_kernels_bench --json FILE [--platforms cortex-m4,cortex-m7,rpi4]
// Not a test and not timing: instruction counts are deterministic, so one round is enough.
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "emulate/kernel_driver_run.h"
#include "tinyopt/core/error.h"

namespace {

namespace fs = std::filesystem;
using namespace tinyopt::emulate;

std::string today() {
  char buf[32];
  const std::time_t t = std::time(nullptr);
  std::strftime(buf, sizeof buf, "%Y-%m-%d", std::gmtime(&t));
  return buf;
}

}  // namespace

int main(int argc, char** argv) {
  std::string json_path, platforms = "cortex-m4,cortex-m7,rpi4";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--json")) json_path = argv[i + 1];
    if (!std::strcmp(argv[i], "--platforms")) platforms = argv[i + 1];
  }
  if (json_path.empty()) {
    std::fprintf(stderr, "usage: emu_kernels_bench --json FILE [--platforms cortex-m4,cortex-m7,rpi4]\n");
    return 2;
  }
  try {
    const fs::path work = fs::temp_directory_path() / "tinyopt-emu-kernels-bench";
    fs::remove_all(work);
    KernelDriverConfig config;
    config.bench = true;
    const KernelDriverRun host = run_kernel_driver(build_kernel_driver(emu_platform("host"), (work / "host").string()),
                                                   config, (work / "host-run").string(), false);
    nlohmann::json out = {{"benchmark", "emu_kernels"},
                          {"date", today()},
                          {"what", "dynamic instructions per MAC (qemu TCG plugin, exact), MLPerf Tiny layer shapes"},
                          {"note", "instructions, not cycles: QEMU models no pipeline, caches or wait states"},
                          {"platforms", nlohmann::json::object()}};
    std::stringstream list(platforms);
    for (std::string name; std::getline(list, name, ',');) {
      const EmuPlatform platform = emu_platform(name);
      if (!missing_tools(platform).empty()) {
        std::printf("%s: skipped (cross tools missing)\n", name.c_str());
        out["platforms"][name] = {{"skipped", "cross tools missing"}};
        continue;
      }
      const KernelDriverRun device = run_kernel_driver(build_kernel_driver(platform, (work / name).string()), config,
                                                       (work / (name + "-run")).string(), true);
      const std::vector<std::string> diffs = compare_kernel_runs(device, host);
      nlohmann::json rows = nlohmann::json::array();
      std::printf("== %s\n%-44s %-30s %10s %12s %8s\n", name.c_str(), "layer", "kernel", "MACs", "instructions",
                  "insn/MAC");
      for (const KernelRecord& r : device.records) {
        const double per_mac = static_cast<double>(r.instructions) / static_cast<double>(r.macs);
        std::printf("%-44s %-30s %10lld %12llu %8.2f\n", r.description.c_str(), r.kernel.c_str(),
                    static_cast<long long>(r.macs), static_cast<unsigned long long>(r.instructions), per_mac);
        rows.push_back({{"layer", r.description},
                        {"family", r.family},
                        {"kernel", r.kernel},
                        {"variant", r.variant},
                        {"macs", r.macs},
                        {"instructions", r.instructions},
                        {"instructions_per_mac", per_mac}});
      }
      out["platforms"][name] = {{"layers", rows}, {"bit_exact_with_host", diffs.empty()}, {"mismatches", diffs}};
    }
    const std::string tmp = json_path + ".tmp";
    std::ofstream(tmp) << out.dump(2) << "\n";
    fs::rename(tmp, json_path);
    fs::remove_all(work);
    std::printf("wrote %s\n", json_path.c_str());
  } catch (const tinyopt::Error& e) {
    std::fprintf(stderr, "emu_kernels_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
