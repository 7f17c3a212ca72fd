/* op-gemm.c - Gemm and MatMul with a constant weight: the linear layers,
 * with the fused bias, BatchNormalization and Relu */
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "op.h"
#include "whittle/util.h"

static inline float
relu(float v)
{
	return v > 0.0f ? v : 0.0f;	/* maxss: branch-free, no libm call */
}

/* The same on y: (m, ch), channel along the row. */
static void
epilogue_cols(const struct wh_op *o, const float *bias, float *y, int64_t m,
    int64_t ch)
{
	int64_t r, c;

	for (r = 0; r < m; r++) {
		float *row = y + r * ch;

		if (bias)
			for (c = 0; c < ch; c++)
				row[c] += bias[c];
		if (o->ep_scale)
			for (c = 0; c < ch; c++)
				row[c] = row[c] * o->ep_scale[c] + o->ep_shift[c];
		if (o->ep_relu)
			for (c = 0; c < ch; c++)
				row[c] = relu(row[c]);
	}
}

/* x: (n * rows, in), w: (out, in) -> y: (n * rows, out), + bias, epilogue */
static void
run_linear(const struct wh_graph *g, const struct wh_op *o,
    const struct wh_layer_weights *lw, const float *lwaux, float **buf,
    size_t n, float *scratch)
{
	const float *x = buf[o->in[0]];
	float *y = buf[o->out];
	const struct wh_layer *l = &g->layers[o->layer];
	int64_t m = (int64_t)n * o->rows, k = o->c, nout = o->oc;

	(void)lwaux;
	if (lw != NULL && lw->act_bits) {
		wh_fake_quant(x, scratch, (size_t)(m * k), lw->act_scale,
		    lw->act_zero);
		x = scratch;
		scratch += m * k;
	}
	if (wh_flin_ok(o, lw)) {
		wh_flin_run(g, o, lw != NULL && lw->w != NULL ? lw->w : l->w, x, y,
		    m, scratch);
		return;
	}
	if (lw != NULL && lw->rank > 0) {
		int64_t r = lw->rank;

		/* t: (m, r) = x (m, k) . vt^T;  y: (m, out) = t . u^T */
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, r, k,
		    1.0f, x, k, lw->vt, k, 0.0f, scratch, r);
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, nout, r,
		    1.0f, scratch, r, lw->u, r, 0.0f, y, nout);
	} else {
		const float *w = lw != NULL && lw->w != NULL ? lw->w : l->w;

		/* y: (m, out) = x (m, k) . w^T, w: (out, k) */
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, nout, k,
		    1.0f, x, k, w, k, 0.0f, y, nout);
	}
	epilogue_cols(o, l->bias, y, m, nout);
}

/*
 * Gemm: x: (n, in), B: (in, out) or with transB (out, in), C: (out) or (1)
 * -> y: (n, out) = alpha x B + beta C.  MatMul: x: (n, ..., in), B: (in,
 * out) -> y: (n, ..., out).  B constant: a compressible layer with w: (out,
 * in).
 */
