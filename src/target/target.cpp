// load_target: a built-in target (data/targets/<name>.json, compiled in) or a target JSON file, parsed and
// validated field by field (docs/targets.md is the format). Every error is one line naming the file and
// the field: "cortex-m4.json: field 'clock_hz': must be a positive integer".
#include "tinyopt/target/target.h"

#include <algorithm>
#include <filesystem>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>
#include <set>

#include "core/file_bytes.h"
#include "target/builtin_targets.h"
#include "tinyopt/core/error.h"
#include "tinyopt/target/cost_model.h"
#include "tinyopt/target/kernel_choice.h"
#include "tinyopt_rt.h"

namespace tinyopt {
namespace {

using nlohmann::json;

constexpr uint64_t kMaxTargetFileBytes = 1 << 20;

const std::set<std::string>& known_features() {
  static const std::set<std::string> f = {"dsp", "fpu", "fpu-double", "neon", "sdot", "mve", "esp32s3-pie", "simd"};
  return f;
}

bool known_kernel_key(const std::string& key) {
  // "<kernel class>/<variant>": the class is a runtime family, the class of a kernel in the list
  // ("conv2d_c1x4_s8", "conv2d_1x1_s8"), or "default"; the variant is one of runtime/'s variants.
  const size_t slash = key.find('/');
  if (slash == std::string::npos) return false;
  const std::string cls = key.substr(0, slash), variant = key.substr(slash + 1);
  static const std::set<std::string> variants = {"ref", "x86", "dsp", "neon"};
  static const std::set<std::string> classes = [] {
    std::set<std::string> c = {"default"};
#define TOPT_FAMILY(family, params_type) c.insert(#family);
#include "tinyopt_rt_families.inc"
#undef TOPT_FAMILY
#define TOPT_KERNEL(name, family, variant) c.insert(kernel_class_of(#name));
#include "tinyopt_rt_kernels.inc"
#undef TOPT_KERNEL
    return c;
  }();
  return classes.count(cls) && variants.count(variant);
}

class Reader {
 public:
  Reader(std::string file, const json& j) : file_(std::move(file)), j_(j) {}

  [[noreturn]] void fail(const std::string& field, const std::string& what) const {
    throw_bad_input(fmt::format("{}: field '{}': {}", file_, field, what));
  }
  const json& need(const json& obj, const std::string& key, const std::string& path) const {
    if (!obj.contains(key)) fail(path, "missing");
    return obj.at(key);
  }
  std::string string(const json& obj, const std::string& key, const std::string& path, bool required = true) const {
    if (!obj.contains(key)) {
      if (required) fail(path, "missing");
      return "";
    }
    const json& v = obj.at(key);
    if (!v.is_string()) fail(path, "must be a string");
    return v.get<std::string>();
  }
  int64_t positive_int(const json& obj, const std::string& key, const std::string& path) const {
    const json& v = need(obj, key, path);
    if (!v.is_number_integer() || v.get<int64_t>() <= 0) fail(path, "must be a positive integer");
    return v.get<int64_t>();
  }
  double non_negative(const json& obj, const std::string& key, const std::string& path, bool required = true) const {
    if (!obj.contains(key)) {
      if (required) fail(path, "missing");
      return 0.0;
    }
    const json& v = obj.at(key);
    if (!v.is_number() || !(v.get<double>() >= 0.0) || v.get<double>() > 1e12) fail(path, "must be a number >= 0");
    return v.get<double>();
  }
  std::vector<std::string> strings(const json& obj, const std::string& key, const std::string& path,
                                   bool required = true) const {
    std::vector<std::string> out;
    if (!obj.contains(key)) {
      if (required) fail(path, "missing");
      return out;
    }
    const json& v = obj.at(key);
    if (!v.is_array()) fail(path, "must be a list of strings");
    for (const json& e : v) {
      if (!e.is_string()) fail(path, "must be a list of strings");
      out.push_back(e.get<std::string>());
    }
    return out;
  }
  void only(const json& obj, const std::set<std::string>& allowed, const std::string& where) const {
    for (auto it = obj.begin(); it != obj.end(); ++it)
      if (!allowed.count(it.key()))
        fail(where.empty() ? it.key() : where + "." + it.key(), "unknown field (docs/targets.md lists the format)");
  }

