#!/usr/bin/env python3
"""Computes the worked examples printed in docs/numerics.md from an independent model of the spec.

Written with Python's unbounded integers and exact fractions, so it shares no code (and no overflow
behaviour) with the C kernels in runtime/. tests/unit/runtime_numerics_doc_test.cpp asserts that the C
kernels reproduce every number printed here. Run: /usr/bin/python3 docs/numerics_examples.py
"""
from fractions import Fraction
import math

INT32_MIN, INT32_MAX = -2**31, 2**31 - 1


def quantize_multiplier(real):
    """real -> (M, shift) with real ~= M * 2**(shift - 31), M in [2**30, 2**31)."""
    if real == 0:
        return 0, 0
    q, shift = math.frexp(real)          # real = q * 2**shift, q in [0.5, 1)
    m = int(Fraction(q) * 2**31 + Fraction(1, 2))  # round half up (q > 0)
    if m == 2**31:
        m //= 2
        shift += 1
    if shift < -31:
        return 0, 0
    return m, shift


def srdhm(a, b):
    """SaturatingRoundingDoublingHighMul: round(a*b / 2**31), ties toward +infinity; MIN*MIN saturates."""
    if a == b == INT32_MIN:
        return INT32_MAX
    return (a * b + 2**30) >> 31          # Python >> is floor division


def rdbpot(x, e):
    """RoundingDivideByPOT: round(x / 2**e), ties away from zero."""
    f = Fraction(x, 2**e)
    r = math.floor(abs(f) + Fraction(1, 2))
    return r if f >= 0 else -r


def sat32(v):
    return max(INT32_MIN, min(INT32_MAX, v))


def requantize(acc, m, shift):
    left, right = max(shift, 0), max(-shift, 0)
    return rdbpot(srdhm(sat32(acc * 2**left), m), right)


def clamp(v, lo, hi):
    return max(lo, min(hi, v))


def section(title):
    print(f"\n== {title}")


section("quantize_multiplier")
for real in (0.0072474273, 0.75, 1.5, 2.0**-40):
    print(f"real={real!r}: M, shift = {quantize_multiplier(real)}")

section("rounding")
for a, b in ((1, 2**30), (-1, 2**30), (3, 2**30), (-3, 2**30), (INT32_MIN, INT32_MIN), (INT32_MIN, INT32_MAX)):
    print(f"srdhm({a}, {b}) = {srdhm(a, b)}")
for x, e in ((5, 1), (-5, 1), (6, 2), (-6, 2), (-7, 2), (1, 0)):
    print(f"rdbpot({x}, {e}) = {rdbpot(x, e)}")

section("conv: one output of a 1x1 conv, 3 input channels")
s_in, zp_in, s_w, s_out, zp_out = 0.05, -10, 0.002, 0.04, 5
x = [12, -30, 100]
w = [27, -64, 127]
bias_real = 0.3
bias = round(bias_real / (s_in * s_w))
acc = sum((xi - zp_in) * wi for xi, wi in zip(x, w)) + bias
m, sh = quantize_multiplier(s_in * s_w / s_out)
out = clamp(requantize(acc, m, sh) + zp_out, -128, 127)
real_out = sum(s_in * (xi - zp_in) * s_w * wi for xi, wi in zip(x, w)) + bias_real
print(f"bias={bias} acc={acc} M={m} shift={sh} srdhm={srdhm(acc, m)} out={out} "
      f"(float: {real_out / s_out + zp_out:.4f})")
print(f"relu6 clamp: act_min={zp_out + 0} act_max={clamp(zp_out + round(6 / s_out), -128, 127)}")

section("int4 packing")
w4 = [3, -2, -7, 5, 1]
packed = []
for i in range(0, len(w4), 2):
    lo = w4[i] & 0xF
    hi = (w4[i + 1] & 0xF) if i + 1 < len(w4) else 0
    packed.append(lo | (hi << 4))
print("weights", w4, "-> bytes", [f"0x{b:02X}" for b in packed])

section("add")
s1, zp1, s2, zp2, so, zpo = 0.1, 3, 0.05, -7, 0.12, -2
left = 20
twice_max = 2 * max(s1, s2)
m1, sh1 = quantize_multiplier(s1 / twice_max)
m2, sh2 = quantize_multiplier(s2 / twice_max)
mo, sho = quantize_multiplier(twice_max / (2**left * so))
print(f"input1 M={m1} shift={sh1}; input2 M={m2} shift={sh2}; output M={mo} shift={sho}")
for q1, q2 in ((50, -20), (-128, -128), (127, 127)):
    a = requantize((q1 - zp1) * 2**left, m1, sh1)
    b = requantize((q2 - zp2) * 2**left, m2, sh2)
    o = clamp(requantize(a + b, mo, sho) + zpo, -128, 127)
    print(f"q1={q1} q2={q2}: scaled1={a} scaled2={b} out={o} "
          f"(float: {(s1 * (q1 - zp1) + s2 * (q2 - zp2)) / so + zpo:.4f})")

section("avg pool rounding")
for total, count in ((7, 2), (-7, 2), (-5, 3), (5, 3)):
    f = Fraction(total, count)
    r = math.floor(abs(f) + Fraction(1, 2))
    print(f"sum={total} count={count} -> {r if f >= 0 else -r}")

section("global avg pool (requantized mean)")
s_in, zp_in, s_out, zp_out = 0.1, -4, 0.05, 2
vals = [10, -3, 7, 0]
m, sh = quantize_multiplier(s_in / (s_out * len(vals)))
acc = sum(v - zp_in for v in vals)
print(f"M={m} shift={sh} acc={acc} out={clamp(requantize(acc, m, sh) + zp_out, -128, 127)} "
      f"(float: {s_in * acc / len(vals) / s_out + zp_out:.4f})")

section("hard-swish")
s_in, zp_in, s_out, zp_out = 0.05, 0, 0.04, -20
three = round(3 / s_in)
six = 2 * three
m, sh = quantize_multiplier(s_in / (s_out * six))
print(f"three={three} six={six} M={m} shift={sh}")
for q in (-128, -60, -30, 0, 30, 59, 60, 127):
    xq = q - zp_in
    r = clamp(xq + three, 0, six)
    o = clamp(requantize(xq * r, m, sh) + zp_out, -128, 127)
    xr = s_in * xq
    ref = xr * min(max(xr + 3, 0), 6) / 6 / s_out + zp_out
    print(f"q={q}: gate={r} out={o} (float: {ref:.4f})")
