/* op-pool.c - MaxPool, AveragePool and GlobalAveragePool over 2-D maps */
#include <float.h>
#include <string.h>

#include "op.h"

/* A 2 x 2, stride 2 max pool whose windows never reach into padding. */
int
wh_is_maxpool_2x2(const struct wh_op *o)
{
	return o->kind == OP_MAXPOOL && o->kh == 2 && o->kw == 2 &&
	    o->sh == 2 && o->sw == 2 && o->dh == 1 && o->dw == 1 &&
	    o->pt == 0 && o->pl == 0 && o->oh * 2 <= o->h && o->ow * 2 <= o->w;
}

/* Valid kernel taps [k0, k1) for output position o along one axis. */
void
wh_pool_taps(int64_t o, int64_t s, int64_t d, int64_t p, int64_t k, int64_t in,
    int64_t *k0, int64_t *k1)
{
	int64_t base = o * s - p, lo = 0, hi = k;

	while (lo < k && base + lo * d < 0)
		lo++;
	while (hi > lo && base + (hi - 1) * d >= in)
		hi--;
	*k0 = lo;
	*k1 = hi;
}

/* x: (c, h, w) per sample -> y: (c, oh, ow), 2 x 2 windows with stride 2 */
static void
maxpool_2x2(const struct wh_op *o, const float *x, float *y, size_t planes)
{
	int64_t oy, ox;
	size_t c;

	for (c = 0; c < planes; c++) {
		const float *xc = x + c * o->h * o->w;
		float *yc = y + c * o->oh * o->ow;

		for (oy = 0; oy < o->oh; oy++) {
			const float *r0 = xc + 2 * oy * o->w, *r1 = r0 + o->w;
			float *d = yc + oy * o->ow;

			for (ox = 0; ox < o->ow; ox++) {
				float a = r0[2 * ox] > r0[2 * ox + 1] ?
				    r0[2 * ox] : r0[2 * ox + 1];
				float b = r1[2 * ox] > r1[2 * ox + 1] ?
				    r1[2 * ox] : r1[2 * ox + 1];

				d[ox] = a > b ? a : b;
			}
		}
	}
}

/* x: (n, c, h, w) -> y: (n, c, oh, ow) */
static void
run_pool(const struct wh_graph *g, const struct wh_op *o,
    const struct wh_layer_weights *lw, const float *lwaux, float **buf,
    size_t n, float *scratch)
{
	const float *x = buf[o->in[0]];
	float *y = buf[o->out];
	size_t planes = n * (size_t)o->c, c;
	int64_t oy, ox, ky, kx;

	(void)g;
	(void)lw;
	(void)lwaux;
	(void)scratch;
	if (wh_is_maxpool_2x2(o)) {
		maxpool_2x2(o, x, y, planes);
		return;
	}
	for (c = 0; c < planes; c++) {
		const float *xc = x + c * o->h * o->w;
		float *yc = y + c * o->oh * o->ow;

		if (o->kind == OP_GAP) {
			double sum = 0;
			int64_t i;

			for (i = 0; i < o->h * o->w; i++)
				sum += xc[i];
			yc[0] = (float)(sum / (double)(o->h * o->w));
			continue;
		}
		for (oy = 0; oy < o->oh; oy++) {
			int64_t ky0, ky1, padh0, padh1;

			wh_pool_taps(oy, o->sh, o->dh, o->pt, o->kh, o->h, &ky0, &ky1);
			/* in padded coordinates, for count_include_pad */
			wh_pool_taps(oy, o->sh, o->dh, 0, o->kh, o->h + o->pt + o->pb,
			    &padh0, &padh1);
			for (ox = 0; ox < o->ow; ox++) {
				int64_t kx0, kx1, padw0, padw1;
				float mx = -FLT_MAX, sum = 0;

				wh_pool_taps(ox, o->sw, o->dw, o->pl, o->kw, o->w, &kx0, &kx1);
				for (ky = ky0; ky < ky1; ky++) {
					const float *row = xc + (oy * o->sh +
					    ky * o->dh - o->pt) * o->w +
					    ox * o->sw - o->pl;

					for (kx = kx0; kx < kx1; kx++) {
						float v = row[kx * o->dw];

						mx = v > mx ? v : mx;
						sum += v;
					}
				}
				if (o->kind == OP_MAXPOOL) {
					yc[oy * o->ow + ox] = mx;
					continue;
				}
				if (o->count_pad) {
					/* pads count, positions beyond them
					 * (ceil mode) do not */
					wh_pool_taps(ox, o->sw, o->dw, 0, o->kw,
					    o->w + o->pl + o->pr, &padw0, &padw1);
					yc[oy * o->ow + ox] = sum / (float)((padh1 -
					    padh0) * (padw1 - padw0));
				} else
					yc[oy * o->ow + ox] = sum / (float)((ky1 -
					    ky0) * (kx1 - kx0));
			}
		}
	}
}

