// Host-to-device copies that do not synchronise: a pageable tensor.to(cuda)
// blocks the host until the copy is done (and torch.cuda's sync debug mode
// reports it); staged through pinned memory from the caching host allocator,
// the copy is queued on the current stream and the staging block is reused
// only once the copy has run.
#pragma once

#include <ATen/ATen.h>

namespace gpac {

inline at::Tensor to_device(const at::Tensor& host, const at::Device& device) {
  if (device.is_cpu() || host.device() == device) return host;
  TORCH_INTERNAL_ASSERT(host.is_cpu(), "to_device copies host tensors");
  auto pinned = at::empty(host.sizes(), host.options().pinned_memory(true));
  pinned.copy_(host);
  return pinned.to(device, /*non_blocking=*/true);
}

}  // namespace gpac
