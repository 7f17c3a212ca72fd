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
 * The shapes of a MatMul a: (pa..., M, K) . b: (pb..., K, N) -> (po..., M,
 * N), po the broadcast of pa and pb: dims (ad, an of them) and (bd, bn),
 * at least 2 each.  Sets o->bnd, bdims (po), astr and bstr (matrix
 * strides of a and b in po's index space), rows (M), c (K) and oc (N).
 * 0, or -1 with the message.
 */
static int
matmul_shapes(struct wh_compiler *c, int node, struct wh_op *o, int an,
    const int64_t *ad, int bn, const int64_t *bd)
{
	int64_t one = 1;

	if (an < 2 || bn < 2)
		return wh_fail(c, node, "both operands need at least 2 dims%s",
		    "");
	if (ad[an - 1] != bd[bn - 2 + o->mm_transb])
		return wh_fail(c, node, "the operands' inner dims differ%s", "");
	if (an == 2 && bn == 2) {
		o->bnd = 0;
	} else if (wh_broadcast(an - 2 > 0 ? an - 2 : 1, an > 2 ? ad : &one,
	    bn - 2 > 0 ? bn - 2 : 1, bn > 2 ? bd : &one, &o->bnd,
	    o->bdims) != 0)
		return wh_fail(c, node, "the operands' batch dims do not "
		    "broadcast%s", "");
	if (o->bnd > 0) {
		wh_bstrides(an > 2 ? an - 2 : 1, an > 2 ? ad : &one, o->bnd,
		    o->bdims, o->astr);
		wh_bstrides(bn > 2 ? bn - 2 : 1, bn > 2 ? bd : &one, o->bnd,
		    o->bdims, o->bstr);
	}
	o->rows = ad[an - 2];
	o->c = ad[an - 1];
	o->oc = bd[bn - 1 - o->mm_transb];
	return 0;
}

/* a: (po..., M, K) . b: (po..., K, N) -> y: (po..., M, N), of one sample
 * (or of constants), a and b indexed in matrices through the strides */
static void
matmul_block(const struct wh_op *o, const float *a, const float *b, float *y)
{
	int64_t idx[WH_MAX_DIMS] = { 0 }, nmat = 1, k, M = o->rows, K = o->c;
	int64_t N = o->oc;
	int i;

	for (i = 0; i < o->bnd; i++)
		nmat *= o->bdims[i];
	for (k = 0; k < nmat; k++) {
		int64_t ao = 0, bo = 0;

		for (i = 0; i < o->bnd; i++) {
			ao += idx[i] * o->astr[i];
			bo += idx[i] * o->bstr[i];
		}
		cblas_sgemm(CblasRowMajor, CblasNoTrans, o->mm_transb ?
		    CblasTrans : CblasNoTrans, M, N, K, 1.0f, a + ao * M * K, K,
		    b + bo * K * N, o->mm_transb ? K : N, 0.0f, y + k * M * N,
		    N);
		for (i = o->bnd - 1; i >= 0; i--) {
			if (++idx[i] < o->bdims[i])
				break;
			idx[i] = 0;
		}
	}
}

static void run_matmul(const struct wh_graph *, const struct wh_op *,
    const struct wh_layer_weights *, const float *, float **, size_t,
    float *);
static const struct wh_kernel kernel_matmul = { "matmul", run_matmul, NULL,
    NULL };

/* a, b: float constants -> their product, numpy's matmul of 2-D or more
 * (b transposed in its last two dims with transb) */
static struct wh_tensor *
matmul_const(struct wh_compiler *c, int node, int transb)
{
	const struct wh_tensor *a = wh_in_const(c, node, 0);
	const struct wh_tensor *b = wh_in_const(c, node, 1);
	struct wh_op o = { 0 };
	int64_t dims[WH_MAX_DIMS];
	struct wh_tensor *y;

	o.mm_transb = transb;
	if (a->dtype != WH_FLOAT || b->dtype != WH_FLOAT) {
		wh_fail(c, node, "MatMul of constants other than float%s", "");
		return NULL;
	}
	if (matmul_shapes(c, node, &o, a->ndim, a->dims, b->ndim,
	    b->dims) != 0)
		return NULL;
	memcpy(dims, o.bdims, o.bnd * sizeof *dims);
	dims[o.bnd] = o.rows;
	dims[o.bnd + 1] = o.oc;
	if ((y = wh_ctensor_new(c, node, WH_FLOAT, o.bnd + 2, dims)) == NULL)
		return NULL;
	matmul_block(&o, a->f, b->f, y->f);
	return y;
}

static struct wh_tensor *
fold_matmul(struct wh_compiler *c, int node)
{
	return matmul_const(c, node, 0);
}

/*
 * MatMul that is not a layer: a: (n, pa..., M, K) . b: (n, pb..., K, N)
 * -> y: (n, po..., M, N), as attention's (n, h, t, d) . (n, h, d, t); or
 * one operand a float constant whose batch dims do not reach the
 * sample's.  An activation a of (n, K) is n rows of one sample each.
 */
static int
compile_matmul(struct wh_compiler *c, int node, int transb)
{
	int ia = wh_in_id(c, node, 0), ib = wh_in_id(c, node, 1);
	const struct wh_tinfo *ta = &c->g->t[ia], *tb = &c->g->t[ib];
	int64_t ad[WH_MAX_DIMS], bd[WH_MAX_DIMS], out[WH_MAX_DIMS];
	int an, bn, nd, i;
	struct wh_op *o;

	if ((ta->is_const && ta->cval->dtype != WH_FLOAT) ||
	    (tb->is_const && tb->cval->dtype != WH_FLOAT))
		return wh_fail(c, node, "a constant operand must be float%s", "");
	/* per-sample dims; a constant's must not reach the batch */
	if (ta->is_const) {
		an = ta->cval->ndim;
		memcpy(ad, ta->cval->dims, an * sizeof *ad);
	} else if (ta->ndim == 1) {
		if (!tb->is_const && c->nb > 0)
			return wh_batch_fail(c, node, "the left operand's rows "
			    "would be the batch%s", "");
		an = 2;
		ad[0] = 1;
		ad[1] = ta->dims[0];
	} else {
		an = ta->ndim;
		memcpy(ad, ta->dims, an * sizeof *ad);
	}
	if (tb->is_const) {
		bn = tb->cval->ndim;
		memcpy(bd, tb->cval->dims, bn * sizeof *bd);
	} else {
		bn = tb->ndim;
		memcpy(bd, tb->dims, bn * sizeof *bd);
		if (bn < 2 && c->nb > 0)
			return wh_batch_fail(c, node, "the right operand's rows "
			    "would be the batch%s", "");
		if (bn < 2)
			return wh_fail(c, node, "a 1-D right operand that is "
			    "an activation is not supported%s", "");
	}
	if (c->nb > 0 && ((ta->is_const && an > 2 && an - 2 >= bn - 2 + 1) ||
	    (tb->is_const && bn > 2 && bn - 2 >= an - 2 + 1)))
		return wh_batch_fail(c, node, "a constant operand's batch dims "
		    "reach the batch axis%s", "");
	o = wh_op_add(c, OP_MATMUL, node);
	o->kern = &kernel_matmul;
	o->mm_transb = transb;
	if (matmul_shapes(c, node, o, an, ad, bn, bd) != 0) {
		c->g->nops--;
		return -1;
	}
	o->nin = 0;
	if (!ta->is_const)
		o->in[o->nin++] = ia;
	if (!tb->is_const)
		o->in[o->nin++] = ib;
	o->a_batch = !ta->is_const;
	o->b_batch = !tb->is_const;
	o->bconst = ta->is_const ? ta->cval->f : tb->is_const ? tb->cval->f :
	    NULL;
	nd = 0;
	if (c->nb > 0)
		out[nd++] = WH_PROBE_N;
	for (i = 0; i < o->bnd; i++)
		out[nd++] = o->bdims[i];
	if (!ta->is_const && ta->ndim == 1) {
		out[nd++] = o->oc;	/* (n, K) . (K, N) rows of one */
	} else {
		out[nd++] = o->rows;
		out[nd++] = o->oc;
	}
	if ((o->out = wh_act_add(c, node, wh_out_name(c, node), nd, out,
	    c->g->nops - 1)) < 0)
		return -1;
	return 0;
}

/* a, b: (n, po..., M, K), (n, po..., K, N) (or a constant without n) ->
 * y: (n, po..., M, N) */
static void
run_matmul(const struct wh_graph *g, const struct wh_op *o,
    const struct wh_layer_weights *lw, const float *lwaux, float **buf,
    size_t n, float *scratch)
{
	size_t as = o->a_batch ? g->t[o->in[0]].ss : 0;
	size_t bs = o->b_batch ? g->t[o->in[o->a_batch]].ss : 0;
	const float *a = o->a_batch ? buf[o->in[0]] : o->bconst;
	const float *b = o->b_batch ? buf[o->in[o->a_batch]] : o->bconst;
	size_t ys = g->t[o->out].ss, s;

	(void)lw;
	(void)lwaux;
	(void)scratch;
	for (s = 0; s < n; s++)
		matmul_block(o, a + s * as, b + s * bs, buf[o->out] + s * ys);
}


/*
 * An Einsum equation of the forms attention writes, a product of two
 * operands "P i k, Q k j -> R i j" (or "Q j k": *transb), where of the
 * batch letters P and Q one ends the other and R is the longer.  0, or -1
 * with the message.
 */
static int
einsum_form(struct wh_compiler *c, int node, int *transb)
{
	const struct wh_attr *eq = wh_node_attr(&c->m->nodes[node], "equation");
	char a[WH_MAX_DIMS + 1], b[WH_MAX_DIMS + 1], r[WH_MAX_DIMS + 1];
	char *parts[3] = { a, b, r }, *longer, *shorter;
	size_t len[3] = { 0, 0, 0 }, pa, pb, k;
	const char *p;
	int part = 0;
	char i, j, kk;

	if (eq == NULL || eq->s == NULL)
		return wh_fail(c, node, "Einsum without an equation%s", "");
	for (p = eq->s; *p != '\0'; p++) {
		if (*p == ' ')
			continue;
		if (*p == ',' && part == 0) {
			part = 1;
		} else if (p[0] == '-' && p[1] == '>' && part == 1) {
			part = 2;
			p++;
		} else if (*p >= 'a' && *p <= 'z' && len[part] < WH_MAX_DIMS) {
			parts[part][len[part]++] = *p;
		} else
			goto refused;
	}
	if (part != 2)
		goto refused;
	a[len[0]] = b[len[1]] = r[len[2]] = '\0';
	if (len[0] < 2 || len[1] < 2 || len[2] < 2)
		goto refused;
	pa = len[0] - 2;
	pb = len[1] - 2;
	i = a[pa];
	kk = a[pa + 1];
	if (b[pb] == kk) {
		*transb = 0;
		j = b[pb + 1];
	} else if (b[pb + 1] == kk) {
		*transb = 1;
		j = b[pb];
	} else
		goto refused;
	longer = pa >= pb ? a : b;
	shorter = pa >= pb ? b : a;
	/* the shorter batch letters end the longer */
	if (i == j || i == kk || j == kk || len[2] != (pa > pb ? pa : pb) + 2 ||
	    memcmp(shorter, longer + (pa > pb ? pa - pb : pb - pa),
	    pa < pb ? pa : pb) != 0 ||
	    memcmp(r, longer, len[2] - 2) != 0 || r[len[2] - 2] != i ||
	    r[len[2] - 1] != j)
		goto refused;
	for (k = 0; k < len[2] - 2; k++)
		if (r[k] == i || r[k] == j || r[k] == kk ||
		    memchr(r + k + 1, r[k], len[2] - 2 - k - 1) != NULL)
			goto refused;
	return 0;
refused:
	return wh_fail(c, node, "Einsum %s is not a batched matrix product; "
	    "whittle runs the forms \"bhid,bhjd->bhij\", \"bhij,bhjd->bhid\" "
	    "and \"bid,jd->bij\"", WH_QNAME(eq->s));
}

static struct wh_tensor *
fold_einsum(struct wh_compiler *c, int node)
{
	int transb;

	if (einsum_form(c, node, &transb) != 0)
		return NULL;
	if (c->m->nodes[node].ninputs != 2)
		return wh_fold_fail(c, node, "Einsum of other than two operands "
		    "is not supported%s", "");
	return matmul_const(c, node, transb);
}

/* Einsum as a batched matrix product: the shapes as MatMul's (b, with
 * transb, (..., N, K)) */
static int
compile_einsum(struct wh_compiler *c, int node, int x)
{
	int transb;

	(void)x;
	if (einsum_form(c, node, &transb) != 0)
		return -1;
	if (c->m->nodes[node].ninputs != 2)
		return wh_fail(c, node, "Einsum of other than two operands is "
		    "not supported%s", "");
	return compile_matmul(c, node, transb);
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

	/* not a layer: both activations, or the constant not a 2-D right
	 * operand */
	if (!gemm && (c->g->t[x].is_const || B == NULL || B->ndim != 2))
		return compile_matmul(c, node, 0);
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
		if (xt->ndim + c->nb != 2)
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
	wh_full_dims(c, xt, &nd, full);
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
	return wh_fold_factored(c);
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

static const struct wh_kernel kernel_einsum = { "matmul", run_matmul, NULL,
    NULL };

/* the batched matrix products attention writes, not layers */
const struct wh_opdef wh_def_einsum = {
	"Einsum", 12, 0, 1, WH_ANY, 1, 1, fold_einsum, compile_einsum,
	&kernel_einsum, 0
};
const struct wh_opdef wh_def_gemm = {
	"Gemm", 1, 0, 2, 3, 1, 1, NULL, compile_linear, &wh_kernel_linear,
	WH_LAYER_GEMM
};
/* a layer with a 2-D constant weight on the right, else kernel_matmul */
const struct wh_opdef wh_def_matmul = {
	"MatMul", 1, 0, 2, 2, 1, 1, fold_matmul, compile_linear, &wh_kernel_linear,
	WH_LAYER_MATMUL
};
