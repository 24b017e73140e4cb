/* topt_pad_s8__ref.c: reference constant padding of an int8 NHWC tensor (non-negative pads on all four
 * axes; the new elements get pad_value, normally the zero point). No reflection/edge modes, no cropping.
 * Needs no scratch.
 */
#include "tinyopt_rt.h"

static topt_status check(const topt_pad_params* p) {
  int32_t in[4];
  int64_t total_out = 1;
  int32_t a;
  if (p == NULL) return TOPT_ERR_NULL;
  in[0] = p->input.n;
  in[1] = p->input.h;
  in[2] = p->input.w;
  in[3] = p->input.c;
  for (a = 0; a < 4; ++a) {
    if (in[a] < 1 || p->pad_before[a] < 0 || p->pad_after[a] < 0) return TOPT_ERR_SHAPE;
    if ((int64_t)p->pad_before[a] + p->pad_after[a] > INT32_MAX) return TOPT_ERR_SHAPE;
    total_out *= (int64_t)in[a] + p->pad_before[a] + p->pad_after[a];
    if (total_out > INT32_MAX) return TOPT_ERR_SHAPE;
  }
  if (p->pad_value < -128 || p->pad_value > 127) return TOPT_ERR_QUANT;
  return TOPT_OK;
}

int topt_pad_s8__ref_supports(const topt_pad_params* p) { return check(p) == TOPT_OK; }

size_t topt_pad_s8__ref_scratch_bytes(const topt_pad_params* p) {
  (void)p;
  return 0;
}

topt_status topt_pad_s8__ref(const topt_pad_params* p, const int8_t* input, int8_t* output, void* scratch) {
  const topt_status st = check(p);
  int32_t on, oh, ow, oc, out_h, out_w, out_c, out_n;
  (void)scratch;
  if (st != TOPT_OK) return st;
  if (input == NULL || output == NULL) return TOPT_ERR_NULL;
  out_n = p->input.n + p->pad_before[0] + p->pad_after[0];
  out_h = p->input.h + p->pad_before[1] + p->pad_after[1];
  out_w = p->input.w + p->pad_before[2] + p->pad_after[2];
  out_c = p->input.c + p->pad_before[3] + p->pad_after[3];
  for (on = 0; on < out_n; ++on) {
    const int32_t in_n = on - p->pad_before[0];
    for (oh = 0; oh < out_h; ++oh) {
      const int32_t in_h = oh - p->pad_before[1];
      for (ow = 0; ow < out_w; ++ow) {
        const int32_t in_w = ow - p->pad_before[2];
        const int inside =
            in_n >= 0 && in_n < p->input.n && in_h >= 0 && in_h < p->input.h && in_w >= 0 && in_w < p->input.w;
        int8_t* out = output + ((on * out_h + oh) * out_w + ow) * out_c; /* (C_out) */
        for (oc = 0; oc < out_c; ++oc) {
          const int32_t in_c = oc - p->pad_before[3];
          out[oc] = inside && in_c >= 0 && in_c < p->input.c
                        ? input[((in_n * p->input.h + in_h) * p->input.w + in_w) * p->input.c + in_c]
                        : (int8_t)p->pad_value;
        }
      }
    }
  }
  return TOPT_OK;
}
