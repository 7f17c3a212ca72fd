/*
 * fuzz-idx.c - the IDX loader (MNIST format), plain and gzip
 *
 * Input layout: fuzz-data.h.  Seeds: mkseeds' idx/, dictionary: idx.dict.
 */
#include "fuzz-data.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_data_pair(data, size);
}
