// tinyopt command line. The only place that prints errors and chooses exit codes (DESIGN.md section 4):
// 1 for bad input or infeasible requests, 2 for bad usage, one line on stderr starting "tinyopt: error:".
#include <cstdio>
#include <exception>
#include <filesystem>
#include <new>
#include <string>

#include <CLI/CLI.hpp>

#include "cli/verbs.h"
#include "tinyopt/core/error.h"

namespace {

// One line whatever the message holds: newlines become spaces, other control bytes (a node name with a
// carriage return or a terminal escape sequence, a NUL) are shown as \xNN, so a hostile file can neither
// split the line nor drive the user's terminal.
int fail(int code, const std::string& message) {
  std::string line;
  for (char c : message) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\n') {
      line += ' ';
    } else if (u < 0x20 || u == 0x7f) {
      static const char kHex[] = "0123456789abcdef";
      line += {'\\', 'x', kHex[u >> 4], kHex[u & 0xf]};
    } else {
      line += c;
    }
  }
  std::fprintf(stderr, "tinyopt: error: %s\n", line.c_str());
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"tinyopt: make neural networks fit and run well on microcontrollers and small boards"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("tinyopt 0.1"));
  tinyopt::cli::add_inspect_verb(app);
  tinyopt::cli::add_run_verb(app);
  tinyopt::cli::add_eval_verb(app);
  tinyopt::cli::add_new_verb(app);
  tinyopt::cli::add_train_verb(app);
  tinyopt::cli::add_distill_verb(app);
  tinyopt::cli::add_prune_verb(app);
  tinyopt::cli::add_quantize_verb(app);
  tinyopt::cli::add_codegen_verb(app);
  tinyopt::cli::add_redesign_verb(app);
  tinyopt::cli::add_optimize_verb(app);
  tinyopt::cli::add_estimate_verb(app);
  tinyopt::cli::add_targets_verb(app);
  std::string verbs;
  bool known = false;
  for (const CLI::App* sub : app.get_subcommands({})) {
    verbs += (verbs.empty() ? "" : ", ") + sub->get_name();
    known = known || (argc > 1 && sub->get_name() == argv[1]);
  }
  if (argc > 1 && argv[1][0] != '-' && !known)
    return fail(2, std::string("unknown verb '") + argv[1] + "'; verbs: " + verbs + " (see tinyopt --help)");
  try {
    app.parse(argc, argv);
    return 0;
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return fail(2, std::string(e.what()) + " (see tinyopt --help)");
  } catch (const tinyopt::Error& e) {
    return fail(e.kind() == tinyopt::ErrorKind::kUsage ? 2 : 1, e.what());
  } catch (const std::filesystem::filesystem_error& e) {
    return fail(1, e.what());
  } catch (const std::bad_alloc&) {
    return fail(1, "out of memory");
  } catch (const std::exception& e) {
    return fail(1, std::string("internal error: ") + e.what());
  }
}