 private:
  std::string file_;
  const json& j_;
};

Target parse_target(const std::string& file, const std::string& text) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {
    throw_bad_input(fmt::format("{}: not valid JSON: {}", file, e.what()));
  }
  const Reader r(file, j);
  if (!j.is_object()) throw_bad_input(file + ": a target file must hold one JSON object");
  r.only(j, {"name", "description", "core", "clock_hz", "flash_bytes", "ram_bytes", "features", "channel_multiple",
             "active_power_mw", "toolchain", "kernel_costs", "sources", "notes"},
         "");
  Target t;
  t.name = r.string(j, "name", "name");
  if (t.name.empty()) r.fail("name", "must not be empty");
  t.description = r.string(j, "description", "description", false);
  t.core = r.string(j, "core", "core");
  t.clock_hz = r.positive_int(j, "clock_hz", "clock_hz");
  t.flash_bytes = r.positive_int(j, "flash_bytes", "flash_bytes");
  t.ram_bytes = r.positive_int(j, "ram_bytes", "ram_bytes");
  t.features = r.strings(j, "features", "features");
  for (const std::string& f : t.features)
    if (!known_features().count(f)) r.fail("features", "unknown feature '" + f + "'");
  t.channel_multiple = static_cast<int>(r.positive_int(j, "channel_multiple", "channel_multiple"));
  t.active_power_mw = r.non_negative(j, "active_power_mw", "active_power_mw");
  if (t.active_power_mw <= 0) r.fail("active_power_mw", "must be > 0");

  const json& tc = r.need(j, "toolchain", "toolchain");
  if (!tc.is_object()) r.fail("toolchain", "must be an object");
  r.only(tc, {"cc", "cflags", "emulator", "emulator_args"}, "toolchain");
  t.toolchain.cc = r.string(tc, "cc", "toolchain.cc");
  t.toolchain.cflags = r.strings(tc, "cflags", "toolchain.cflags");
  t.toolchain.emulator = r.string(tc, "emulator", "toolchain.emulator", false);
  t.toolchain.emulator_args = r.strings(tc, "emulator_args", "toolchain.emulator_args", false);
  if (t.toolchain.emulator.empty() && !t.toolchain.emulator_args.empty())
    r.fail("toolchain.emulator_args", "given without toolchain.emulator");

  const json& sources = r.need(j, "sources", "sources");
  if (!sources.is_object()) r.fail("sources", "must be an object mapping field names to where the value comes from");
  for (auto it = sources.begin(); it != sources.end(); ++it) {
    if (!it.value().is_string() || it.value().get<std::string>().empty())
      r.fail("sources." + it.key(), "must be a non-empty string");
    t.sources[it.key()] = it.value().get<std::string>();
  }
  for (const char* field : {"clock_hz", "flash_bytes", "ram_bytes", "active_power_mw", "features", "channel_multiple"})
    if (!t.sources.count(field)) r.fail(std::string("sources.") + field, "missing: every number needs its source");
  for (const auto& [field, _] : t.sources)
    if (!j.contains(field)) r.fail("sources." + field, "names no field of the target");

