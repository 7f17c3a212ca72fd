/* graph-fuse.c - after compiling: chains of ops that spell out one
 * operator, as exporters write LayerNormalization and GELU before the
 * opsets that have them (and SiLU, which ONNX has no operator for, and
 * HardSwish before opset 14), rewritten into that operator's one op, as
 * ONNX Runtime's LayerNormFusion, GeluFusion and its SiLU and HardSwish
 * fusions do */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "op.h"
#include "whittle/util.h"

/*
 * Who reads each tensor: the number of op inputs naming it and the first
 * and last op among them.  A pinned tensor (a graph output) or one that
 * another shares the buffer of (an alias: a Reshape, a Flatten) is read
 * where the ops cannot tell, so it counts as read by everyone.
 */
struct fuse {
	struct wh_graph *g;
	int *nread, *first, *last;
	char *dead;		/* ops a fusion replaced */
};

static int
sole_reader(const struct fuse *f, int t)
{
	if (t < 0 || f->nread[t] < 1 || f->first[t] != f->last[t])
		return -1;
	return f->first[t];
}

/* A binary op of kind b over x and a constant, or of two activations
 * (bconst NULL), on the elementwise kernel (not Where). */
static int
is_binary(const struct wh_op *o, enum wh_binary b)
{
	return o->kind == OP_BINARY && o->kern == &wh_kernel_binary &&
	    o->binary == b && o->nin <= 2;
}

/* o's constant is one value (strides 0 everywhere), equal to v within
 * tol */
static int
const_scalar(const struct wh_op *o, double v, double tol)
{
	int i;

	if (o->nin != 1 || o->bconst == NULL)
		return 0;
	for (i = 0; i < o->bnd; i++)
		if (o->bstr[i] != 0 && o->bdims[i] != 1)
			return 0;
	return fabs((double)o->bconst[0] - v) <= tol;
}

/* The same per-sample shape. */
static int
same_shape(const struct wh_graph *g, int a, int b)
{
	return g->t[a].ndim == g->t[b].ndim && g->t[a].ss == g->t[b].ss &&
	    memcmp(g->t[a].dims, g->t[b].dims,
	    g->t[a].ndim * sizeof *g->t[a].dims) == 0;
}

/* The op producing t: an op index, -1 for none. */
static int
producer(const struct fuse *f, int t)
{
	const struct wh_graph *g = f->g;
	int p = g->t[t].prod;

	return p >= 0 && p < g->nops && !f->dead[p] && g->ops[p].out == t &&
	    g->t[t].alias < 0 ? p : -1;
}

/*
 * o (a binary with a constant, of out's shape) scales or shifts each row
 * of the normalized axes [axis, nd) alike: its constant is one value
 * (*one = 1) or indexed by the position in the row (its strides over
 * those axes contiguous, 0 before them).
 */
static int
per_row_const(const struct wh_op *o, int axis, int *one)
{
	int64_t st = 1;
	int i, all0 = 1;

	if (o->nin != 1 || o->bconst == NULL)
		return 0;
	for (i = 0; i < o->bnd; i++)
		if (o->bdims[i] != 1 && o->bstr[i] != 0)
			all0 = 0;
	if (all0) {
		*one = 1;
		return 1;
	}
	*one = 0;
	for (i = o->bnd - 1; i >= 0; i--) {
		if (o->bdims[i] == 1)
			continue;
		if (i < axis ? o->bstr[i] != 0 : o->bstr[i] != st)
			return 0;
		if (i >= axis)
			st *= o->bdims[i];
	}
	return 1;
}

static const float one_f = 1.0f;

/* One op of kind on x in place of the chain ending at op last, writing
 * last's output. */
static struct wh_op
chain_op(const struct wh_graph *g, enum wh_opkind kind,
    const struct wh_kernel *kern, int x, int last)
{
	struct wh_op o;

	memset(&o, 0, sizeof o);
	o.kind = kind;
	o.kern = kern;
	o.node = g->ops[last].node;
	o.in[0] = x;
	o.in[1] = o.in[2] = o.in[3] = -1;
	o.nin = 1;
	o.out = g->ops[last].out;
	o.layer = -1;
	return o;
}

/* Puts op in the place of the chain's last op; the others are dropped and
 * their outputs no longer produced.  1, for the fusion count. */
static int
chain_replace(struct fuse *f, const int *chain, int nchain, int last,
    const struct wh_op *op)
{
	struct wh_graph *g = f->g;
	int k;

	for (k = 0; k < nchain; k++)
		if (chain[k] != last) {
			f->dead[chain[k]] = 1;
			g->t[g->ops[chain[k]].out].prod = -2;
		}
	g->ops[last] = *op;
	return 1;
}

