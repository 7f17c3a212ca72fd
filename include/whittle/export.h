/* export.h - writing a compressed model: standard ONNX and safetensors */
#ifndef WHITTLE_EXPORT_H
#define WHITTLE_EXPORT_H

#include "whittle/compress.h"
#include "whittle/graph.h"
#include "whittle/model.h"

/*
 * Writes m with every layer i replaced by results[i] (NULL: unchanged) as
 * an ONNX model that any runtime loads and that computes exactly what
 * whittle's evaluator computes:
 *   - low-rank layers as two Gemm, MatMul or Conv nodes (spatial: a 1 x kw
 *     then a kh x 1 Conv);
 *   - integer-quantized weights as int8/uint8 initializers (int4/uint4 at
 *     opset 21) dequantized by Cast, Sub and Mul, per tensor or per output
 *     channel: DequantizeLinear's arithmetic, in a form runtimes fold into
 *     the exact float weights instead of fusing into integer kernels;
 *   - fp16/bf16 weights as 16-bit initializers feeding Cast;
 *   - activation quantization (uint8, per tensor) in front of the layer as
 *     the float arithmetic of QuantizeLinear and DequantizeLinear (Div,
 *     Clip, and an Add and Sub of 1.5 * 2^23 that round to integers, then
 *     Mul), which no runtime rewrites into integer kernels;
 *   - every weight tensor in the encoding wh_factor_enc chooses (see
 *     compress.h), which the cost accounting counts: dense, a bitmask
 *     expanded by the model-local function whittle.ExpandBitmask, or a
 *     sparse initializer.
 * The opset is raised where an operator form needs it.  Atomic write.
 *
 * wh_export_onnx is wh_export_onnx_opts with o NULL (every option 0).
 * With o->qdq set, activations are quantized by QuantizeLinear and
 * DequantizeLinear, and integer-quantized weights and low-rank factors take
 * the standard QDQ form instead: codes (int8/uint8, int4/uint4 at opset 21),
 * a float scale (a scalar per tensor, 1-D per output channel), a zero
 * point of the codes' type, and DequantizeLinear (axis 0 for (out, ...)
 * layouts, 1 for MatMul's (K, N)).  Whittle computes the same weights from
 * it, but runtimes may fuse such weights into integer kernels whose
 * results differ from whittle's in a few predictions.  DequantizeLinear
 * needs opset 10, per channel 13; a model below 13 is not raised to 13.
 * The u factor of a spatial low-rank Conv (kernel height above 1)
 * quantized per channel keeps Cast, Sub and Mul: its rows span two axes.
 */
struct wh_export_opts {
	int qdq;		/* DequantizeLinear on the weights */
	int float_copy;		/* safetensors: also the dense float weights */
};

int wh_export_onnx(const struct wh_model *m, const struct wh_graph *g,
    const struct wh_compressed *const *results, const char *path, char **err);
int wh_export_onnx_opts(const struct wh_model *m, const struct wh_graph *g,
    const struct wh_compressed *const *results,
    const struct wh_export_opts *o, const char *path, char **err);

/*
 * Writes the compressed weights as safetensors for PyTorch users, with the
 * naming documented in whittle-plan(5): per layer and factor F (the ONNX
 * weight's name NAME, or NAME.u / NAME.vt) integer codes as F.q with
 * F.scale and F.zero_point, other values as F (F32, F16, BF16); each in
 * the encoding the ONNX export uses for it (wh_factor_enc): dense, or the
 * stored elements only with F.mask (a bitmask) or F.indices; the bias as
 * F32.  wh_export_safetensors is wh_export_safetensors_opts with o NULL;
 * with o->float_copy each factor is written dense as F (F32, F16, BF16:
 * the weight whittle evaluates) beside dense codes and, for pruned
 * layers, F.mask.  Atomic write.
 */
int wh_export_safetensors(const struct wh_model *m, const struct wh_graph *g,
    const struct wh_compressed *const *results, const char *path, char **err);
int wh_export_safetensors_opts(const struct wh_model *m,
    const struct wh_graph *g, const struct wh_compressed *const *results,
    const struct wh_export_opts *o, const char *path, char **err);

/* The file formats a compressed model is written in. */
enum wh_export_format { WH_EXPORT_ONNX, WH_EXPORT_SAFETENSORS };

/*
 * The format a file name asks for by its extension: ".onnx" or
 * ".safetensors".  -1 and a message ("'NAME' must end in .onnx or
 * .safetensors") for any other name.  (export-format.c)
 */
int wh_export_format(const char *path, char **err);

#endif
