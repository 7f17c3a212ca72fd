/* op-quant.c - QuantizeLinear and DequantizeLinear: per-tensor on
 * activations (codes kept as floats holding integers), per-axis on
 * constants (the weights of an exported model) */
#include <math.h>

#include "op.h"
#include "whittle/util.h"

/*
 * QuantizeLinear then DequantizeLinear to uint8, as ONNX defines them:
 * q = saturate(round_half_even(x / scale) + zero), y = (q - zero) * scale.
 * x, y: (n)
 */
void
wh_fake_quant(const float *x, float *y, size_t n, float scale, int zero)
{
	size_t i;

	for (i = 0; i < n; i++) {
		float q = nearbyintf(x[i] / scale) + (float)zero;

		q = q < 0 ? 0 : q > 255 ? 255 : q;
		y[i] = (q - (float)zero) * scale;	/* exact; NaN stays NaN */
	}
}

/* x: (n, ...) -> y: (n, ...), per-tensor scale and zero point */
static int
compile_qdq(struct wh_compiler *c, int node, int x, int quantize)
{
	const struct wh_tensor *sc = wh_in_const(c, node, 1);
	const struct wh_tensor *zp = wh_in_const(c, node, 2);
	int t8 = zp ? zp->elem_type : 2;
	struct wh_op *o;
	int64_t full[WH_MAX_DIMS];
	int nd;

	if (sc == NULL || sc->count != 1 || (zp != NULL && zp->count != 1))
		return wh_fail(c, node, "only per-tensor quantization of "
		    "activations is supported%s", "");
	if (t8 != 2 && t8 != 3)
		return wh_fail(c, node, "only uint8 and int8 activations are "
		    "supported%s", "");
	o = wh_op_add(c, OP_UNARY, node);
	o->in[0] = x;
	o->nin = 1;
	o->unary = !quantize ? U_DEQUANT : t8 == 2 ? U_QUANT_U8 : U_QUANT_I8;
	o->alpha = (float)wh_cget(sc, 0);
	o->beta = zp ? (float)wh_cget(zp, 0) : 0;
	wh_full_dims(c, &c->g->t[x], &nd, full);
	if ((o->out = wh_act_add(c, node, wh_out_name(c, node), nd, full,
	    c->g->nops - 1)) < 0)
		return -1;
	return 0;
}

static int
compile_quantize(struct wh_compiler *c, int node, int x)
{
	return compile_qdq(c, node, x, 1);
}

static int
compile_dequantize(struct wh_compiler *c, int node, int x)
{
	return compile_qdq(c, node, x, 0);
}

/* codes a: any shape, scale b and zero point: (1) or (a.dims[axis]) */
static struct wh_tensor *
fold_dequantize(struct wh_compiler *c, int node)
{
	const struct wh_node *n = &c->m->nodes[node];
	const struct wh_tensor *a = wh_in_const(c, node, 0);
	const struct wh_tensor *b = wh_in_const(c, node, 1);
	const struct wh_tensor *zp = wh_in_const(c, node, 2);
	int axis = a->ndim ? wh_norm_axis(wh_node_attr_int(n, "axis", 1),
	    a->ndim) : 0;
	int64_t inner = 1, ch;
	struct wh_tensor *o;
	size_t k;
	int i;

	if (b == NULL || axis < 0 || (b->count != 1 &&
	    (a->ndim == 0 || b->count != (size_t)a->dims[axis])) ||
	    (zp != NULL && zp->count != b->count))
		return wh_fold_fail(c, node, "scale or zero point does not "
		    "match the axis%s", "");
	for (i = axis + 1; i < a->ndim; i++)
		inner *= a->dims[i];
	if ((o = wh_ctensor_new(c, node, WH_FLOAT, a->ndim, a->dims)) == NULL)
		return NULL;
	for (k = 0; k < a->count; k++) {
		ch = b->count == 1 ? 0 : (int64_t)(k / inner) % a->dims[axis];
		/* integer subtraction first, then one multiply, as the
		 * operator defines it: in double, exact on any code below
		 * 2^53, with out-of-range floats saturated rather than
		 * converted undefined */
		o->f[k] = (float)((double)wh_cget_int(a, k) -
		    (zp ? (double)wh_cget_int(zp, ch) : 0)) *
		    (float)wh_cget(b, ch);
	}
	return o;
}

const struct wh_opdef wh_def_dequantizelinear = {
	"DequantizeLinear", 10, 0, 2, 3, 1, 1,
	fold_dequantize, compile_dequantize, &wh_kernel_unary, 0
};

const struct wh_opdef wh_def_quantizelinear = {
	"QuantizeLinear", 10, 0, 2, 3, 1, 1,
	NULL, compile_quantize, &wh_kernel_unary, 0
};
