/* op-norm.c - normalization: BatchNormalization in inference mode,
 * LayerNormalization, InstanceNormalization, GroupNormalization */
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
	int nd, r;
	const int64_t *cd = wh_chan_dims(c, xt, &nd, NULL);
	struct wh_op *o;

	if (cd == NULL || nd < 1 || cd[0] < 1)
		return wh_fail(c, node, "input has no channel dim%s", "");
	ch = cd[0];
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
	wh_full_dims(c, xt, &nd, full);
	if ((o->out = wh_act_add(c, node, wh_out_name(c, node), nd, full,
	    c->g->nops - 1)) < 0)
		return -1;
	return 0;
}

/*
 * LayerNormalization: x: (n, outer..., inner...) normalized over the dims
 * from axis on: y = (x - mean) / sqrt(var + epsilon) * scale + bias, with
 * scale and bias (inner...) or one value.  The mean and inverse deviation
 * outputs are refused when named.
 */
static int
compile_layernorm(struct wh_compiler *c, int node, int x)
{
	const struct wh_node *n = &c->m->nodes[node];
	const struct wh_tensor *sc = wh_in_const(c, node, 1);
	const struct wh_tensor *bi = wh_in_const(c, node, 2);
	int64_t full[WH_MAX_DIMS], inner = 1, outer = 1;
	int nd, axis, i;
	struct wh_op *o;

	wh_full_dims(c, &c->g->t[x], &nd, full);
	axis = wh_norm_axis(wh_node_attr_int(n, "axis", -1), nd);
	if (axis < c->nb || axis < 0)
		return wh_batch_fail(c, node, "normalizing over the batch axis "
		    "is not supported%s", "");
	for (i = 1; i < n->noutputs; i++)
		if (n->outputs[i][0] != '\0')
			return wh_fail(c, node, "the mean and inverse deviation "
			    "outputs are not supported%s", "");
	for (i = c->nb; i < axis; i++)
		outer *= full[i];
	for (i = axis; i < nd; i++)
		inner *= full[i];
	if (sc == NULL || sc->dtype != WH_FLOAT || (sc->count != (size_t)inner &&
	    sc->count != 1) || (wh_in_id(c, node, 2) >= 0 && (bi == NULL ||
	    bi->dtype != WH_FLOAT || (bi->count != (size_t)inner &&
	    bi->count != 1))))
		return wh_fail(c, node, "scale and bias must be float constants "
		    "of the normalized shape%s", "");
	o = wh_op_add(c, OP_LAYERNORM, node);
	o->in[0] = x;
	o->nin = 1;
	o->ln_scale = sc->f;
	o->ln_sc1 = sc->count == 1;
	o->ln_bias = bi != NULL ? bi->f : NULL;
	o->ln_b1 = bi != NULL && bi->count == 1;
	o->ln_outer = outer;
	o->ln_inner = inner;
	o->ln_eps = wh_node_attr_float(n, "epsilon", 1e-5f);
	if ((o->out = wh_act_add(c, node, wh_out_name(c, node), nd, full,
	    c->g->nops - 1)) < 0)
		return -1;
	return 0;
}

/* x: (n, outer, inner) -> y, the mean and variance of each row in double,
 * then (x - mean) * (scale / sqrt(var + eps)) + bias in float */
static void
run_layernorm(const struct wh_graph *g, const struct wh_op *o,
    const struct wh_layer_weights *lw, const float *lwaux, float **buf,
    size_t n, float *scratch)
{
	const float *x = buf[o->in[0]], *sc = o->ln_scale, *bi = o->ln_bias;
	float *y = buf[o->out];
	size_t r, rows = n * (size_t)o->ln_outer;
	int64_t i, m = o->ln_inner;

	(void)g;
	(void)lw;
	(void)lwaux;
	(void)scratch;
	for (r = 0; r < rows; r++) {
		const float *xr = x + r * (size_t)m;
		float *yr = y + r * (size_t)m;
		double mean, var;
		float mu, inv;

		mean = wh_row_sum(xr, m, 0, 0) / (double)m;
		var = wh_row_sum(xr, m, 1, mean) / (double)m;
		mu = (float)mean;
		inv = (float)(1.0 / sqrt(var + (double)o->ln_eps));
		if (!o->ln_sc1 && bi != NULL && !o->ln_b1)
			for (i = 0; i < m; i++)
				yr[i] = (xr[i] - mu) * inv * sc[i] + bi[i];
		else
			for (i = 0; i < m; i++)
				yr[i] = (xr[i] - mu) * inv *
				    sc[o->ln_sc1 ? 0 : i] + (bi == NULL ? 0.0f :
				    bi[o->ln_b1 ? 0 : i]);
	}
}

const struct wh_kernel wh_kernel_layernorm = { "layernorm", run_layernorm,
    NULL, NULL };

/*
 * GroupNormalization (def->arg: the opset form, 18 scale and bias per
 * group, 21 per channel) and InstanceNormalization (0: groups of one
 * channel, scale and bias per channel): x: (n, c, spatial...) normalized
 * over each group of c / groups channels and their spatial values, then
 * y = xhat * scale[ch] + bias[ch].
 */
