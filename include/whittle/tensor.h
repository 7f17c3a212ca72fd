/* tensor.h - named n-dimensional arrays of float32 or int64 */
#ifndef WHITTLE_TENSOR_H
#define WHITTLE_TENSOR_H

#include <stddef.h>
#include <stdint.h>

#define WH_MAX_DIMS 8

enum wh_dtype {
	WH_FLOAT = 1,	/* float32; float16 and bfloat16 are widened on load */
	WH_INT64 = 7	/* shape and index tensors; int32 is widened on load */
};

struct wh_tensor {
	char *name;
	enum wh_dtype dtype;
	int ndim;
	int64_t dims[WH_MAX_DIMS];
	size_t count;		/* product of dims, checked for overflow */
	int elem_type;		/* the ONNX data type in the file (0 if made here) */
	float *f;		/* dtype WH_FLOAT: count values, owned */
	int64_t *i;		/* dtype WH_INT64: count values, owned */
};

/* Fills count from dims; -1 when a dim is negative or the product overflows. */
int wh_tensor_count(const int64_t *dims, int ndim, size_t *count);
/* Frees the tensor's name and data; the struct itself is the caller's. */
void wh_tensor_release(struct wh_tensor *t);
/* Deep copy into dst (which is overwritten). */
void wh_tensor_copy(struct wh_tensor *dst, const struct wh_tensor *src);
/* Formats dims as "(a, b, c)" into buf. */
const char *wh_dims_str(const int64_t *dims, int ndim, char *buf, size_t size);

/* IEEE half and bfloat16 to float32. */
float wh_half_to_float(uint16_t h);
float wh_bf16_to_float(uint16_t h);
uint16_t wh_float_to_half(float f);	/* round to nearest even */
uint16_t wh_float_to_bf16(float f);	/* round to nearest even */

#endif
