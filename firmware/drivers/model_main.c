/* model_main.c: the main `tinyopt emulate` links with a generated model (tinyopt codegen's model.h /
 * model.c) for the emulated device and for the host (src/emulate/project_run.cpp).
 *
 * It reads quantized input samples of TINYOPT_MODEL_INPUT_SIZE bytes from "inputs.bin" (semihosting file
 * I/O on Cortex-M), runs tinyopt_model_invoke_checked on each inside one instruction-count region
 * (model.c's TINYOPT_STEP_BEGIN / _END, defined by emu_harness.h through TINYOPT_HOOKS_HEADER, nest one
 * region per kernel call inside it), appends each int8 output to "outputs.bin", and prints one line per
 * sample:
 *   sample <index> stack <bytes of stack the inference used> arena <bytes of arena it touched>
 * Before each inference the stack below main and the whole arena are painted; after it the arena's
 * high-water mark is the highest byte no longer holding the paint. The paint alternates between two
 * bytes from sample to sample, so over two or more samples a written byte that happens to equal one
 * paint cannot hide the true mark (the arena plan, hence the mark, is the same for every sample).
 * The build defines TINYOPT_ARENA_STORAGE empty so model.c's arena is visible here. A failing status
 * stops the run with exit code 3. It does no comparison itself.
 */
#include <stdio.h>

#include "emu_harness.h"
#include "model.h"

extern uint8_t tinyopt_arena[TINYOPT_MODEL_ARENA_BYTES];

static int8_t input[TINYOPT_MODEL_INPUT_SIZE];
static int8_t output[TINYOPT_MODEL_OUTPUT_SIZE];

static void arena_paint(uint8_t paint) {
  size_t i;
  for (i = 0; i < sizeof tinyopt_arena; ++i) ((volatile uint8_t *)tinyopt_arena)[i] = paint;
}

static size_t arena_high_water(uint8_t paint) {
  size_t n = sizeof tinyopt_arena;
  while (n > 0 && tinyopt_arena[n - 1] == paint) --n;
  return n;
}

int main(void) {
  FILE *in = fopen("inputs.bin", "rb");
  FILE *out = fopen("outputs.bin", "wb");
  unsigned long n = 0;
  if (in == NULL || out == NULL) {
    fprintf(stderr, "model_main: cannot open inputs.bin / outputs.bin\n");
    return 2;
  }
  while (fread(input, 1, sizeof input, in) == sizeof input) {
    const uint8_t paint = (n & 1u) ? 0x5Au : 0xA5u;
    int status;
    size_t stack;
    arena_paint(paint);
    emu_stack_paint();
    emu_region_begin();
    status = tinyopt_model_invoke_checked(input, sizeof input, output, sizeof output);
    emu_region_end();
    stack = emu_stack_peak();
    if (status != 0) {
      fprintf(stderr, "model_main: sample %lu: status %d\n", n, status);
      return 3;
    }
    fwrite(output, 1, sizeof output, out);
    printf("sample %lu stack %lu arena %lu\n", n, (unsigned long)stack, (unsigned long)arena_high_water(paint));
    ++n;
  }
  fclose(out);
  fclose(in);
  return 0;
}