  const json& costs = r.need(j, "kernel_costs", "kernel_costs");
  if (!costs.is_object()) r.fail("kernel_costs", "must be an object keyed \"<kernel class>/<variant>\"");
  for (auto it = costs.begin(); it != costs.end(); ++it) {
    const std::string path = "kernel_costs." + it.key();
    if (!known_kernel_key(it.key()))
      r.fail(path, "unknown key: expected \"<family or default>/<ref|x86|dsp|neon>\", e.g. \"conv2d_s8/dsp\"");
    const json& c = it.value();
    if (!c.is_object()) r.fail(path, "must be an object");
    r.only(c, {"cycles_per_mac", "cycles_per_byte", "fixed_cycles", "instructions", "cycles_per_instruction", "source"},
           path);
    KernelCost k;
    k.cycles_per_mac = r.non_negative(c, "cycles_per_mac", path + ".cycles_per_mac", false);
    k.cycles_per_byte = r.non_negative(c, "cycles_per_byte", path + ".cycles_per_byte", false);
    k.fixed_cycles = r.non_negative(c, "fixed_cycles", path + ".fixed_cycles", false);
    if (c.contains("instructions")) {
      const json& terms = c.at("instructions");
      if (!terms.is_object() || terms.empty())
        r.fail(path + ".instructions", "must be a non-empty object {\"<cost term>\": instructions per unit}");
      const std::vector<std::string>& names = cost_term_names();
      for (auto t = terms.begin(); t != terms.end(); ++t) {
        if (std::find(names.begin(), names.end(), t.key()) == names.end())
          r.fail(path + ".instructions." + t.key(),
                 "unknown cost term (one of: " + fmt::format("{}", fmt::join(names, ", ")) + ")");
        k.instructions[t.key()] = r.non_negative(terms, t.key(), path + ".instructions." + t.key());
      }
      k.cycles_per_instruction = r.non_negative(c, "cycles_per_instruction", path + ".cycles_per_instruction");
    } else if (c.contains("cycles_per_instruction")) {
      r.fail(path + ".cycles_per_instruction", "only with \"instructions\"");
    }
    k.source = r.string(c, "source", path + ".source");
    if (k.source.empty()) r.fail(path + ".source", "must say where the numbers come from");
    t.kernel_costs[it.key()] = k;
  }
  if (!t.kernel_costs.count("default/ref"))
    r.fail("kernel_costs", "needs a \"default/ref\" entry (the cost of any kernel without its own entry)");
  return t;
}

}  // namespace

bool Target::has(std::string_view feature) const {
  return std::find(features.begin(), features.end(), feature) != features.end();
}

std::vector<std::string> builtin_target_names() {
  std::vector<std::string> names;
  for (size_t i = 0; i < detail::kBuiltinTargetFileCount; ++i) names.emplace_back(detail::kBuiltinTargetFiles[i].name);
  return names;
}

Target load_target(const std::string& name_or_path) {
  for (size_t i = 0; i < detail::kBuiltinTargetFileCount; ++i) {
    const detail::BuiltinTargetFile& f = detail::kBuiltinTargetFiles[i];
    if (name_or_path != f.name) continue;
    Target t = parse_target(std::string(f.name) + ".json (built in)", f.json);
    if (t.name != f.name) throw_internal(fmt::format("built-in target file {}.json names itself '{}'", f.name, t.name));
    return t;
  }
  const bool looks_like_path = name_or_path.find('/') != std::string::npos ||
                               (name_or_path.size() > 5 && name_or_path.ends_with(".json"));
  if (!looks_like_path || !std::filesystem::exists(name_or_path)) {
    std::string known;
    for (const std::string& n : builtin_target_names()) known += (known.empty() ? "" : ", ") + n;
    if (looks_like_path) throw_bad_input(name_or_path + ": no such target file");
    throw_bad_input(fmt::format("unknown target '{}' (built in: {}; or give a path to a target .json file)",
                                name_or_path, known));
  }
  const detail::FileBytes f = detail::read_file_bytes(name_or_path, kMaxTargetFileBytes);
  if (f.has_more) throw_bad_input(fmt::format("{}: larger than {} bytes, not a target file", name_or_path, kMaxTargetFileBytes));
  return parse_target(name_or_path, std::string(f.bytes.begin(), f.bytes.end()));
}

}  // namespace tinyopt