/* x: (n, c, h, w) -> y: (n, c, oh, ow); def->arg is the op kind, or
 * POOL_GLOBAL_MAX for a max pool whose window is the whole plane */
enum { POOL_GLOBAL_MAX = -1 };

static int
compile_pool(struct wh_compiler *c, int node, int x)
{
	int gmax = c->def->arg == POOL_GLOBAL_MAX;
	enum wh_opkind kind = gmax ? OP_MAXPOOL : (enum wh_opkind)c->def->arg;
	const struct wh_node *n = &c->m->nodes[node];
	const struct wh_tinfo *xt = &c->g->t[x];
	const struct wh_attr *ks = wh_node_attr(n, "kernel_shape");
	struct wh_op *o;
	int64_t full[4], planes;
	int nd;
	const int64_t *xd = wh_chan_dims(c, xt, &nd, &planes);

	if (xd == NULL || nd != 3)
		return wh_fail(c, node, "only 2-D pooling (N, C, H, W) is "
		    "supported%s", "");
	if (n->noutputs > 1 && n->outputs[1][0] != '\0')
		return wh_fail(c, node, "the Indices output is not supported%s", "");
	o = wh_op_add(c, kind, node);
	o->in[0] = x;
	o->nin = 1;
	o->planes = planes;
	o->c = o->oc = xd[0];
	o->h = xd[1];
	o->w = xd[2];
	if (kind == OP_GAP) {
		o->oh = o->ow = 1;
	} else if (gmax) {
		o->kh = o->sh = o->h;
		o->kw = o->sw = o->w;
		o->dh = o->dw = 1;
		o->oh = o->ow = 1;
	} else {
		if (ks == NULL || ks->n != 2) {
			c->g->nops--;
			return wh_fail(c, node, "kernel_shape must have 2 values%s", "");
		}
		o->kh = ks->ints[0];
		o->kw = ks->ints[1];
		o->count_pad = (int)wh_node_attr_int(n, "count_include_pad", 0);
		if (wh_conv_geom(c, node, o) != 0) {
			c->g->nops--;
			return -1;
		}
	}
	full[0] = c->nb ? WH_PROBE_N : planes;
	full[1] = o->oc;
	full[2] = o->oh;
	full[3] = o->ow;
	if ((o->out = wh_act_add(c, node, wh_out_name(c, node), 4, full,
	    c->g->nops - 1)) < 0)
		return -1;
	return 0;
}

const struct wh_kernel wh_kernel_pool = { "pool", run_pool, NULL, NULL };

const struct wh_opdef wh_def_averagepool = {
	"AveragePool", 1, 0, 1, 1, 1, 1, NULL, compile_pool, &wh_kernel_pool,
	OP_AVGPOOL
};
const struct wh_opdef wh_def_globalaveragepool = {
	"GlobalAveragePool", 1, 0, 1, 1, 1, 1, NULL, compile_pool, &wh_kernel_pool,
	OP_GAP
};
const struct wh_opdef wh_def_globalmaxpool = {
	"GlobalMaxPool", 1, 0, 1, 1, 1, 1, NULL, compile_pool, &wh_kernel_pool,
	POOL_GLOBAL_MAX
};
const struct wh_opdef wh_def_maxpool = {
	"MaxPool", 1, 0, 1, 1, 1, 2, NULL, compile_pool, &wh_kernel_pool, OP_MAXPOOL
};
