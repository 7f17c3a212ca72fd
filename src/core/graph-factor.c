/* graph-factor.c - a layer the model stores as two factors (what
 * `whittle apply' writes for a low-rank layer) compiles back into the one
 * layer it is, run at its rank */
#include <stdlib.h>
#include <string.h>

#include "op.h"
#include "whittle/compress.h"
#include "whittle/util.h"

/*
 * The folded layer's name: X for the pair X/lowrank_a, X/lowrank_b (the
 * original layer's, so that a plan for it applies), else the second's.
 */
static char *
folded_name(const char *a, const char *b)
{
	static const char sa[] = "/lowrank_a", sb[] = "/lowrank_b";
	size_t na = strlen(a), nb = strlen(b), k = sizeof sa - 1;

	if (na > k && nb > k && na == nb && strcmp(a + na - k, sa) == 0 &&
	    strcmp(b + nb - k, sb) == 0 && strncmp(a, b, na - k) == 0)
		return xstrndup(a, na - k);
	return xstrdup(b);
}

/* P for the weights P.u and P.vt (as whittle apply names them), else
 * the second's name. */
static char *
base_name(const char *a, const char *b)
{
	size_t na = strlen(a), nb = strlen(b);

	if (na > 3 && nb > 2 && na == nb + 1 && strcmp(a + na - 3, ".vt") == 0 &&
	    strcmp(b + nb - 2, ".u") == 0 && strncmp(a, b, nb - 2) == 0)
		return xstrndup(b, nb - 2);
	return xstrdup(b);
}

/*
 * Whether ops a then b of the same kind are the factors of one layer:
 * a: in -> r with nothing after it, b: r -> out, b a 1x1 stride 1 conv
 * (*spatial 0), or a a 1 x kw and b a kh x 1 conv over a's rows (*spatial
 * 1, the form that pads a's rows top and bottom), r below what the
 * layer's matrix view could hold.
 */
static int
is_pair(const struct wh_op *a, const struct wh_layer *la,
    const struct wh_op *b, const struct wh_layer *lb, int *spatial)
{
	int64_t r = la->out, m, n;

	*spatial = 0;
	if (la->kind != lb->kind || la->rank > 0 || lb->rank > 0 ||
	    la->bias != NULL || la->bias_name != NULL || a->ep_scale != NULL ||
	    a->ep_relu || b->ep_scale != NULL || b->ep_relu)
		return 0;
	if (la->kind != WH_LAYER_CONV)
		return lb->in == r && a->rows == b->rows &&
		    r < la->in && r < lb->out;
	if (la->group != 1 || lb->group != 1 || lb->cin != r ||
	    b->kw != 1 || b->sw != 1 || b->dw != 1 || b->pl != 0 ||
	    b->pr != 0 || b->pt != 0 || b->pb != 0)
		return 0;
	if (b->kh == 1 && b->sh == 1 && b->dh == 1) {
		m = lb->out;
		n = la->in;
	} else if (a->kh == 1 && a->sh == 1 && a->dh == 1) {
		*spatial = 1;
		m = lb->out * b->kh;
		n = la->cin * a->kw;
	} else
		return 0;
	return r < m && r < n;
}

