/* op-norm.c - normalization: BatchNormalization in inference mode */
#include <math.h>
#include <stdlib.h>

#include "op.h"
#include "whittle/util.h"

/* x: (n, c, inner) -> y = x * scale[c] + shift[c] */
static void
run_affine(const struct wh_graph *g, const struct wh_op *o,
    const struct wh_layer_weights *lw, const float *lwaux, float **buf,
    size_t n, float *scratch)
{
	const float *x = buf[o->in[0]];
	float *y = buf[o->out];
	int64_t c, i;
	size_t s;

	(void)g;
	(void)lw;
	(void)lwaux;
	(void)scratch;
	for (s = 0; s < n; s++)
		for (c = 0; c < o->aff_c; c++) {
			const float *xp = x + (s * o->aff_c + c) * o->aff_inner;
			float *yp = y + (s * o->aff_c + c) * o->aff_inner;

			for (i = 0; i < o->aff_inner; i++)
				yp[i] = xp[i] * o->aff_scale[c] +
				    o->aff_shift[c];
		}
}

static const struct wh_kernel kernel_affine = { "affine", run_affine, NULL,
    NULL };

/*
 * x: (n, c, ...), scale, bias, mean, var: (c) -> y = x * s[c] + t[c] with
 * s = scale / sqrt(var + epsilon), t = bias - mean * s: fused into the
 * layer before it when that is its only reader, else an op of its own.
 */
static int
compile_bn(struct wh_compiler *c, int node, int x)
{
	const struct wh_node *n = &c->m->nodes[node];
	const struct wh_tensor *sc = wh_in_const(c, node, 1), *bi = wh_in_const(c, node, 2);
	const struct wh_tensor *mu = wh_in_const(c, node, 3), *va = wh_in_const(c, node, 4);
	const struct wh_tinfo *xt = &c->g->t[x];
	float eps = wh_node_attr_float(n, "epsilon", 1e-5f), *s, *t;
	int64_t ch, k, full[WH_MAX_DIMS];
	struct wh_op *o;
	int nd, r;

	if (xt->ndim < 1 || xt->dims[0] < 1)
		return wh_fail(c, node, "input has no channel dim%s", "");
	ch = xt->dims[0];
	if (!sc || !bi || !mu || !va || sc->count != (size_t)ch ||
	    bi->count != (size_t)ch || mu->count != (size_t)ch ||
	    va->count != (size_t)ch || sc->dtype != WH_FLOAT ||
	    bi->dtype != WH_FLOAT || mu->dtype != WH_FLOAT || va->dtype != WH_FLOAT)
		return wh_fail(c, node, "scale, bias, mean and var must be float "
		    "initializers with one value per channel%s", "");
	for (k = 1; k < n->noutputs; k++)
		if (n->outputs[k][0] != '\0')
			return wh_fail(c, node, "training-mode outputs are not "
			    "supported%s", "");
	s = xmalloc(ch * sizeof *s);
	t = xmalloc(ch * sizeof *t);
	for (k = 0; k < ch; k++) {
		s[k] = sc->f[k] / sqrtf(va->f[k] + eps);
		t[k] = bi->f[k] - mu->f[k] * s[k];
	}
	r = wh_try_fuse(c, node, x, s, t, 0);
	if (r != 0) {
		free(s);
		free(t);
		return r < 0 ? -1 : 0;
	}
	o = wh_op_add(c, OP_AFFINE, node);
	o->in[0] = x;
	o->nin = 1;
	o->aff_scale = s;
	o->aff_shift = t;
	o->aff_c = ch;
	o->aff_inner = (int64_t)(xt->ss / (size_t)ch);
	wh_full_dims(xt, &nd, full);
	if ((o->out = wh_act_add(c, node, wh_out_name(c, node), nd, full,
	    c->g->nops - 1)) < 0)
		return -1;
	return 0;
}

/* the training-mode outputs (mean, var, ...) are refused when named */
const struct wh_opdef wh_def_batchnormalization = {
	"BatchNormalization", 1, 0, 5, 5, 1, 5, NULL, compile_bn,
	&kernel_affine, 0
};
