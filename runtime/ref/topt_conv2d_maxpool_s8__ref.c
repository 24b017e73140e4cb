/* topt_conv2d_maxpool_s8__ref.c: the reference conv2d followed by max pooling, defined as the two reference
 * kernels run one after the other: topt_conv2d_s8__ref writes the conv output (int8, at its quantization)
 * into the scratch and topt_maxpool2d_s8__ref pools it into the output. Obviously the bytes of the unfused
 * pair; the optimized variants pool int32 sums and requantize once, and must equal it.
 * Scratch: the conv output, N * OH * OW * C_out bytes.
 */
#include "tinyopt_rt.h"

int topt_conv2d_maxpool_s8__ref_supports(const topt_conv2d_maxpool_params* p) {
  return topt_conv2d_maxpool_params_check(p) == TOPT_OK;
}

size_t topt_conv2d_maxpool_s8__ref_scratch_bytes(const topt_conv2d_maxpool_params* p) {
  const topt_dims* o = &p->conv.win.output;
  return (size_t)o->n * (size_t)o->h * (size_t)o->w * (size_t)o->c;
}

topt_status topt_conv2d_maxpool_s8__ref(const topt_conv2d_maxpool_params* p, const int8_t* input, const int8_t* filter,
                                        const int32_t* bias, int8_t* output, void* scratch) {
  const topt_status st = topt_conv2d_maxpool_params_check(p);
  topt_status s;
  if (st != TOPT_OK) return st;
  if (input == NULL || filter == NULL || output == NULL || scratch == NULL) return TOPT_ERR_NULL;
  s = topt_conv2d_s8__ref(&p->conv, input, filter, bias, (int8_t*)scratch, NULL);
  return s == TOPT_OK ? topt_maxpool2d_s8__ref(&p->pool, (const int8_t*)scratch, output, NULL) : s;
}