int
wh_fold_factored(struct wh_compiler *c)
{
	struct wh_graph *g = c->g;
	struct wh_op *a, *b = &g->ops[g->nops - 1];
	struct wh_layer *la, *lb = &g->layers[g->nlayers - 1];
	const struct wh_tinfo *xt;
	int64_t r, out, in, macs, kh;
	float *u, *vt, *w, *aux = NULL;
	int x = b->in[0], pa, spatial;
	size_t mo;
	char *name;

	if (b->layer != g->nlayers - 1 || x < 0)
		return 0;
	xt = &g->t[x];
	if (xt->is_const || xt->alias >= 0 || xt->prod < 0 ||
	    wh_readers(c, xt->name) != 1)
		return 0;
	for (mo = 0; mo < c->m->noutputs; mo++)
		if (strcmp(c->m->outputs[mo].name, xt->name) == 0)
			return 0;
	pa = xt->prod;
	a = &g->ops[pa];
	if (a->out != x || a->layer < 0 || a->kind != b->kind)
		return 0;
	la = &g->layers[a->layer];
	if (!is_pair(a, la, b, lb, &spatial))
		return 0;

	r = la->out;
	out = lb->out;
	kh = spatial ? b->kh : la->kh;
	in = la->kind == WH_LAYER_CONV ? la->cin * kh * la->kw : la->in;
	if (wh_mul_i64(out, in, &macs) != 0 || macs > WH_MAX_ELEMS ||
	    wh_mul_i64(macs, la->kind == WH_LAYER_CONV ? b->oh * b->ow :
	    la->rows, &macs) != 0)
		return 0;	/* too large to view dense: two layers */
	/* a's weight is vt: (r, in), or spatial (r, cin * kw); b's is u:
	 * (out, r), or spatial the kh x 1 conv's (out, r, kh) */
	vt = (float *)la->w;
	w = xmalloc((size_t)(out * in) * sizeof *w);
	if (spatial) {
		int64_t o, j, y;
		float *ws = xmalloc((size_t)(out * in) * sizeof *ws);

		aux = (float *)lb->w;
		u = xmalloc((size_t)(out * kh * r) * sizeof *u);
		for (o = 0; o < out; o++)
			for (j = 0; j < r; j++)
				for (y = 0; y < kh; y++)
					u[(o * kh + y) * r + j] =
					    aux[(o * r + j) * kh + y];
		wh_lowrank_product(u, vt, out * kh, la->cin * la->kw, (int)r,
		    ws);
		wh_spatial_to_conv(ws, out, la->cin, kh, la->kw, w);
		free(ws);
	} else {
		u = (float *)lb->w;
		wh_lowrank_product(u, vt, out, in, (int)r, w);
	}

	/* a's op computes both: b's output, with b's geometry after a's */
	a->out = b->out;
	a->oc = b->oc;
	a->oh = b->oh;
	a->ow = b->ow;
	if (spatial) {
		a->kh = b->kh;
		a->sh = b->sh;
		a->dh = b->dh;
	}
	a->dflt.rank = (int)r;
	a->dflt.spatial = spatial;
	a->dflt.u = u;
	a->dflt.vt = vt;
	a->dflt_aux = aux;
	g->t[b->out].prod = pa;
	g->t[x].prod = -2;

	name = folded_name(la->name, lb->name);
	free(la->name);
	la->name = name;
	la->node_a = la->node;
	la->node = lb->node;
	la->weight_a_name = la->weight_name;
	la->weight_name = lb->weight_name;
	la->weight_base = base_name(la->weight_a_name, la->weight_name);
	la->bias_name = lb->bias_name;
	la->bias = lb->bias;
	la->wndim = la->kind == WH_LAYER_CONV ? 4 : 2;
	memset(la->wdims, 0, sizeof la->wdims);
	if (la->kind == WH_LAYER_CONV) {
		la->wdims[0] = out;
		la->wdims[1] = la->cin;
		la->wdims[2] = kh;
		la->wdims[3] = la->kw;
	} else {
		la->wdims[la->kind == WH_LAYER_MATMUL] = out;
		la->wdims[la->kind != WH_LAYER_MATMUL] = in;
	}
	la->macs_stored = la->macs + lb->macs;
	la->out = out;
	la->in = in;
	la->kh = kh;
	la->out_h = lb->out_h;
	la->out_w = lb->out_w;
	la->w = w;
	la->u = u;
	la->vt = vt;
	la->rank = (int)r;
	la->spatial = spatial;
	la->macs = (uint64_t)macs;
	la->max_rank = (int)(out < in ? out : in);

	/* b's op and layer are gone: both were the last */
	free(lb->name);
	g->nlayers--;
	g->nops--;
	return 0;
}
