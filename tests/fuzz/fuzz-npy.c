/*
 * fuzz-npy.c - the NPY loader: the header's dictionary, dtypes, shapes
 *
 * Input layout: fuzz-data.h.  Seeds: mkseeds' npy/, dictionary: npy.dict.
 */
#include "fuzz-data.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_data_pair(data, size);
}
