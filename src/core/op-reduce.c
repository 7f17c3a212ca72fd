/* op-reduce.c - reductions over axes of an activation: ReduceMean */
#include <string.h>

#include "op.h"
#include "whittle/util.h"

enum { RD_AXES_INPUT = 1 };	/* def->arg: axes as the second input (18+) */

/*
 * x: (n, d1, ..., dk) -> the mean over the axes, which keep a dim of 1
 * (keepdims, the default) or are dropped; no axes: all of them but the
 * batch (or, with noop_with_empty_axes, the input itself).
 */
static int
compile_reduce(struct wh_compiler *c, int node, int x)
{
	const struct wh_node *n = &c->m->nodes[node];
	int64_t in[WH_MAX_DIMS], out[WH_MAX_DIMS], axes[WH_MAX_DIMS];
	int nd, naxes = -1, nout = 0, i, red[WH_MAX_DIMS] = { 0 };
	int keep = (int)wh_node_attr_int(n, "keepdims", 1);
	struct wh_op *o;

	wh_full_dims(&c->g->t[x], &nd, in);
	if (c->def->arg & RD_AXES_INPUT) {
		const struct wh_tensor *t = wh_in_const(c, node, 1);

		if (wh_in_id(c, node, 1) >= 0 && (t == NULL ||
		    (naxes = wh_ints_of(t, axes, WH_MAX_DIMS)) < 0))
			return wh_fail(c, node, "the axes must be a constant "
			    "list%s", "");
	} else {
		const struct wh_attr *a = wh_node_attr(n, "axes");

		if (a != NULL) {
			if (a->n > WH_MAX_DIMS)
				return wh_fail(c, node, "too many axes%s", "");
			naxes = (int)a->n;
			memcpy(axes, a->ints, a->n * sizeof *axes);
		}
	}
	if (naxes <= 0) {
		if (wh_node_attr_int(n, "noop_with_empty_axes", 0) != 0 &&
		    (c->def->arg & RD_AXES_INPUT)) {
			if (wh_alias_add(c, wh_out_name(c, node), x, nd, in) < 0)
				return wh_fail(c, node, "bad reduction%s", "");
			return 0;
		}
		for (i = 1; i < nd; i++)
			red[i] = 1;
	}
	for (i = 0; i < naxes; i++) {
		int ax = wh_norm_axis(axes[i], nd);

		if (ax < 0)
			return wh_fail(c, node, "bad axis%s", "");
		if (ax == 0)
			return wh_fail(c, node, "reducing over the batch axis is "
			    "not supported%s", "");
		red[ax] = 1;
	}
	o = wh_op_add(c, OP_REDUCE, node);
	o->in[0] = x;
	o->nin = 1;
	o->tnd = nd - 1;
	o->red_count = 1;
	for (i = 0; i < nd; i++) {
		if (i > 0) {
			o->tdims[i - 1] = in[i];
			o->red_axis[i - 1] = red[i];
		}
		if (red[i])
			o->red_count *= in[i];
		if (!red[i] || keep)
			out[nout++] = red[i] ? 1 : in[i];
	}
	if (o->red_count < 1) {
		c->g->nops--;
		return wh_fail(c, node, "the mean of no values%s", "");
	}
	if ((o->out = wh_act_add(c, node, wh_out_name(c, node), nout, out,
	    c->g->nops - 1)) < 0)
		return -1;
	return 0;
}

/* x: (n, tdims) -> y: (n, tdims with the reduced axes 1), each output the
 * mean of its red_count inputs, summed in double in index order */
static void
run_reduce(const struct wh_graph *g, const struct wh_op *o,
    const struct wh_layer_weights *lw, const float *lwaux, float **buf,
    size_t n, float *scratch)
{
	size_t iss = g->t[o->in[0]].ss, oss = g->t[o->out].ss, s, k;
	int64_t istr[WH_MAX_DIMS], oidx[WH_MAX_DIMS], ridx[WH_MAX_DIMS];
	int64_t st = 1, j;
	int nd = o->tnd, i;

	(void)lw;
	(void)lwaux;
	(void)scratch;
	for (i = nd - 1; i >= 0; i--) {
		istr[i] = st;
		st *= o->tdims[i];
	}
	for (s = 0; s < n; s++) {
		const float *xs = buf[o->in[0]] + s * iss;
		float *ys = buf[o->out] + s * oss;

		memset(oidx, 0, sizeof oidx);
		for (k = 0; k < oss; k++) {
			int64_t base = 0;
			double sum = 0;

			for (i = 0; i < nd; i++)
				base += oidx[i] * istr[i];
			memset(ridx, 0, sizeof ridx);
			for (j = 0; j < o->red_count; j++) {
				int64_t off = 0;

				for (i = 0; i < nd; i++)
					off += ridx[i] * istr[i];
				sum += xs[base + off];
				for (i = nd - 1; i >= 0; i--) {
					if (!o->red_axis[i])
						continue;
					if (++ridx[i] < o->tdims[i])
						break;
					ridx[i] = 0;
				}
			}
			ys[k] = (float)(sum / (double)o->red_count);
			for (i = nd - 1; i >= 0; i--) {
				if (o->red_axis[i])
					continue;
				if (++oidx[i] < o->tdims[i])
					break;
				oidx[i] = 0;
			}
		}
	}
}

static const struct wh_kernel kernel_reduce = { "reduce", run_reduce, NULL,
    NULL };

const struct wh_opdef wh_def_reducemean_1 = {
	"ReduceMean", 1, 17, 1, 1, 1, 1, NULL, compile_reduce, &kernel_reduce, 0
};
const struct wh_opdef wh_def_reducemean_18 = {
	"ReduceMean", 18, 0, 1, 2, 1, 1, NULL, compile_reduce, &kernel_reduce,
	RD_AXES_INPUT
};
