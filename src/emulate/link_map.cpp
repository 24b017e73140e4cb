// sizes_by_object (see link_map.h). In the memory map part, an input section is a line starting with one
// space and the section name, followed (on the same line, or on the next when the name is long) by the
// address, the size and the object file.
#include "emulate/link_map.h"

#include <regex>
#include <sstream>
#include <vector>

namespace tinyopt::emulate {
namespace {

bool starts_with(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

std::string base_name(const std::string& path) {
  const size_t paren = path.find('(');
  const size_t slash = path.rfind('/', paren == std::string::npos ? std::string::npos : paren);
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

void add(ObjectSizes& s, const std::string& section, int64_t size) {
  if (starts_with(section, ".text")) {
    s.text += size;
  } else if (starts_with(section, ".rodata")) {
    static const std::regex requant(R"(\.rodata\.s[0-9]+_(multiplier|shift))");
    s.rodata += size;
    if (std::regex_match(section, requant)) s.requant += size;
  } else if (starts_with(section, ".data")) {
    s.data += size;
  } else if (starts_with(section, ".bss") || section == "COMMON") {
    s.bss += size;
  }
}

}  // namespace

std::map<std::string, ObjectSizes> sizes_by_object(const std::string& map_text) {
  std::map<std::string, ObjectSizes> sizes;
  std::istringstream lines(map_text);
  std::string line, pending;  // pending: a section name whose numbers are on the next line
  bool in_map = false;
  while (std::getline(lines, line)) {
    if (!in_map) {
      in_map = starts_with(line, "Linker script and memory map");
      continue;
    }
    if (line.size() < 2 || line[0] != ' ' || line[1] == ' ') {
      // a continuation line (numbers only) belongs to the pending section name
      if (!pending.empty() && line.size() > 1 && line[0] == ' ') {
        std::istringstream words(line);
        std::string addr, size, file;
        if (words >> addr >> size >> file && starts_with(addr, "0x") && starts_with(size, "0x"))
          add(sizes[base_name(file)], pending, std::stoll(size, nullptr, 16));
      }
      pending.clear();
      continue;
    }
    std::istringstream words(line);
    std::vector<std::string> w;
    for (std::string t; words >> t;) w.push_back(t);
    pending.clear();
    if (w.empty() || (w[0][0] != '.' && w[0] != "COMMON")) continue;
    if (w.size() == 1) {
      pending = w[0];
    } else if (w.size() >= 4 && starts_with(w[1], "0x") && starts_with(w[2], "0x")) {
      add(sizes[base_name(w[3])], w[0], std::stoll(w[2], nullptr, 16));
    }
  }
  return sizes;
}

}  // namespace tinyopt::emulate
