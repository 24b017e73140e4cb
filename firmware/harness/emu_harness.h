/* emu_harness.h: what code running under tinyopt's emulation harness (docs/emulation.md) may call.
 *
 * Instruction-count markers: every emu_region_begin() ... emu_region_end() pair becomes one region count
 * in the qemu plugin's report (tools/qemu-insncount/insncount.c); regions nest. Stack measurement:
 * emu_stack_paint() fills the unused stack below the caller with a pattern, and emu_stack_peak() returns
 * how many bytes below the painting point have been written since. The same file builds for the emulated
 * Cortex-M boards, for aarch64 Linux (qemu-aarch64) and for the host, where the markers are plain calls.
 * It is not a profiler and owns no I/O: mains read and write their data through the C library
 * (semihosting on Cortex-M).
 */
#ifndef TINYOPT_EMU_HARNESS_H
#define TINYOPT_EMU_HARNESS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Marker functions: real calls the plugin recognises by name (never inlined or merged). */
void emu_region_begin(void);
void emu_region_end(void);

/* Paint the free stack below the caller's frame (Cortex-M: down to __stack_limit__; elsewhere 64 KiB). */
void emu_stack_paint(void);
/* Stack bytes used below the painting caller's stack pointer since the last emu_stack_paint(): from that
 * pointer down to the lowest overwritten word (at least 128, the gap left unpainted; 0 before painting). */
size_t emu_stack_peak(void);

#ifdef __cplusplus
}
#endif

/* Generated model.c wraps each step in these (model.h leaves them empty unless defined first): one
 * nested region per layer inside the inference's region. */
#define TINYOPT_STEP_BEGIN(i) emu_region_begin()
#define TINYOPT_STEP_END(i) emu_region_end()

#endif /* TINYOPT_EMU_HARNESS_H */
