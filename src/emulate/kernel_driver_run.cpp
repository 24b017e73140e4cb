// run_kernel_driver and compare_kernel_runs (see kernel_driver_run.h).
#include "emulate/kernel_driver_run.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "emulate/emulator_run.h"
#include "emulate/program_build.h"
#include "tinyopt/core/error.h"

namespace tinyopt::emulate {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> c_files(const fs::path& dir) {
  std::vector<std::string> files;
  if (!fs::exists(dir)) return files;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ".c") files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  return files;
}

std::string read_all(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<KernelRecord> parse_records(const std::string& text) {
  std::vector<KernelRecord> records;
  std::istringstream lines(text);
  std::string line;
  size_t offset = 0;
  while (std::getline(lines, line)) {
    std::istringstream words(line);
    std::string tag;
    KernelRecord r;
    if (!(words >> tag) || tag != "case") continue;  // other lines are the guest's own notes
    if (!(words >> r.case_index >> r.family >> r.kernel >> r.macs >> r.bytes >> r.status))
      throw_internal("kernel driver: malformed line: " + line);
    std::getline(words, r.description);
    if (!r.description.empty() && r.description.front() == ' ') r.description.erase(0, 1);
    r.variant = r.kernel.substr(r.kernel.rfind("__") + 2);
    r.offset = offset;
    offset += r.bytes;
    records.push_back(std::move(r));
  }
  return records;
}

}  // namespace

std::vector<std::string> runtime_sources(const EmuPlatform& platform) {
  const fs::path runtime = fs::path(TINYOPT_SOURCE_DIR) / "runtime";
  std::vector<std::string> files = c_files(runtime / "ref");
  std::vector<std::string> extra;
  if (platform.kind == EmuKind::kCortexM) extra = c_files(runtime / "arm_dsp");
  if (platform.kind == EmuKind::kAarch64Linux) extra = c_files(runtime / "neon");
  files.insert(files.end(), extra.begin(), extra.end());
  return files;
}

KernelDriver build_kernel_driver(const EmuPlatform& platform, const std::string& work_dir) {
  ProgramSpec spec;
  spec.sources = runtime_sources(platform);
  spec.sources.push_back(fs::path(TINYOPT_SOURCE_DIR) / "firmware" / "drivers" / "kernel_driver.c");
  spec.include_dirs = {(fs::path(TINYOPT_SOURCE_DIR) / "runtime" / "include").string()};
  spec.extra_cflags = {"-Wall", "-Wextra", "-Werror"};
  spec.work_dir = work_dir;
  spec.name = "kernel_driver";
  return {platform, build_program(platform, spec).executable};
}

KernelDriverRun run_kernel_driver(const KernelDriver& driver, const KernelDriverConfig& config,
                                  const std::string& run_dir, bool count_instructions) {
  const EmuPlatform& platform = driver.platform;
  const fs::path work = fs::absolute(run_dir);
  fs::create_directories(work);
  {
    std::ofstream cfg(work / "cases.cfg");
    cfg << (config.bench ? "bench" : "random") << " " << config.seed << " " << config.count << "\n";
  }
  const EmulatorRun run = run_on_emulator(platform, driver.executable, work.string(), count_instructions);
  if (run.process.exit_code != 0)
    throw_bad_input("kernel driver on " + platform.name + " exited with " + std::to_string(run.process.exit_code) +
                    (run.process.signal ? " (signal " + std::to_string(run.process.signal) + ")" : "") + ": " +
                    run.process.err);
  KernelDriverRun result;
  result.platform = platform.name;
  result.records = parse_records(run.process.out);
  result.outputs = read_all(work / "outputs.bin");
  const size_t total = result.records.empty() ? 0 : result.records.back().offset + result.records.back().bytes;
  if (result.outputs.size() != total)
    throw_internal("kernel driver on " + platform.name + ": outputs.bin has " + std::to_string(result.outputs.size()) +
                   " bytes, the records say " + std::to_string(total));
  if (count_instructions && platform.kind != EmuKind::kHost) {
    if (run.insns.regions.size() != result.records.size())
      throw_internal("kernel driver on " + platform.name + ": " + std::to_string(run.insns.regions.size()) +
                     " counted regions for " + std::to_string(result.records.size()) + " kernel calls");
    for (size_t i = 0; i < result.records.size(); ++i) result.records[i].instructions = run.insns.regions[i].instructions;
  }
  return result;
}

std::vector<std::string> compare_kernel_runs(const KernelDriverRun& device, const KernelDriverRun& host) {
  std::map<int, const KernelRecord*> reference;  // case -> the host's family-reference record
  for (const KernelRecord& r : host.records)
    if (r.kernel == "topt_" + r.family + "__ref") reference[r.case_index] = &r;
  std::vector<std::string> diffs;
  for (const KernelRecord& r : device.records) {
    const auto it = reference.find(r.case_index);
    std::ostringstream msg;
    msg << device.platform << " case " << r.case_index << " " << r.kernel << " (" << r.description << "): ";
    if (it == reference.end()) {
      diffs.push_back(msg.str() + "the host has no reference record for this case");
      continue;
    }
    const KernelRecord& ref = *it->second;
    if (r.status != ref.status || r.bytes != ref.bytes) {
      msg << "status " << r.status << " / " << r.bytes << " bytes vs the host reference's " << ref.status << " / "
          << ref.bytes;
      diffs.push_back(msg.str());
      continue;
    }
    for (size_t i = 0; i < r.bytes; ++i) {
      const int got = static_cast<int8_t>(device.outputs[r.offset + i]);
      const int want = static_cast<int8_t>(host.outputs[ref.offset + i]);
      if (got != want) {
        msg << "byte " << i << " of " << r.bytes << " is " << got << ", the host reference " << ref.kernel << " gives "
            << want;
        diffs.push_back(msg.str());
        break;
      }
    }
  }
  return diffs;
}

}  // namespace tinyopt::emulate