static int
compile_linear(struct wh_compiler *c, int node, int x)
{
	const struct wh_node *n = &c->m->nodes[node];
	const struct wh_tensor *B = wh_in_const(c, node, 1), *C = wh_in_const(c, node, 2);
	const struct wh_tinfo *xt = &c->g->t[x];
	int gemm = c->def->arg == WH_LAYER_GEMM;
	int64_t K, N, i, j, full[WH_MAX_DIMS], macs;
	int nd;
	float alpha = 1, beta = 1, *w, *bias = NULL;
	struct wh_layer *l;
	struct wh_op *o;

	if (B == NULL || B->dtype != WH_FLOAT || B->ndim != 2)
		return wh_fail(c, node, "the right operand must be a 2-D float "
		    "initializer%s", "");
	if (xt->ndim < 1 || xt->dims[xt->ndim - 1] < 1)
		return wh_fail(c, node, "the input has no feature dim%s", "");
	K = xt->dims[xt->ndim - 1];
	if (gemm) {
		int tb = (int)wh_node_attr_int(n, "transB", 0);

		if (wh_node_attr_int(n, "transA", 0) != 0)
			return wh_fail(c, node, "transA=1 is not supported%s", "");
		if (xt->ndim != 1)
			return wh_fail(c, node, "Gemm input must be 2-D%s", "");
		alpha = wh_node_attr_float(n, "alpha", 1);
		beta = wh_node_attr_float(n, "beta", 1);
		N = tb ? B->dims[0] : B->dims[1];
		if ((tb ? B->dims[1] : B->dims[0]) != K)
			return wh_fail(c, node, "weight shape does not match the "
			    "input%s", "");
		w = xmalloc((size_t)N * K * sizeof *w);
		for (i = 0; i < N; i++)
			for (j = 0; j < K; j++)
				w[i * K + j] = alpha * (tb ? B->f[i * K + j] :
				    B->f[j * N + i]);
	} else {
		if (B->dims[0] != K)
			return wh_fail(c, node, "weight shape does not match the "
			    "input%s", "");
		N = B->dims[1];
		w = xmalloc((size_t)N * K * sizeof *w);
		for (i = 0; i < N; i++)
			for (j = 0; j < K; j++)
				w[i * K + j] = B->f[j * N + i];
	}
	if (C != NULL) {
		if (C->dtype != WH_FLOAT || (C->count != (size_t)N &&
		    C->count != 1)) {
			free(w);
			return wh_fail(c, node, "bias must have one value per "
			    "output%s", "");
		}
		bias = xmalloc(N * sizeof *bias);
		for (i = 0; i < N; i++)
			bias[i] = beta * C->f[C->count == 1 ? 0 : i];
	}
	o = wh_op_add(c, OP_LINEAR, node);
	o->in[0] = x;
	o->nin = 1;
	o->rows = (int64_t)(xt->ss / (size_t)K);
	o->c = K;
	o->oc = N;
	wh_full_dims(xt, &nd, full);
	full[nd - 1] = N;
	if (wh_mul_i64(o->rows, N * K, &macs) != 0) {
		free(w);
		free(bias);
		c->g->nops--;
		return wh_fail(c, node, "the multiply-accumulates per sample "
		    "overflow%s", "");
	}
	if ((o->out = wh_act_add(c, node, wh_out_name(c, node), nd, full,
	    c->g->nops - 1)) < 0) {
		free(w);
		free(bias);
		return -1;
	}
	l = wh_layer_add(c, node, gemm ? WH_LAYER_GEMM : WH_LAYER_MATMUL);
	o->layer = c->g->nlayers - 1;
	l->weight_name = n->inputs[1];
	l->bias_name = C != NULL ? n->inputs[2] : NULL;
	l->wndim = B->ndim;
	memcpy(l->wdims, B->dims, sizeof l->wdims);
	l->out = N;
	l->in = K;
	l->rows = o->rows;
	l->w = w;
	l->bias = bias;
	l->macs = (uint64_t)macs;
	l->max_rank = (int)(N < K ? N : K);
	return 0;
}

static size_t
scratch(const struct wh_graph *g, const struct wh_op *o,
    const struct wh_layer_weights *lw, size_t n)
{
	/* either path may run (wh_eval_capture ignores lw) */
	size_t lr = lw != NULL && lw->rank > 0 ?
	    n * (size_t)o->rows * (size_t)lw->rank : 0;

	(void)g;
	return lr > wh_flin_scratch(o) ? lr : wh_flin_scratch(o);
}

const struct wh_kernel wh_kernel_linear = { "linear", run_linear,
    scratch, NULL };

const struct wh_opdef wh_def_gemm = {
	"Gemm", 1, 0, 2, 3, 1, 1, NULL, compile_linear, &wh_kernel_linear,
	WH_LAYER_GEMM
};
const struct wh_opdef wh_def_matmul = {
	"MatMul", 1, 0, 2, 2, 1, 1, NULL, compile_linear, &wh_kernel_linear,
	WH_LAYER_MATMUL
};
