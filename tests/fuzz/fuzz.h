/*
 * fuzz.h - what every harness under tests/fuzz provides
 *
 * A harness is one function that feeds bytes to one of libwhittle's entry
 * points and returns 0.  It never exits and never prints; a crash, a
 * sanitizer report or an abort() on a broken invariant is the finding.
 * The same source links two ways: with libFuzzer (make fuzz, clang
 * -fsanitize=fuzzer,address,undefined) and with replay.c, a main() that
 * feeds it the files of the regression corpus in the normal build.
 */
#ifndef WHITTLE_FUZZ_H
#define WHITTLE_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
