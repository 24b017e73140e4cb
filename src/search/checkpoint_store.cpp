// Atomic checkpoint files of an optimize run and the JSON form of a finished candidate (checkpoint_store.h).
#include "tinyopt/search/checkpoint_store.h"

#include <filesystem>
#include <span>

#include "core/file_bytes.h"
#include "tinyopt/core/error.h"
#include "tinyopt/onnx/onnx_io.h"

namespace tinyopt::search {

namespace fs = std::filesystem;

CheckpointStore::CheckpointStore(const std::string& out_dir) : dir_((fs::path(out_dir) / "checkpoints").string()) {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) throw_bad_input(dir_ + ": cannot create the checkpoint folder: " + ec.message());
}

std::string CheckpointStore::path(const std::string& name) const { return (fs::path(dir_) / name).string(); }

bool CheckpointStore::has(const std::string& name) const { return fs::exists(path(name)); }

void CheckpointStore::remove_all() {
  std::error_code ec;
  for (const fs::directory_entry& e : fs::directory_iterator(dir_, ec)) fs::remove_all(e.path(), ec);
}

void CheckpointStore::save_json(const std::string& name, const nlohmann::json& j) const {
  const std::string text = j.dump(2) + "\n";
  detail::write_file_atomic(path(name), std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
}

nlohmann::json CheckpointStore::load_json(const std::string& name) const {
  const detail::FileBytes f = detail::read_file_bytes(path(name), 64u << 20);
  try {
    return nlohmann::json::parse(f.bytes.begin(), f.bytes.end());
  } catch (const nlohmann::json::exception& e) {
    throw_bad_input(path(name) + ": corrupt checkpoint (" + e.what() + "); run again without --resume");
  }
}

void CheckpointStore::save_graph(const std::string& name, const Graph& g) const { save_onnx(g, path(name)); }

Graph CheckpointStore::load_graph(const std::string& name) const { return load_onnx(path(name)); }

namespace {

template <typename T>
nlohmann::json optional_json(const std::optional<T>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

template <typename T>
std::optional<T> optional_from(const nlohmann::json& j, const char* key) {
  if (!j.contains(key) || j.at(key).is_null()) return std::nullopt;
  return j.at(key).get<T>();
}

}  // namespace

nlohmann::json metrics_to_json(const Metrics& m) {
  return {{"accuracy", m.accuracy},           {"weight_bytes", m.weight_bytes},
          {"latency_ms", optional_json(m.latency_ms)}, {"energy_uj", optional_json(m.energy_uj)},
          {"flash_bytes", optional_json(m.flash_bytes)}, {"ram_bytes", optional_json(m.ram_bytes)}};
}

Metrics metrics_from_json(const nlohmann::json& j) {
  Metrics m;
  m.accuracy = j.at("accuracy");
  m.weight_bytes = j.at("weight_bytes");
  m.latency_ms = optional_from<double>(j, "latency_ms");
  m.energy_uj = optional_from<double>(j, "energy_uj");
  m.flash_bytes = optional_from<int64_t>(j, "flash_bytes");
  m.ram_bytes = optional_from<int64_t>(j, "ram_bytes");
  return m;
}

nlohmann::json candidate_to_json(const Candidate& c) {
  nlohmann::json layers = nlohmann::json::array();
  for (const LayerRow& l : c.layers)
    layers.push_back({{"name", l.name}, {"op", l.op}, {"weight_bits", l.weight_bits},
                      {"channels_before", l.channels_before}, {"channels_after", l.channels_after}, {"macs", l.macs},
                      {"weight_bytes", l.weight_bytes}, {"cycles", optional_json(l.cycles)}, {"kernel", l.kernel}});
  nlohmann::json stages = nlohmann::json::array();
  for (const StageRecord& s : c.stages)
    stages.push_back({{"stage", s.stage}, {"summary", s.summary}, {"seconds", s.seconds}, {"reused", s.reused}});
  return {{"id", c.spec.id},       {"keep", c.spec.keep},   {"weights", policy_name(c.spec.weights)},
          {"label", c.spec.label()}, {"float_accuracy", c.float_accuracy}, {"metrics", metrics_to_json(c.metrics)},
          {"layers", layers},      {"stages", stages},      {"notes", c.notes}, {"duplicate", c.duplicate}};
}

void candidate_from_json(const nlohmann::json& j, Candidate& c) {
  try {
    c.spec = {j.at("id").get<int>(), j.at("keep").get<double>(), policy_from_name(j.at("weights"))};
    c.float_accuracy = j.at("float_accuracy");
    c.metrics = metrics_from_json(j.at("metrics"));
    c.layers.clear();
    for (const auto& l : j.at("layers"))
      c.layers.push_back({l.at("name"), l.at("op"), l.at("weight_bits"), l.at("channels_before"), l.at("channels_after"),
                          l.at("macs"), l.at("weight_bytes"), optional_from<double>(l, "cycles"),
                          l.value("kernel", std::string())});  // absent in checkpoints written before it existed
    c.stages.clear();
    for (const auto& s : j.at("stages")) c.stages.push_back({s.at("stage"), s.at("summary"), s.at("seconds"), s.at("reused")});
    c.notes = j.at("notes").get<std::vector<std::string>>();
    c.duplicate = j.at("duplicate");
  } catch (const nlohmann::json::exception& e) {
    throw_bad_input(std::string("candidate checkpoint is malformed (") + e.what() + "); run again without --resume");
  }
}

}  // namespace tinyopt::search
