/* data.h - validation sets: IDX (MNIST family) and NPY images with labels,
 * image folders (PNG, JPEG) decoded on demand */
#ifndef WHITTLE_DATA_H
#define WHITTLE_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "whittle/model.h"

/*
 * torchvision's evaluation transforms for image folders: Resize(resize)
 * (the shorter side, Pillow's bilinear filter), CenterCrop((crop_h,
 * crop_w)), then gray or RGB; ToTensor and Normalize are the wh_preproc.
 */
struct wh_image_pre {
	int resize;		/* the shorter side's new length; 0: no resize */
	int crop_w, crop_h;	/* 0: no crop (every image must then agree) */
	int channels;		/* 1 gray, 3 RGB; 0: what the first image has */
	int pad;		/* a crop larger than the image pads with zeros,
				 * as torchvision's does; 0: that is an error */
};

/* How to read a validation set beyond what its files say. */
struct wh_data_opts {
	int nhwc;		/* 4-D IDX or NPY images are (n, h, w, c) */
	struct wh_image_pre img;	/* for image folders */
};

/*
 * n samples of c x h x w values, stored either as raw uint8 pixels (u8) or
 * float32 (f), or, for an image folder, as n files decoded on demand
 * (files); exactly one of the three is non-NULL.  Labels are class
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
	char **files;		/* image folders: the n image paths */
	char **classes;		/* image folders: nclasses folder names */
	struct wh_image_pre img;	/* image folders: as applied */
	struct wh_folder_cache *cache;	/* image folders: transformed pixels */
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
/* The same with options (NULL: none); images may be an image folder. */
struct wh_dataset *wh_data_load_opts(const char *images, const char *labels,
    int max_class, const struct wh_data_opts *o, char **err);

/* Image folders keep this many bytes of transformed pixels for reuse. */
#define WH_FOLDER_CACHE_BYTES	((size_t)256 << 20)

/*
 * Opens an image folder in torchvision's ImageFolder layout: one
 * subfolder per class, class indices in sorted name order (bytewise, as
 * Python sorts), every file below a class folder a PNG or JPEG, taken in
 * the order of sorted(os.walk(...)) with sorted file names.  Hidden files
 * and folders are skipped.  Decodes the first image to settle the sample
 * shape: (channels or the image's, crop or the image's size after the
 * resize).  More classes than max_class (when > 0) is an error.  The
 * transformed pixels (c * h * w bytes a sample) of the first samples, up
 * to WH_FOLDER_CACHE_BYTES, are kept once read, so that evaluating again
 * decodes only the rest.
 */
struct wh_dataset *wh_data_open_folder(const char *dir, int max_class,
    const struct wh_image_pre *ip, char **err);
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
 * Like wh_data_batch, for every kind of set: an image folder's files are
 * read, decoded, resized and cropped here.  A file that cannot be read
 * or decoded, or whose size the transforms do not bring to the set's, is
 * -1 with a message naming it.  Safe to call from several threads at once.
 */
int wh_data_read(const struct wh_dataset *d, size_t start, size_t count,
    const struct wh_preproc *pre, int scale_set, float *out, char **err);

/*
 * The preprocessing a model's metadata names: whittle.input.resize (the
 * shorter side), whittle.input.crop ("H" or "HxW") and
 * whittle.input.channels (1 or 3).  Leaves fields the metadata does not
 * name as they are.
 */
int wh_image_pre_from_model(const struct wh_model *m, struct wh_image_pre *ip,
    char **err);

/* "224" or "224x192" (height x width), 1 to 65536 each: 0, or -1. */
int wh_image_parse_size(const char *s, int *h, int *w);

/*
 * Reads batches ahead on depth worker threads: after a request for samples
 * [s, s + n), the workers decode [s + n, s + 2n), ... into at most depth
 * buffers of n samples, one batch each, so that decoding overlaps
 * evaluation and memory stays bounded whatever the size of the set.  One
 * thread at a time may call wh_data_reader_get.  A request out of that
 * order drops what was read ahead and starts over from it.
 */
struct wh_data_reader;
/* d must outlive the reader; pre is copied. */
struct wh_data_reader *wh_data_reader_new(const struct wh_dataset *d,
    const struct wh_preproc *pre, int scale_set, int depth);
/* Samples [start, start + count) into out, as wh_data_read. */
int wh_data_reader_get(struct wh_data_reader *r, size_t start, size_t count,
    float *out, char **err);
void wh_data_reader_free(struct wh_data_reader *r);

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