/*
 * LayerNormalization written out over the trailing axes of x (per
 * sample), each intermediate read by the next step only:
 *   m = ReduceMean(x), d = x - m, p = d^2 (Pow 2, or d * d),
 *   v = ReduceMean(p), s = Sqrt(v + eps), q = d / s,
 *   then optionally q * gamma and + beta (constants, one per position
 *   in the normalized row, or one value).
 * r is the first ReduceMean; on a match the last op of the chain becomes
 * the LayerNorm op and the others are marked dead.  1 when fused.
 */
static int
fuse_layernorm(struct fuse *f, int r)
{
	struct wh_graph *g = f->g;
	const struct wh_op *o = &g->ops[r];
	int x = o->in[0], axis, i, js, jp, jr, ja, jq, jd, jm, jb, last;
	int sc1 = 1, b1 = 0, one, chain[9], nchain = 0;
	const float *scale = &one_f, *bias = NULL;
	int64_t inner = 1, outer = 1;
	struct wh_op ln;
	float eps;

	if (o->kind != OP_REDUCE || !wh_reduce_is_mean(o) || x < 0 ||
	    g->t[o->out].ndim != o->tnd)
		return 0;
	/* the reduced axes: the trailing ones, at least one */
	for (axis = o->tnd; axis > 0 && o->red_axis[axis - 1]; axis--)
		;
	if (axis == o->tnd)
		return 0;
	for (i = 0; i < axis; i++)
		if (o->red_axis[i])
			return 0;
	for (i = 0; i < o->tnd; i++)
		*(i < axis ? &outer : &inner) *= o->tdims[i];
	chain[nchain++] = r;

	/* d = x - m */
	if ((js = sole_reader(f, o->out)) < 0 ||
	    !is_binary(&g->ops[js], B_SUB) || g->ops[js].nin != 2 ||
	    g->ops[js].in[0] != x || g->ops[js].in[1] != o->out ||
	    !same_shape(g, g->ops[js].out, x))
		return 0;
	chain[nchain++] = js;
	/* d's readers: the square and the division, nothing else */
	{
		int d = g->ops[js].out, a = f->first[d], b = f->last[d];
		const struct wh_op *pa = &g->ops[a], *pb = &g->ops[b];

		if (a < 0 || a == b || f->nread[d] != (is_binary(pa, B_MUL) &&
		    pa->nin == 2 && pa->in[0] == d && pa->in[1] == d ? 3 : 2))
			return 0;
		if (!((is_binary(pa, B_POW) && !pa->swapped &&
		    const_scalar(pa, 2.0, 0)) || (is_binary(pa, B_MUL) &&
		    pa->nin == 2 && pa->in[0] == d && pa->in[1] == d)))
			return 0;
		if (!is_binary(pb, B_DIV) || pb->nin != 2 || pb->in[0] != d)
			return 0;
		jp = a;
		jd = b;
	}
	chain[nchain++] = jp;
	/* v = ReduceMean(p) over the same axes */
	if ((jr = sole_reader(f, g->ops[jp].out)) < 0 ||
	    g->ops[jr].kind != OP_REDUCE || !wh_reduce_is_mean(&g->ops[jr]) ||
	    g->ops[jr].tnd != o->tnd ||
	    memcmp(g->ops[jr].red_axis, o->red_axis,
	    o->tnd * sizeof *o->red_axis) != 0 ||
	    !same_shape(g, g->ops[jr].out, o->out))
		return 0;
	chain[nchain++] = jr;
	/* v + eps, a constant scalar */
	if ((ja = sole_reader(f, g->ops[jr].out)) < 0 ||
	    !is_binary(&g->ops[ja], B_ADD) || !const_scalar(&g->ops[ja], 0,
	    INFINITY) || !same_shape(g, g->ops[ja].out, o->out))
		return 0;
	eps = g->ops[ja].bconst[0];
	if (!(eps >= 0))
		return 0;
	chain[nchain++] = ja;
	/* Sqrt, then the division */
	if ((jq = sole_reader(f, g->ops[ja].out)) < 0 ||
	    g->ops[jq].kind != OP_UNARY || g->ops[jq].unary != U_SQRT ||
	    sole_reader(f, g->ops[jq].out) != jd ||
	    g->ops[jd].in[1] != g->ops[jq].out ||
	    !same_shape(g, g->ops[jd].out, x))
		return 0;
	chain[nchain++] = jq;
	chain[nchain++] = jd;
	last = jd;
	/* * gamma, + beta */
	if ((jm = sole_reader(f, g->ops[jd].out)) >= 0 &&
	    is_binary(&g->ops[jm], B_MUL) &&
	    same_shape(g, g->ops[jm].out, x) &&
	    per_row_const(&g->ops[jm], axis, &one)) {
		scale = g->ops[jm].bconst;
		sc1 = one;
		chain[nchain++] = last = jm;
		if ((jb = sole_reader(f, g->ops[jm].out)) >= 0 &&
		    is_binary(&g->ops[jb], B_ADD) &&
		    same_shape(g, g->ops[jb].out, x) &&
		    per_row_const(&g->ops[jb], axis, &one)) {
			bias = g->ops[jb].bconst;
			b1 = one;
			chain[nchain++] = last = jb;
		}
	}

	ln = chain_op(g, OP_LAYERNORM, &wh_kernel_layernorm, x, last);
	ln.ln_scale = scale;
	ln.ln_sc1 = sc1;
	ln.ln_bias = bias;
	ln.ln_b1 = b1;
	ln.ln_outer = outer;
	ln.ln_inner = inner;
	ln.ln_eps = eps;
	return chain_replace(f, chain, nchain, last, &ln);
}

