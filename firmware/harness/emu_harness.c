/* emu_harness.c: the instruction-count markers and stack painting declared in emu_harness.h.
 *
 * The markers are one-instruction functions (a return) marked noipa so gcc neither inlines them, nor
 * merges the two identical bodies, nor drops the calls; the qemu plugin finds them by symbol name. Stack
 * painting writes a pattern word by word from a little below the current stack pointer down to the bottom
 * of the stack, and the peak is found by scanning up from the bottom for the first overwritten word.
 */
#include "emu_harness.h"

#include <stdint.h>

__attribute__((noipa, used)) void emu_region_begin(void) { __asm__ volatile("" ::: "memory"); }
__attribute__((noipa, used)) void emu_region_end(void) { __asm__ volatile("" ::: "memory"); }

#define EMU_PAINT 0xC5A5C5A5u

static volatile uint32_t* paint_low;  /* lowest painted word */
static volatile uint32_t* paint_high; /* one past the highest painted word */
static uintptr_t paint_sp;            /* the stack pointer when painting */

#if defined(__arm__) && !defined(__linux__)
extern uint32_t __stack_limit__;
static uintptr_t stack_bottom(uintptr_t sp) {
  (void)sp;
  return (uintptr_t)&__stack_limit__;
}
#else
static uintptr_t stack_bottom(uintptr_t sp) { return sp - 64 * 1024; }
#endif

static uintptr_t current_sp(void) {
#if defined(__arm__) || defined(__aarch64__)
  uintptr_t sp;
  __asm__ volatile("mov %0, sp" : "=r"(sp));
  return sp;
#else
  volatile char here = 0;
  return (uintptr_t)&here;
#endif
}

__attribute__((noipa)) void emu_stack_paint(void) {
  const uintptr_t sp = current_sp();
  /* leave 128 bytes below sp for this function's own calls; word-aligned bounds */
  volatile uint32_t* high = (volatile uint32_t*)((sp - 128) & ~(uintptr_t)3);
  volatile uint32_t* low = (volatile uint32_t*)((stack_bottom(sp) + 3) & ~(uintptr_t)3);
  for (volatile uint32_t* p = low; p < high; ++p) *p = EMU_PAINT;
  paint_low = low;
  paint_high = high;
  paint_sp = sp;
}

size_t emu_stack_peak(void) {
  if (paint_low == 0) return 0;
  volatile uint32_t* p = paint_low;
  while (p < paint_high && *p == EMU_PAINT) ++p;
  return (size_t)(paint_sp - (uintptr_t)p); /* >= 128: the unpainted gap below sp counts as used */
}
