/* run.h - a model run on given tensors, and the files they come in: NPY
 * and serialized ONNX TensorProtos (.pb) */
#ifndef WHITTLE_RUN_H
#define WHITTLE_RUN_H

#include <stddef.h>

#include "whittle/graph.h"
#include "whittle/model.h"

/*
 * Reads an NPY file (C order; float32, float64, int64, int32, int16, int8,
 * uint8 or bool) into t, which the caller releases.  Floats become
 * WH_FLOAT, the others WH_INT64; t->elem_type is the ONNX type of the
 * file's (1 float, 7 int64, 6 int32, 9 bool, ...).  -1 and a message
 * naming the file on error.
 */
int wh_npy_read(const char *path, struct wh_tensor *t, char **err);
/* Reads NPY or, when the file is not NPY, a TensorProto. */
int wh_tensor_read(const char *path, struct wh_tensor *t, char **err);
/*
 * Writes t to path as NPY, atomically, in the ONNX type elem_type (1
 * float32, 7 int64, 6 int32, 9 bool; 0: float32 for WH_FLOAT, int64
 * otherwise).
 */
int wh_npy_write(const char *path, const struct wh_tensor *t, int elem_type,
    char **err);

/*
 * Runs the compiled graph on n samples of the batched input (in: n x its
 * size per sample; ignored when the graph has none) and fills outs[k]
 * (released by the caller) with model output k, its first dim n for
 * activations (a graph compiled for the whole batch, wh_graph_opts
 * whole: n 1 and the ONNX dims).  0, or -1 with a message.
 */
int wh_graph_run(const struct wh_graph *g, const float *in, size_t n,
    struct wh_tensor *outs, char **err);

/*
 * Runs the model on one tensor per graph input (in m->inputs order; names
 * are taken from the model) and fills outs[k] for each model output.
 * The first float input of two or more dims is the batched activation
 * (its first dim the batch, shapes inferred with that batch) and the
 * others constants; when the graph does not compile that way, or not
 * also with a batch one larger (an operator that works across the first
 * axis, a constant whose first dim lines up with the batch), every input
 * is bound as a constant and the graph folded.  A graph that moves the
 * batch axis compiles for that batch exactly and runs it as one sample
 * (wh_graph_opts whole).  *how (may be NULL) tells which: "batched",
 * "the batch as one" or "folded".  0, or -1 with a message.
 */
int wh_run(const struct wh_model *m, const struct wh_tensor *in,
    struct wh_tensor *outs, const char **how, char **err);

#endif
