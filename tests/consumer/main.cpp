// Computes the MI of a coupled signal through the installed library and
// checks it: the coupled pair must stand out. Exit 0 on success.
#include <ATen/ATen.h>

#include <cmath>
#include <iostream>

#include "csrc/gpac.h"

int main() {
  const double fs = 512, pi = 3.141592653589793;
  const auto t = at::arange(4096, at::kDouble) / fs;
  const auto slow = at::sin(2 * pi * 6 * t);
  const auto x = (1 + slow) * at::sin(2 * pi * 80 * t) + slow + 0.1 * at::randn({4096}, at::kDouble);
  gpac::PacOptions o;
  o.fs = fs;
  o.pha_low = {5, 14};
  o.pha_high = {7, 18};
  o.amp_low = {70, 120};
  o.amp_high = {90, 140};
  const auto mi = gpac::ops::pac(x.unsqueeze(0), o).mi;
  const double coupled = mi[0][0][0].item<double>(), other = mi[0][1][1].item<double>();
  std::cout << "MI coupled " << coupled << ", uncoupled " << other << "\n";
  return coupled > 10 * other ? 0 : 1;
}
