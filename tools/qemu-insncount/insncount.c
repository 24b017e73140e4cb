/* insncount.c: a QEMU TCG plugin (plugin API v1, QEMU 7.2+) that counts the guest instructions executed
 * between marker functions, exactly and deterministically. tinyopt's emulation harness brackets each
 * inference (and, nested inside it, each layer) or each kernel call with calls to two tiny marker
 * functions; this plugin reports one instruction count per bracketed region. It counts instructions, not
 * cycles: QEMU models no pipeline, caches or wait states (docs/emulation.md).
 *
 * Arguments (comma-separated after the .so path):
 *   begin=SYM|0xADDR   the marker that opens a region (a symbol name, or an address; Thumb bit ignored)
 *   end=SYM|0xADDR     the marker that closes the innermost open region
 *   out=FILE           write the report to FILE (default: qemu_plugin_outs, shown with `-d plugin`)
 *   exact=on           count per instruction instead of per translation block (needed with -icount)
 * Report, one line per closed region in the order they close, then the total:
 *   insncount: region <depth> <count>      depth 0 = outermost region, 1 = nested in it, ...
 *   insncount: total <count>
 * A region's count runs from the begin marker's first instruction to the end marker's first instruction
 * (an empty region reads 2: the begin marker's return and the end marker's first instruction; the call
 * instructions are inside). Regions nest up to 64 deep; an end without a begin is ignored.
 * Symbols are matched at their first instruction, so markers must be real (noinline) functions.
 * Built by tinyopt (src/emulate/insncount_plugin.cpp) against the header scripts/get-qemu-plugin-h.sh
 * fetches; it is not a general-purpose profiler (no per-symbol tables, one vCPU).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <qemu-plugin.h>

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

enum { kMaxDepth = 64 };

typedef struct {
  const char *symbol; /* NULL when matched by address */
  uint64_t address;
} marker;

static marker begin_marker, end_marker;
static int exact;
static FILE *out;
static uint64_t insns; /* instructions executed so far (updated by inline adds) */
static uint64_t open_at[kMaxDepth];
static int depth;

static void emit(const char *line) {
  if (out) {
    fputs(line, out);
  } else {
    qemu_plugin_outs(line);
  }
}

static void on_begin(unsigned int vcpu, void *udata) {
  (void)vcpu, (void)udata;
  if (depth < kMaxDepth) open_at[depth] = insns;
  ++depth;
}

static void on_end(unsigned int vcpu, void *udata) {
  (void)vcpu, (void)udata;
  if (depth == 0) return;
  --depth;
  if (depth >= kMaxDepth) return;
  char line[96];
  snprintf(line, sizeof line, "insncount: region %d %" PRIu64 "\n", depth, insns - open_at[depth]);
  emit(line);
}

/* Is insn (the i-th of its block) the first instruction of marker m? */
static int is_marker(const marker *m, struct qemu_plugin_insn *insn, const char *prev_symbol) {
  if (!m->symbol) return (qemu_plugin_insn_vaddr(insn) & ~(uint64_t)1) == m->address;
  const char *sym = qemu_plugin_insn_symbol(insn);
  if (!sym || strcmp(sym, m->symbol) != 0) return 0;
  /* inside a block, only the instruction where the symbol starts (a function entry begins a block
   * when it is called; this guards against counting a marker's later instructions) */
  return prev_symbol == NULL || strcmp(prev_symbol, m->symbol) != 0;
}

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb) {
  (void)id;
  const size_t n = qemu_plugin_tb_n_insns(tb);
  if (!exact) qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &insns, n);
  const char *prev = NULL;
  for (size_t i = 0; i < n; ++i) {
    struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
    if (exact) qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64, &insns, 1);
    /* the callback runs before the instruction; in block mode the block's count is already added */
    if (is_marker(&begin_marker, insn, i ? prev : NULL))
      qemu_plugin_register_vcpu_insn_exec_cb(insn, on_begin, QEMU_PLUGIN_CB_NO_REGS, NULL);
    if (is_marker(&end_marker, insn, i ? prev : NULL))
      qemu_plugin_register_vcpu_insn_exec_cb(insn, on_end, QEMU_PLUGIN_CB_NO_REGS, NULL);
    prev = qemu_plugin_insn_symbol(insn);
  }
}

static void on_plugin_exit(qemu_plugin_id_t id, void *udata) {
  (void)id, (void)udata;
  char line[64];
  snprintf(line, sizeof line, "insncount: total %" PRIu64 "\n", insns);
  emit(line);
  if (out) fclose(out);
  out = NULL;
}

static int parse_marker(const char *value, marker *m) {
  if (strncmp(value, "0x", 2) == 0) {
    char *endp = NULL;
    m->address = strtoull(value, &endp, 16) & ~(uint64_t)1;
    m->symbol = NULL;
    return *endp == '\0';
  }
  m->symbol = strdup(value);
  return m->symbol != NULL && *value != '\0';
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv) {
  (void)info;
  int have_begin = 0, have_end = 0;
  for (int i = 0; i < argc; ++i) {
    const char *arg = argv[i];
    const char *eq = strchr(arg, '=');
    if (!eq) goto bad;
    const char *value = eq + 1;
    if (strncmp(arg, "begin=", 6) == 0) {
      if (!parse_marker(value, &begin_marker)) goto bad;
      have_begin = 1;
    } else if (strncmp(arg, "end=", 4) == 0) {
      if (!parse_marker(value, &end_marker)) goto bad;
      have_end = 1;
    } else if (strncmp(arg, "out=", 4) == 0) {
      out = fopen(value, "w");
      if (!out) {
        fprintf(stderr, "insncount: cannot write %s\n", value);
        return -1;
      }
    } else if (strncmp(arg, "exact=", 6) == 0) {
      bool on = false;
      if (!qemu_plugin_bool_parse("exact", value, &on)) goto bad;
      exact = on;
    } else {
      goto bad;
    }
  }
  if (have_begin != have_end) {
    fprintf(stderr, "insncount: give both begin= and end= markers, or neither\n");
    return -1;
  }
  qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
  qemu_plugin_register_atexit_cb(id, on_plugin_exit, NULL);
  return 0;
bad:
  fprintf(stderr, "insncount: bad argument; expected begin=SYM|0xADDR end=SYM|0xADDR out=FILE exact=on|off\n");
  return -1;
}