static int
compile_groupnorm(struct wh_compiler *c, int node, int x)
{
	const struct wh_node *n = &c->m->nodes[node];
	const struct wh_tensor *sc = wh_in_const(c, node, 1);
	const struct wh_tensor *bi = wh_in_const(c, node, 2);
	const struct wh_tinfo *xt = &c->g->t[x];
	int64_t ch, groups, sp, full[WH_MAX_DIMS], k, per;
	int nd;
	const int64_t *cd = wh_chan_dims(c, xt, &nd, NULL);
	struct wh_op *o;

	if (cd == NULL || nd < 1 || cd[0] < 1)
		return wh_fail(c, node, "the input has no channel dim%s", "");
	ch = cd[0];
	sp = (int64_t)(xt->ss / (size_t)ch);
	groups = c->def->arg == 0 ? ch : wh_node_attr_int(n, "num_groups", 0);
	if (groups < 1 || ch % groups != 0)
		return wh_fail(c, node, "num_groups must divide the channels%s",
		    "");
	per = c->def->arg == 18 ? groups : ch;
	if (sc == NULL || bi == NULL || sc->dtype != WH_FLOAT ||
	    bi->dtype != WH_FLOAT || sc->count != (size_t)per ||
	    bi->count != (size_t)per)
		return wh_fail(c, node, c->def->arg == 18 ? "scale and bias "
		    "must be float constants with a value per group%s" :
		    "scale and bias must be float constants with a value per "
		    "channel%s", "");
	o = wh_op_add(c, OP_LAYERNORM, node);
	o->in[0] = x;
	o->nin = 1;
	o->aff_c = ch;
	o->aff_inner = sp;
	o->ln_outer = groups;
	o->ln_inner = ch / groups * sp;
	o->ln_eps = wh_node_attr_float(n, "epsilon", 1e-5f);
	o->aff_scale = xmalloc(ch * sizeof *o->aff_scale);
	o->aff_shift = xmalloc(ch * sizeof *o->aff_shift);
	for (k = 0; k < ch; k++) {
		int64_t j = per == ch ? k : k / (ch / groups);

		o->aff_scale[k] = sc->f[j];
		o->aff_shift[k] = bi->f[j];
	}
	wh_full_dims(c, xt, &nd, full);
	if ((o->out = wh_act_add(c, node, wh_out_name(c, node), nd, full,
	    c->g->nops - 1)) < 0)
		return -1;
	return 0;
}

/* x: (n, groups, ln_inner) -> y, each group's mean and variance in double,
 * then the scale and bias of the channel (aff_inner values each) */
static void
run_groupnorm(const struct wh_graph *g, const struct wh_op *o,
    const struct wh_layer_weights *lw, const float *lwaux, float **buf,
    size_t n, float *scratch)
{
	const float *x = buf[o->in[0]];
	float *y = buf[o->out];
	size_t r, rows = n * (size_t)o->ln_outer;
	int64_t i, m = o->ln_inner, cg = o->aff_c / o->ln_outer;

	(void)g;
	(void)lw;
	(void)lwaux;
	(void)scratch;
	for (r = 0; r < rows; r++) {
		const float *xr = x + r * (size_t)m;
		float *yr = y + r * (size_t)m;
		int64_t ch0 = (int64_t)(r % (size_t)o->ln_outer) * cg;
		double mean = 0, var = 0, inv;

		for (i = 0; i < m; i++)
			mean += xr[i];
		mean /= (double)m;
		for (i = 0; i < m; i++)
			var += ((double)xr[i] - mean) * ((double)xr[i] - mean);
		var /= (double)m;
		inv = 1.0 / sqrt(var + (double)o->ln_eps);
		for (i = 0; i < m; i++) {
			int64_t k = ch0 + i / o->aff_inner;

			yr[i] = (float)(((double)xr[i] - mean) * inv *
			    o->aff_scale[k] + o->aff_shift[k]);
		}
	}
}

static const struct wh_kernel kernel_groupnorm = { "groupnorm",
    run_groupnorm, NULL, NULL };

const struct wh_opdef wh_def_groupnormalization_18 = {
	"GroupNormalization", 18, 20, 3, 3, 1, 1, NULL, compile_groupnorm,
	&kernel_groupnorm, 18
};
const struct wh_opdef wh_def_groupnormalization_21 = {
	"GroupNormalization", 21, 0, 3, 3, 1, 1, NULL, compile_groupnorm,
	&kernel_groupnorm, 21
};
const struct wh_opdef wh_def_instancenormalization = {
	"InstanceNormalization", 1, 0, 3, 3, 1, 1, NULL, compile_groupnorm,
	&kernel_groupnorm, 0
};
const struct wh_opdef wh_def_layernormalization = {
	"LayerNormalization", 17, 0, 2, 3, 1, 3, NULL, compile_layernorm,
	&wh_kernel_layernorm, 0
};

/* the training-mode outputs (mean, var, ...) are refused when named */
const struct wh_opdef wh_def_batchnormalization = {
	"BatchNormalization", 1, 0, 5, 5, 1, 5, NULL, compile_bn,
	&kernel_affine, 0
};
