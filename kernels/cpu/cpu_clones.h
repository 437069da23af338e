// Function multi-versioning for the CPU kernels' hot loops: GPAC_CPU_CLONES
// compiles a function for the baseline x86-64 ISA and for AVX2, and the
// dynamic loader picks the AVX2 one on CPUs that have it (an ifunc). The build
// stays portable (no -march) and the results stay the same: the clones run
// the same IEEE operations, only wider (no FMA contraction: -ffp-contract=off).
#pragma once

#if defined(__x86_64__) && defined(__linux__) && (defined(__GNUC__) || defined(__clang__))
#define GPAC_CPU_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define GPAC_CPU_CLONES
#endif
