// `tinyopt targets [--json]`: the built-in targets (data/targets/*.json, compiled in) and their main
// parameters; docs/targets.md describes the file format.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "cli/verbs.h"
#include "tinyopt/target/target.h"

namespace tinyopt::cli {
namespace {

std::string human_bytes(int64_t n) {
  if (n >= (int64_t{1} << 30) && n % (int64_t{1} << 30) == 0) return fmt::format("{} GiB", n >> 30);
  if (n >= (int64_t{1} << 20) && n % (int64_t{1} << 20) == 0) return fmt::format("{} MiB", n >> 20);
  if (n >= 1024 && n % 1024 == 0) return fmt::format("{} KiB", n >> 10);
  return fmt::format("{} B", n);
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const std::string& s : v) out += (out.empty() ? "" : ",") + s;
  return out.empty() ? "-" : out;
}

}  // namespace

void add_targets_verb(CLI::App& app) {
  auto json = std::make_shared<bool>(false);
  CLI::App* cmd = app.add_subcommand("targets", "list targets and their parameters");
  cmd->add_flag("--json", *json, "print a JSON list instead of a table");
  cmd->callback([json] {
    std::vector<Target> targets;
    for (const std::string& name : builtin_target_names()) targets.push_back(load_target(name));
    if (*json) {
      nlohmann::json j = nlohmann::json::array();
      for (const Target& t : targets)
        j.push_back({{"name", t.name}, {"core", t.core}, {"clock_hz", t.clock_hz}, {"flash_bytes", t.flash_bytes},
                     {"ram_bytes", t.ram_bytes}, {"features", t.features}, {"active_power_mw", t.active_power_mw},
                     {"channel_multiple", t.channel_multiple}, {"cc", t.toolchain.cc},
                     {"emulator", t.toolchain.emulator}, {"description", t.description}});
      fmt::print("{}\n", j.dump(2));
      return;
    }
    fmt::print("{:<14} {:<14} {:>8} {:>9} {:>9} {:>8}  {:<22} {}\n", "target", "core", "MHz", "flash", "RAM", "mW",
               "features", "compiler / emulator");
    for (const Target& t : targets)
      fmt::print("{:<14} {:<14} {:>8g} {:>9} {:>9} {:>8g}  {:<22} {} / {}\n", t.name, t.core,
                 static_cast<double>(t.clock_hz) / 1e6, human_bytes(t.flash_bytes), human_bytes(t.ram_bytes),
                 t.active_power_mw, join(t.features), t.toolchain.cc,
                 t.toolchain.emulator.empty() ? "none" : t.toolchain.emulator);
    fmt::print("\nA path to a target .json file works wherever a target name does (docs/targets.md).\n");
  });
}

}  // namespace tinyopt::cli
