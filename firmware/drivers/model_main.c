/* model_main.c: the main `tinyopt emulate` links with a generated model (tinyopt codegen's model.h /
 * model.c) for the emulated device and for the host (src/emulate/model_emulation.cpp).
 *
 * It reads quantized input samples of TINYOPT_MODEL_INPUT_SIZE bytes from "inputs.bin" (semihosting file
 * I/O on Cortex-M), runs tinyopt_model_invoke on each inside one instruction-count region (model.c's
 * TINYOPT_STEP_BEGIN / _END, defined by emu_harness.h through TINYOPT_HOOKS_HEADER, nest one region per
 * kernel call inside it), appends each int8 output to "outputs.bin", and prints one line per sample:
 *   sample <index> stack <bytes of stack the inference used>
 * A failing kernel status stops the run with exit code 3. It does no comparison itself.
 */
#include <stdio.h>

#include "emu_harness.h"
#include "model.h"

static int8_t input[TINYOPT_MODEL_INPUT_SIZE];
static int8_t output[TINYOPT_MODEL_OUTPUT_SIZE];

int main(void) {
  FILE* in = fopen("inputs.bin", "rb");
  FILE* out = fopen("outputs.bin", "wb");
  unsigned long n = 0;
  if (in == NULL || out == NULL) {
    fprintf(stderr, "model_main: cannot open inputs.bin / outputs.bin\n");
    return 2;
  }
  while (fread(input, 1, sizeof input, in) == sizeof input) {
    int status;
    size_t stack;
    emu_stack_paint();
    emu_region_begin();
    status = tinyopt_model_invoke(input, output);
    emu_region_end();
    stack = emu_stack_peak();
    if (status != 0) {
      fprintf(stderr, "model_main: sample %lu: kernel status %d\n", n, status);
      return 3;
    }
    fwrite(output, 1, sizeof output, out);
    printf("sample %lu stack %lu\n", n, (unsigned long)stack);
    ++n;
  }
  fclose(out);
  fclose(in);
  return 0;
}
