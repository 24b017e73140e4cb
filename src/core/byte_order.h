// Loading and storing fixed-size numbers in a given byte order from unaligned bytes, for the IDX
// (big-endian) and NPY (usually little-endian) readers and writers. Internal to src/data/; works on
// any host byte order, and is not a serialization framework.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>

namespace tinyopt::detail {

template <typename T>
T load_with_order(const uint8_t* src, std::endian order) {
  uint8_t b[sizeof(T)];
  std::memcpy(b, src, sizeof(T));
  if (order != std::endian::native) {
    for (size_t i = 0; i < sizeof(T) / 2; ++i) std::swap(b[i], b[sizeof(T) - 1 - i]);
  }
  T v;
  std::memcpy(&v, b, sizeof(T));
  return v;
}

template <typename T>
T load_be(const uint8_t* src) {
  return load_with_order<T>(src, std::endian::big);
}
template <typename T>
T load_le(const uint8_t* src) {
  return load_with_order<T>(src, std::endian::little);
}

template <typename T>
void store_le(T v, uint8_t* dst) {
  std::memcpy(dst, &v, sizeof(T));
  if (std::endian::native != std::endian::little) {
    for (size_t i = 0; i < sizeof(T) / 2; ++i) std::swap(dst[i], dst[sizeof(T) - 1 - i]);
  }
}

// Copies `count` values stored in `order` from bytes to a native array.
template <typename T>
void copy_with_order(const uint8_t* src, T* dst, uint64_t count, std::endian order) {
  if (order == std::endian::native || sizeof(T) == 1) {
    if (count) std::memcpy(dst, src, count * sizeof(T));
    return;
  }
  for (uint64_t i = 0; i < count; ++i) dst[i] = load_with_order<T>(src + i * sizeof(T), order);
}

template <typename T>
void copy_from_be(const uint8_t* src, T* dst, uint64_t count) {
  copy_with_order(src, dst, count, std::endian::big);
}

}  // namespace tinyopt::detail