/* x times its constant, one value equal to v */
static int
is_scale(const struct wh_op *o, int x, double v)
{
	return is_binary(o, B_MUL) && o->in[0] == x && const_scalar(o, v, 1e-6);
}

/* a two-activation Mul of {p, q} in either order */
static int
is_product(const struct wh_op *o, int p, int q)
{
	return is_binary(o, B_MUL) && o->nin == 2 && ((o->in[0] == p &&
	    o->in[1] == q) || (o->in[0] == q && o->in[1] == p));
}

/*
 * GELU written out around the Erf op e, each intermediate read by the
 * next step only:
 *   a = x / sqrt(2) (or x * (1 / sqrt 2)), b = Erf(a) + 1 (either order),
 *   then x * b * 0.5 in one of the orders exporters write it:
 *   (x * b) * 0.5, x * (b * 0.5) or (x * 0.5) * b.
 * The last op becomes the unary GELU.  1 when fused.
 */
static int
fuse_gelu(struct fuse *f, int e)
{
	struct wh_graph *g = f->g;
	const struct wh_op *o = &g->ops[e];
	int jd, ja, jm, jn, jh = -1, x, b, last, k, chain[6], nchain = 0;
	const struct wh_op *pd, *pa, *pm;
	struct wh_op gl;

	if (o->kind != OP_UNARY || o->unary != U_ERF ||
	    (jd = producer(f, o->in[0])) < 0 ||
	    sole_reader(f, o->in[0]) != e)
		return 0;
	pd = &g->ops[jd];
	if (!(is_binary(pd, B_DIV) && !pd->swapped &&
	    const_scalar(pd, M_SQRT2, 1e-6)) && !(is_binary(pd, B_MUL) &&
	    const_scalar(pd, M_SQRT1_2, 1e-6)))
		return 0;
	x = pd->in[0];
	if (!same_shape(g, pd->out, x) || !same_shape(g, o->out, x))
		return 0;
	chain[nchain++] = jd;
	chain[nchain++] = e;
	/* b = erf + 1 */
	if ((ja = sole_reader(f, o->out)) < 0 ||
	    !is_binary(pa = &g->ops[ja], B_ADD) || !const_scalar(pa, 1, 0) ||
	    !same_shape(g, pa->out, x))
		return 0;
	b = pa->out;
	chain[nchain++] = ja;
	if ((jm = sole_reader(f, b)) < 0)
		return 0;
	pm = &g->ops[jm];
	if (is_product(pm, x, b)) {
		/* (x * b) * 0.5 */
		if ((jn = sole_reader(f, pm->out)) < 0 ||
		    !is_scale(&g->ops[jn], pm->out, 0.5))
			return 0;
		last = jn;
	} else if (is_scale(pm, b, 0.5)) {
		/* x * (b * 0.5) */
		if ((jn = sole_reader(f, pm->out)) < 0 ||
		    !is_product(&g->ops[jn], x, pm->out))
			return 0;
		last = jn;
	} else {
		/* (x * 0.5) * b: pm multiplies b by h = x * 0.5 */
		int h = pm->nin == 2 ? (pm->in[0] == b ? pm->in[1] :
		    pm->in[0]) : -1;

		if (h < 0 || !is_product(pm, h, b) ||
		    (jh = producer(f, h)) < 0 || sole_reader(f, h) != jm ||
		    !is_scale(&g->ops[jh], x, 0.5))
			return 0;
		chain[nchain++] = jh;
		last = jm;
	}
	if (last != jm)
		chain[nchain++] = jm;
	chain[nchain++] = last;
	for (k = 0; k < nchain; k++)
		if (!same_shape(g, g->ops[chain[k]].out, x))
			return 0;

	gl = chain_op(g, OP_UNARY, &wh_kernel_unary, x, last);
	gl.unary = U_GELU;
	return chain_replace(f, chain, nchain, last, &gl);
}

