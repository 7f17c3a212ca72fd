/* model.h - an ONNX model loaded into plain C structures */
#ifndef WHITTLE_MODEL_H
#define WHITTLE_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "whittle/tensor.h"

enum wh_attr_type {
	WH_ATTR_FLOAT = 1,
	WH_ATTR_INT = 2,
	WH_ATTR_STRING = 3,
	WH_ATTR_TENSOR = 4,
	WH_ATTR_FLOATS = 6,
	WH_ATTR_INTS = 7
};

struct wh_attr {
	char *name;
	enum wh_attr_type type;
	float f;
	int64_t i;
	char *s;
	float *floats;
	int64_t *ints;
	size_t n;		/* length of floats or ints */
	struct wh_tensor *t;	/* WH_ATTR_TENSOR, owned */
};

struct wh_node {
	char *name;		/* never NULL: "" from the file becomes "<op>_<index>" */
	char *op;		/* op_type, e.g. "Conv" */
	char **inputs;		/* "" marks an omitted optional input */
	int ninputs;
	char **outputs;
	int noutputs;
	struct wh_attr *attrs;
	int nattrs;
};

/* A graph input or output with its declared shape; -1 for a symbolic dim. */
struct wh_value {
	char *name;
	int elem_type;		/* ONNX TensorProto.DataType */
	int ndim;
	int64_t dims[WH_MAX_DIMS];
};

/* Input preprocessing: x = (pixel * scale - mean[c]) / std[c]. */
struct wh_preproc {
	float scale;
	int nmean, nstd;	/* 0, 1 (all channels) or one per channel */
	float mean[16];
	float std[16];
};

struct wh_model {
	char *path;
	int64_t ir_version;
	int64_t opset;		/* default domain's opset version */
	char *producer;

	struct wh_tensor *inits;	/* initializers, in file order */
	size_t ninits;
	struct wh_node *nodes;		/* in file order (not necessarily sorted) */
	size_t nnodes;
	struct wh_value *inputs;	/* graph inputs that are not initializers */
	size_t ninputs;
	struct wh_value *outputs;
	size_t noutputs;

	char **meta_keys, **meta_values;	/* metadata_props */
	size_t nmeta;

	struct wh_preproc pre;	/* from metadata, defaults scale 1/255 */
	int has_pre;		/* metadata gave any of scale, mean or std */
	char **labels;		/* class names from whittle.labels, or NULL */
	int nlabels;
	char *dataset;		/* whittle.dataset, or NULL */

	/* Size of the file on disk in bytes. */
	size_t file_bytes;
	/* The parsed protobuf (Onnx__ModelProto *), kept for export. */
	void *proto;
};

/*
 * Loads an ONNX file.  Every size, count and offset is checked; on error
 * returns NULL and a message naming the file and the problem in *err.
 * The caller frees the model with wh_model_free().
 */
struct wh_model *wh_model_load(const char *path, char **err);
/* Parses an ONNX model already in memory; path is used in messages. */
struct wh_model *wh_model_parse(const char *path, const unsigned char *buf,
    size_t len, char **err);
void wh_model_free(struct wh_model *m);
/*
 * Reads a serialized ONNX TensorProto (the .pb files of ONNX's test data)
 * into t, which the caller releases with wh_tensor_release.  Bool and
 * integer types become WH_INT64, floating types WH_FLOAT; t->elem_type
 * keeps the file's type.  -1 and a message naming the file on error.
 */
int wh_tensor_load_pb(const char *path, struct wh_tensor *t, char **err);

/* Lookups; NULL or -1 when absent.  Returned pointers belong to the model. */
const struct wh_tensor *wh_model_init(const struct wh_model *m, const char *name);
const char *wh_model_meta(const struct wh_model *m, const char *key);
const struct wh_attr *wh_node_attr(const struct wh_node *n, const char *name);
int64_t wh_node_attr_int(const struct wh_node *n, const char *name, int64_t def);
float wh_node_attr_float(const struct wh_node *n, const char *name, float def);

#endif
