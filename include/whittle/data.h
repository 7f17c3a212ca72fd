/* data.h - validation sets: IDX (MNIST family) and NPY images with labels */
#ifndef WHITTLE_DATA_H
#define WHITTLE_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "whittle/model.h"

/*
 * n samples of c x h x w values, stored either as raw uint8 pixels (u8) or
 * float32 (f); exactly one of the two is non-NULL.  Labels are class
 * indices in [0, nclasses).  A set of flat vectors has c = h = 1.
 */
struct wh_dataset {
	char *images_path, *labels_path;
	size_t n;
	int c, h, w;
	int sample_ndim;	/* dims per sample in the file: 1, 2 or 3 */
	uint8_t *u8;
	float *f;
	int32_t *labels;
	int nclasses;		/* 1 + the largest label */
};

/*
 * Loads images and labels.  The format is chosen by content (NPY magic,
 * IDX magic, gzip magic), not by name.  Checks headers against file sizes,
 * label ranges (0..max_class-1 when max_class > 0) and that both files
 * hold the same number of samples.  Returns NULL and a one-line message
 * naming the file on error.
 */
struct wh_dataset *wh_data_load(const char *images, const char *labels,
    int max_class, char **err);
void wh_data_free(struct wh_dataset *d);

/* Size of one sample in values (c * h * w). */
size_t wh_data_sample_size(const struct wh_dataset *d);

/*
 * Converts samples [start, start + count) to float input with the model's
 * preprocessing: out[i] = (pixel * scale - mean[c]) / std[c], computed in
 * float32 in exactly that order.  Float data skips the scale unless the
 * preprocessing set it explicitly (scale_set).  out holds count * sample_size
 * floats in NCHW order.
 */
void wh_data_batch(const struct wh_dataset *d, size_t start, size_t count,
    const struct wh_preproc *pre, int scale_set, float *out);

/*
 * Finds the default validation set for a dataset name (as in the model's
 * whittle.dataset metadata).  Looks in $WHITTLE_DATA_DIR/<name>, then in
 * the configured data directory (/usr/share/datasets by default).  Writes
 * new strings to *images and *labels.
 */
int wh_data_find_default(const char *name, char **images, char **labels,
    char **err);

/*
 * Checks the sample shape against the model input dims (N, C, H, W) or
 * (N, F): returns -1 with a message when they cannot match.
 */
int wh_data_check_shape(const struct wh_dataset *d, const struct wh_value *in,
    char **err);

#endif
