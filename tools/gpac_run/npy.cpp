#include "tools/gpac_run/npy.h"

#include <ATen/ATen.h>

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <vector>

namespace gpac {
namespace {

// The value of `key` in the header dict, e.g. 'descr': '<f8' -> "'<f8'".
std::string field(const std::string& header, const std::string& key, const std::string& path) {
  const auto at = header.find("'" + key + "'");
  if (at == std::string::npos) throw NpyError(path + ": the .npy header has no '" + key + "' field");
  auto begin = header.find(':', at);
  if (begin == std::string::npos) throw NpyError(path + ": malformed .npy header near '" + key + "'");
  ++begin;
  while (begin < header.size() && header[begin] == ' ') ++begin;
  size_t end = begin;
  if (header[begin] == '(') {
    end = header.find(')', begin);
    if (end == std::string::npos) throw NpyError(path + ": malformed shape in the .npy header");
    ++end;
  } else {
    while (end < header.size() && header[end] != ',' && header[end] != '}') ++end;
  }
  return header.substr(begin, end - begin);
}

// The file's data mapped into memory, copy-on-write: pages are read when
// touched and can be dropped again by the kernel, so a recording larger than
// memory can be processed; writes stay private to this process. Null where
// mapping fails (the caller reads the file instead).
at::Tensor map_data(const std::string& path, int64_t offset, const std::vector<int64_t>& shape, at::ScalarType dtype) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return at::Tensor();
  const off_t length = ::lseek(fd, 0, SEEK_END);
  void* base = length > 0 ? ::mmap(nullptr, length, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0) : MAP_FAILED;
  ::close(fd);  // the mapping keeps the file
  if (base == MAP_FAILED) return at::Tensor();
  ::madvise(base, length, MADV_SEQUENTIAL);
  return at::from_blob(
      static_cast<char*>(base) + offset, shape, [base, length](void*) { ::munmap(base, length); },
      at::TensorOptions().dtype(dtype));
}

}  // namespace

