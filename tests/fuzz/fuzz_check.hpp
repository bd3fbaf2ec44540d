#pragma once
// FUZZ_CHECK(cond, what): a broken contract in a fuzz target. Prints and aborts, so libFuzzer
// records the input as a crash like any sanitizer report (assert() is compiled out in
// RelWithDebInfo).
#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(cond, what)                                                                    \
  do {                                                                                            \
    if (!(cond)) {                                                                                \
      std::fprintf(stderr, "%s:%d: contract broken: %s (%s)\n", __FILE__, __LINE__, what, #cond); \
      std::abort();                                                                               \
    }                                                                                             \
  } while (false)
