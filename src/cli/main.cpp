// tinyopt command line: parses the verb and its flags (CLI11), calls the library, and is the only place
// that prints errors and chooses exit codes (1 bad input / infeasible, 2 bad usage).
#include <cstdio>

int main(int, char**) {
  std::fputs("tinyopt: error: no verb yet\n", stderr);
  return 2;
}