at::Tensor read_npy(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw NpyError(path + ": cannot open the file");
  char magic[8];
  if (!in.read(magic, 8) || std::memcmp(magic, "\x93NUMPY", 6) != 0)
    throw NpyError(path + ": not a .npy file (no \\x93NUMPY magic); save signals with numpy.save");
  const int major = static_cast<unsigned char>(magic[6]);
  if (major < 1 || major > 3) throw NpyError(path + ": unsupported .npy format version " + std::to_string(major));
  uint32_t header_len = 0;
  unsigned char len_bytes[4] = {0, 0, 0, 0};
  if (!in.read(reinterpret_cast<char*>(len_bytes), major == 1 ? 2 : 4))
    throw NpyError(path + ": truncated .npy header");
  header_len = len_bytes[0] | (len_bytes[1] << 8) | (len_bytes[2] << 16) | (static_cast<uint32_t>(len_bytes[3]) << 24);
  // The length is read from the file: check it against the file's size
  // before allocating it (a 4 GiB header would be a 4 GiB allocation).
  const auto header_start = in.tellg();
  in.seekg(0, std::ios::end);
  const auto file_size = in.tellg();
  in.seekg(header_start);
  if (static_cast<int64_t>(header_len) > static_cast<int64_t>(file_size - header_start))
    throw NpyError(path + ": truncated .npy header (it claims " + std::to_string(header_len) + " bytes)");
  std::string header(header_len, '\0');
  if (!in.read(header.data(), header_len)) throw NpyError(path + ": truncated .npy header");

  const std::string descr = field(header, "descr", path);
  const std::string order = field(header, "fortran_order", path);
  const std::string shape_text = field(header, "shape", path);
  if (descr.size() < 5 || descr.front() != '\'' || descr.back() != '\'')
    throw NpyError(path + ": unreadable dtype " + descr + " in the .npy header");
  const std::string code = descr.substr(1, descr.size() - 2);
  if (code[0] == '>')
    throw NpyError(path + ": big-endian arrays are not supported; save with x.astype(x.dtype.newbyteorder('<'))");
  at::ScalarType dtype;
  if (code == "<f4")
    dtype = at::kFloat;
  else if (code == "<f8")
    dtype = at::kDouble;
  else if (code == "<i2")
    dtype = at::kShort;
  else if (code == "<i4")
    dtype = at::kInt;
  else if (code == "<i8")
    dtype = at::kLong;
  else
    throw NpyError(path + ": dtype " + code + " is not supported; expected float32, float64, int16, int32 or int64");
  if (order != "False" && order != "True") throw NpyError(path + ": unreadable fortran_order " + order);

  std::vector<int64_t> shape;
  size_t pos = 1;  // after '('
  while (pos < shape_text.size()) {
    while (pos < shape_text.size() && (shape_text[pos] == ' ' || shape_text[pos] == ',')) ++pos;
    if (pos >= shape_text.size() || shape_text[pos] == ')') break;
    size_t used = 0;
    try {
      shape.push_back(std::stoll(shape_text.substr(pos), &used));
    } catch (const std::exception&) {
      throw NpyError(path + ": unreadable shape " + shape_text + " in the .npy header");
    }
    if (shape.back() < 0) throw NpyError(path + ": negative size in shape " + shape_text);
    pos += used;
  }
  // The sizes come from the file: a product past int64 is refused, not
  // wrapped, and so is one that only a zero-size dim keeps finite (the
  // strides of the other dims would still overflow).
  int64_t count = 1, span = 1;
  for (const auto d : shape) {
    if (span > INT64_MAX / 8 / std::max<int64_t>(d, 1))
      throw NpyError(path + ": shape " + shape_text + " is too large");
    span *= std::max<int64_t>(d, 1);
    count *= d;
  }
  const int64_t bytes = count * static_cast<int64_t>(at::elementSize(dtype));
  const auto data_start = in.tellg();
  in.seekg(0, std::ios::end);
  const int64_t available = static_cast<int64_t>(in.tellg() - data_start);
  if (available != bytes)
    throw NpyError(path + ": the header promises " + std::to_string(bytes) + " bytes of data for shape " + shape_text +
                   " but the file holds " + std::to_string(available));
  const bool aligned = static_cast<int64_t>(data_start) % static_cast<int64_t>(at::elementSize(dtype)) == 0;
  if (order == "False" && bytes > 0 && aligned) {
    auto mapped = map_data(path, static_cast<int64_t>(data_start), shape, dtype);
    if (mapped.defined()) return mapped;
  }
  in.seekg(data_start);
  // Fortran order: read the reversed shape in C order, then transpose back.
  std::vector<int64_t> stored(shape.rbegin(), shape.rend());
  auto out = at::empty(order == "True" ? stored : shape, at::TensorOptions().dtype(dtype));
  if (!in.read(static_cast<char*>(out.data_ptr()), bytes)) throw NpyError(path + ": truncated data");
  if (order == "True") {
    std::vector<int64_t> dims(shape.size());
    for (size_t i = 0; i < dims.size(); ++i) dims[i] = static_cast<int64_t>(dims.size() - 1 - i);
    out = out.permute(dims).contiguous();
  }
  return out;
}

void write_npy(const std::string& path, const at::Tensor& tensor) {
  const auto t = tensor.cpu().contiguous();
  std::string code;
  switch (t.scalar_type()) {
    case at::kFloat:
      code = "<f4";
      break;
    case at::kDouble:
      code = "<f8";
      break;
    case at::kLong:
      code = "<i8";
      break;
    default:
      throw NpyError(path + ": cannot write dtype " + std::string(c10::toString(t.scalar_type())));
  }
  std::string shape = "(";  // a 1-tuple keeps its comma: (5,)
  for (int64_t d = 0; d < t.dim(); ++d)
    shape += std::to_string(t.size(d)) + (t.dim() == 1 ? "," : d + 1 < t.dim() ? ", " : "");
  shape += ")";
  std::string header = "{'descr': '" + code + "', 'fortran_order': False, 'shape': " + shape + ", }";
  // Version 1.0: magic (6) + version (2) + length (2) + header, padded with
  // spaces and a newline to a multiple of 64 bytes.
  const size_t total = ((10 + header.size() + 1 + 63) / 64) * 64;
  header.append(total - 10 - header.size() - 1, ' ');
  header += '\n';
  std::ofstream out(path, std::ios::binary);
  if (!out) throw NpyError(path + ": cannot write the file");
  const uint16_t len = static_cast<uint16_t>(header.size());
  out.write("\x93NUMPY\x01\x00", 8);
  const char len_bytes[2] = {static_cast<char>(len & 0xff), static_cast<char>(len >> 8)};
  out.write(len_bytes, 2);
  out.write(header.data(), static_cast<std::streamsize>(header.size()));
  out.write(static_cast<const char*>(t.data_ptr()), static_cast<std::streamsize>(t.nbytes()));
  if (!out) throw NpyError(path + ": write failed");
}

}  // namespace gpac
