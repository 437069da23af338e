// Error messages built without iostream number formatting. On the H200 test
// machine an ostream insertion of a number from this library (TORCH_CHECK's
// c10::str) crashed the Python process once CUDA was in use (a segfault in
// std::basic_ostream::_M_insert<long>), while strings went through. So every
// check in gPAC formats its arguments here, with std::to_string / snprintf,
// and hands TORCH_CHECK a single std::string. The message is built only when
// the check fails.
#pragma once

#include <c10/core/Device.h>
#include <c10/core/ScalarType.h>
#include <c10/core/SymInt.h>
#include <c10/core/SymIntArrayRef.h>
#include <c10/util/ArrayRef.h>
#include <c10/util/Exception.h>

#include <cstdio>
#include <string>
#include <string_view>
#include <type_traits>

namespace gpac {
namespace detail {

inline void append(std::string& s, const std::string& v) { s += v; }
inline void append(std::string& s, std::string_view v) { s += v; }
inline void append(std::string& s, const char* v) { s += v ? v : "(null)"; }
inline void append(std::string& s, char v) { s += v; }
inline void append(std::string& s, bool v) { s += v ? "true" : "false"; }
inline void append(std::string& s, double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  s += buf;
}
inline void append(std::string& s, float v) { append(s, static_cast<double>(v)); }
template <typename T,
          std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool> && !std::is_same_v<T, char>, int> = 0>
void append(std::string& s, T v) {
  s += std::to_string(v);
}
inline void append(std::string& s, const c10::SymInt& v) {
  const auto known = v.maybe_as_int();  // symbolic under torch.compile
  s += known ? std::to_string(*known) : std::string("?");
}
inline void append(std::string& s, c10::ScalarType v) { s += c10::toString(v); }
inline void append(std::string& s, const c10::Device& v) { s += v.str(); }
inline void append(std::string& s, c10::IntArrayRef v) {
  s += '[';
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  s += ']';
}
inline void append(std::string& s, c10::SymIntArrayRef v) {  // a tensor's sym_sizes()
  s += '[';
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) s += ", ";
    append(s, v[i]);
  }
  s += ']';
}

}  // namespace detail

template <typename... Args>
std::string text(const Args&... args) {
  std::string s;
  (detail::append(s, args), ...);
  return s;
}

}  // namespace gpac

#define GPAC_CHECK(cond, ...) TORCH_CHECK(cond, ::gpac::text(__VA_ARGS__))
#define GPAC_CHECK_VALUE(cond, ...) TORCH_CHECK_VALUE(cond, ::gpac::text(__VA_ARGS__))
#define GPAC_CHECK_TYPE(cond, ...) TORCH_CHECK_TYPE(cond, ::gpac::text(__VA_ARGS__))
// On a SymBool (shapes under torch.compile), as TORCH_SYM_CHECK, raising ValueError.
#define GPAC_SYM_CHECK_VALUE(cond, ...) GPAC_CHECK_VALUE((cond).expect_true(__FILE__, __LINE__), __VA_ARGS__)
