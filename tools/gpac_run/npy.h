// NumPy .npy files (format versions 1.0 to 3.0) for C++ programs: little-endian
// float32/float64/int16/int32/int64 arrays, C or Fortran order. Every header
// field is validated; a bad file raises NpyError saying what is wrong.
#pragma once

#include <ATen/core/Tensor.h>

#include <stdexcept>
#include <string>

namespace gpac {

struct NpyError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The array in `path` as a CPU tensor of its own dtype and shape; C-order
// arrays are memory-mapped (copy-on-write), not read into memory.
at::Tensor read_npy(const std::string& path);

// Writes a float32/float64/int64 CPU tensor as a version 1.0 .npy file.
void write_npy(const std::string& path, const at::Tensor& tensor);

}  // namespace gpac