/*
 * x times a gate of itself: s = Sigmoid(x) (SiLU, as EfficientNet writes
 * it) or s = HardSigmoid(x) with alpha 1/6 and beta 1/2 (HardSwish, as
 * opsets before 14 write MobileNetV3's), read only by m = x * s (either
 * order).  m becomes the one unary op, computing each product exactly as
 * the two ops did.  1 when fused.
 */
static int
fuse_self_gate(struct fuse *f, int q)
{
	struct wh_graph *g = f->g;
	const struct wh_op *o = &g->ops[q];
	int jm, x, chain[2];
	enum wh_unary to;
	struct wh_op sl;

	if (o->kind != OP_UNARY)
		return 0;
	if (o->unary == U_SIGMOID)
		to = U_SILU;
	else if (o->unary == U_HARDSIGMOID && o->alpha == 1.0f / 6 &&
	    o->beta == 0.5f)
		to = U_HARDSWISH;
	else
		return 0;
	x = o->in[0];
	if ((jm = sole_reader(f, o->out)) < 0 ||
	    !is_product(&g->ops[jm], x, o->out) ||
	    !same_shape(g, o->out, x) || !same_shape(g, g->ops[jm].out, x))
		return 0;
	chain[0] = q;
	chain[1] = jm;
	sl = chain_op(g, OP_UNARY, &wh_kernel_unary, x, jm);
	sl.unary = to;
	return chain_replace(f, chain, 2, jm, &sl);
}

/* Drops the dead ops, renumbering the producers and the layers' ops. */
static void
compact(struct fuse *f)
{
	struct wh_graph *g = f->g;
	int *map = xcalloc(g->nops ? g->nops : 1, sizeof *map);
	int k, n = 0, t;

	for (k = 0; k < g->nops; k++) {
		map[k] = f->dead[k] ? -2 : n;
		if (!f->dead[k])
			g->ops[n++] = g->ops[k];
	}
	for (t = 0; t < g->nt; t++)
		if (g->t[t].prod >= 0)
			g->t[t].prod = map[g->t[t].prod];
	for (k = 0; k < g->nlayers; k++)
		g->layers[k].op = map[g->layers[k].op];
	g->nops = n;
	free(map);
}

/* Counts the readers of every tensor (f's arrays). */
static void
count_readers(struct fuse *f, const char *pinned)
{
	struct wh_graph *g = f->g;
	int k, i, t;

	for (t = 0; t < g->nt; t++) {
		f->nread[t] = 0;
		f->first[t] = f->last[t] = -1;
	}
	for (k = 0; k < g->nops; k++) {
		if (f->dead[k])
			continue;
		for (i = 0; i < 4; i++) {
			if ((t = g->ops[k].in[i]) < 0)
				continue;
			if (f->nread[t]++ == 0)
				f->first[t] = k;
			f->last[t] = k;
		}
	}
	/* read elsewhere: make them fail sole_reader */
	for (t = 0; t < g->nt; t++) {
		int a = g->t[t].alias;

		if (a >= 0) {
			f->nread[a] += 1;
			f->first[a] = -1;
		}
		if (pinned != NULL && pinned[t])
			f->first[t] = -1;
	}
}

int
wh_graph_fuse(struct wh_graph *g, const char *pinned)
{
	struct fuse f;
	int k, nfused = 0;

	if (g->nops == 0)
		return 0;
	f.g = g;
	f.nread = xcalloc(g->nt, sizeof *f.nread);
	f.first = xcalloc(g->nt, sizeof *f.first);
	f.last = xcalloc(g->nt, sizeof *f.last);
	f.dead = xcalloc(g->nops, 1);
	count_readers(&f, pinned);
	/* a fusion rewrites the ops of its chain only: the counts stay
	 * true for every tensor but the chain's input, whose readers became
	 * fewer, which only keeps another chain from fusing over it */
	for (k = 0; k < g->nops; k++)
		if (!f.dead[k])
			nfused += fuse_layernorm(&f, k) + fuse_gelu(&f, k) +
			    fuse_self_gate(&f, k);
	if (nfused > 0)
		compact(&f);
	free(f.nread);
	free(f.first);
	free(f.last);
	free(f.dead);
	return nfused;
}
