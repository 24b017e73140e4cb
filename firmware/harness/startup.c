/* startup.c: reset and fault handling for tinyopt's emulated Cortex-M boards (qemu mps2-an386 = Cortex-M4F,
 * mps2-an500 = Cortex-M7), with newlib + semihosting (librdimon) as the C library.
 *
 * QEMU loads each ELF segment at its load address and starts the core from the vector table at address 0
 * (the ELF entry point is ignored), so this file provides, in order of need (docs/emulation.md):
 *  1. the vector table (section .vectors, placed first in FLASH by ld/sections.ld);
 *  2. Reset_Handler: enable the FPU (CPACR resets to 0, so the first float instruction would fault), copy
 *     .data from its flash image, zero .bss, open the semihosting stdio handles, run constructors, then
 *     exit(main()) — the exit code reaches the host as qemu's exit status;
 *  3. one handler for every fault and interrupt: it prints the exception number over semihosting and exits
 *     with 128 + IPSR (HardFault -> 131), so a crash is a failing exit code, never a hang.
 * It is not a board support package: no clocks, no peripherals, no interrupts are enabled.
 */
#include <stdint.h>
#include <stdlib.h>

extern uint32_t __data_load__, __data_start__, __data_end__, __bss_start__, __bss_end__, __stack_top__;
extern int main(void);
extern void initialise_monitor_handles(void);
extern void __libc_init_array(void);

void Reset_Handler(void);
void Fault_Handler(void);

/* -nostartfiles drops crti/crtn, which would define these; __libc_init_array calls them. */
void _init(void) {}
void _fini(void) {}

#define CPACR (*(volatile uint32_t *)0xE000ED88u)

/* Semihosting: r0 = operation, r1 = argument block; BKPT 0xAB traps to the host. */
static void semihost(uint32_t op, const void *arg) {
  register uint32_t r0 __asm__("r0") = op;
  register const void *r1 __asm__("r1") = arg;
  __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
}

enum { kSysWrite0 = 0x04, kSysExitExtended = 0x20, kAdpStoppedApplicationExit = 0x20026 };

void Fault_Handler(void) {
  uint32_t ipsr;
  __asm__ volatile("mrs %0, ipsr" : "=r"(ipsr));
  ipsr &= 0x1FFu;
  char msg[] = "emu: fault, exception ###\n";
  msg[22] = (char)('0' + ipsr / 100 % 10);
  msg[23] = (char)('0' + ipsr / 10 % 10);
  msg[24] = (char)('0' + ipsr % 10);
  semihost(kSysWrite0, msg);
  const uint32_t block[2] = {kAdpStoppedApplicationExit, 128u + ipsr};
  semihost(kSysExitExtended, block);
  for (;;) {
  }
}

void Reset_Handler(void) {
  CPACR |= 0xFu << 20; /* CP10 + CP11 full access: the FPU */
  __asm__ volatile("dsb\n\tisb" ::: "memory");
  /* volatile pointers: gcc must not turn these loops into memcpy/memset calls before .data exists */
  volatile uint32_t *src = &__data_load__;
  for (volatile uint32_t *dst = &__data_start__; dst < &__data_end__;) *dst++ = *src++;
  for (volatile uint32_t *dst = &__bss_start__; dst < &__bss_end__;) *dst++ = 0;
  initialise_monitor_handles();
  __libc_init_array();
  exit(main());
}

typedef void (*vector)(void);

/* 16 system exceptions + 16 external interrupts; every slot but reset goes to Fault_Handler. */
__attribute__((section(".vectors"), used)) const vector emu_vector_table[32] = {
    (vector)(uintptr_t)&__stack_top__, Reset_Handler, Fault_Handler, Fault_Handler, Fault_Handler,
    Fault_Handler, Fault_Handler, Fault_Handler, Fault_Handler, Fault_Handler, Fault_Handler,
    Fault_Handler, Fault_Handler, Fault_Handler, Fault_Handler, Fault_Handler, Fault_Handler,
    Fault_Handler, Fault_Handler, Fault_Handler, Fault_Handler, Fault_Handler, Fault_Handler,
    Fault_Handler, Fault_Handler, Fault_Handler, Fault_Handler, Fault_Handler, Fault_Handler,
    Fault_Handler, Fault_Handler, Fault_Handler,
};
