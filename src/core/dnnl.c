/* dnnl.c - the evaluator's convolutions, linear layers and pools from
 * oneDNN, with a layout planned once per graph (see dnnl-int.h) */
#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <omp.h>
#include <oneapi/dnnl/dnnl.h>
#ifdef __SSE__
#include <xmmintrin.h>
#endif
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define WIDE_POOL 1	/* run_maxpool's AVX2 and AVX-512 loops */
#endif

#include "dnnl-int.h"
#include "op.h"
#include "whittle/util.h"

enum mode {
	M_REF,		/* the reference kernel on NCHW buffers */
	M_BLIND,	/* element-wise, scalar parameters: the reference on
			 * any layout without padding */
	M_CONV,
	M_LINEAR,
	M_POOL,
	M_FUSED,	/* computed by the op before it */
	M_CHSCALE,	/* (c, h, w) times (c, 1, 1), as squeeze-and-excite
			 * scales the channels: on either layout */
	M_GAP,		/* GlobalAveragePool of (c, h, w): on any layout */
	M_MAXPOOL	/* MaxPool with input and output in one layout, or
			 * from blocks into NCHW */
};

/* The output of a convolution a slice of samples (plan_slices). */
#define SLICE_BYTES ((size_t)256 << 10)

/* The largest matrix a convolution becomes (dense_fits). */
#define DENSE_BYTES ((size_t)32 << 20)

/* One oneDNN primitive and the memory it reads besides src and dst. */
struct prim {
	dnnl_primitive_t p;
	dnnl_memory_desc_t src, dst;
	dnnl_memory_t wei;	/* weights in the primitive's layout */
	int wei_owned;		/* or borrowed from another batch size's */
	dnnl_memory_t bias;	/* a view of the layer's bias, or NULL */
	dnnl_memory_t post[2];	/* binary post-ops: views of scale, shift */
	int npost;
	int skip_arg;		/* the residual add's execution argument, or
				 * 0: none, or -1: a sum into dst, which
				 * holds a copy of the skip first */
	dnnl_memory_desc_t skip_md;	/* and its layout */
	float *own;		/* what the views show, where the prim made it */
	size_t pad;		/* scratchpad bytes */
	char name[48];		/* oneDNN's implementation */
	struct pmem {		/* per thread: src, dst, scratchpad, skip */
		dnnl_memory_t src, dst, pad, skip;
	} *tm;
};

/* Op q at one batch size. */
struct inst {
	size_t n;
	int orig;		/* the layer's own weights, whatever its setting */
	int nprim;		/* 0: oneDNN declined, the reference runs */
	int dense;		/* a convolution as an inner product over the
				 * samples' buffers, as they are laid out */
	struct prim pr[2];	/* two for a low-rank layer */
	/* where the primitives want another layout than the plan's: the
	 * input and the output reordered on the way */
	dnnl_memory_desc_t in_md, out_md;
	dnnl_primitive_t rin, rout;
	char impl[128];
	struct inst *next;
};

struct dop {
	enum mode mode;
	const struct wh_op *add;	/* a following Add of the output and
					 * tensor skip, as a post-op */
	int skip;
	int no_add;		/* not so: the sum would be in NCHW */
	const struct wh_op *act;	/* a following unary op as a post-op */
	int out;		/* the tensor the primitives write */
	int pool;		/* a max pool that alone reads out, run
				 * slice by slice with the op (-1: none) */
	size_t slice;		/* samples a slice */
	pthread_mutex_t mu;
	unsigned gen;		/* the layer setting the insts were made for */
	struct inst *insts;
};

/* A reorder of tensor t at batch n between the plan's layout and NCHW. */
struct conv {
	int t;
	size_t n;
	dnnl_primitive_t to_plain, to_plan;
	dnnl_memory_desc_t plan_md, plain_md;
	struct conv *next;
};

struct thr {
	dnnl_stream_t stream;
	float *mem;		/* scratch arena */
	size_t cap;		/* its floats */
	float **tbuf;		/* per tensor: buffers for the reference */
	float **sbuf;		/* per tensor: a slice's buffers */
};

struct wh_dnnl {
	const struct wh_graph *g;
	dnnl_engine_t eng;
	int layout;		/* WH_DNNL_* of the activations */
	int block;		/* channels per block (1 for NHWC); 0: NCHW */
	dnnl_format_tag_t btag;
	int *blocked;		/* per tensor (by root) */
	size_t *floats;		/* per tensor: floats per sample */
	struct dop *op;
	unsigned *gen;		/* per layer: settings so far */
	int threads;
	struct thr *thr;
	pthread_mutex_t mu;	/* the conversions */
	struct conv *convs;
	int omp;		/* OpenMP threads per evaluator thread */
	int wino;		/* 3 x 3 convolutions may be Winograd's */
};

static _Thread_local int omp_threads;

/* oneDNN runs single-threaded inside each evaluator thread (unless a
 * benchmark asks for more). */
static void
thread_enter(const struct wh_dnnl *d)
{
	int n = d != NULL && d->omp > 1 ? d->omp : 1;

	if (omp_threads != n) {
		omp_set_num_threads(n);
		omp_threads = n;
	}
}

static void
check(dnnl_status_t st, const char *what)
{
	if (st != dnnl_success)
		wh_fatal("oneDNN: %s failed (status %d)", what, (int)st);
}

int
wh_dnnl_wanted(char **err)
{
	const char *k = getenv("WHITTLE_KERNELS");

	if (k == NULL || *k == '\0' || strcmp(k, "dnnl") == 0)
		return 1;
	if (strcmp(k, "ref") == 0)
		return 0;
	return wh_error(err, "WHITTLE_KERNELS: '%s' is neither 'dnnl' nor "
	    "'ref'", k);
}

static int
troot(const struct wh_graph *g, int t)
{
	return g->t[t].alias >= 0 ? g->t[t].alias : t;
}

/* Plain dims and tag of n samples of tensor t: (n, per-sample dims). */
static void
plain_md(const struct wh_graph *g, int t, size_t n, dnnl_memory_desc_t *md)
{
	static const dnnl_format_tag_t tags[] = { dnnl_a, dnnl_ab, dnnl_abc,
		dnnl_abcd, dnnl_abcde, dnnl_abcdef };
	const struct wh_tinfo *ti = &g->t[t];
	dnnl_dims_t dims;
	int i, nd = ti->ndim + 1;

	dims[0] = (dnnl_dim_t)n;
	for (i = 0; i < ti->ndim; i++)
		dims[i + 1] = ti->dims[i];
	if (nd > 6) {		/* as one flat row per sample */
		nd = 2;
		dims[1] = (dnnl_dim_t)ti->ss;
	}
	check(dnnl_memory_desc_init_by_tag(md, nd, dims, dnnl_f32, tags[nd - 1]),
	    "memory descriptor");
}

/* n samples of tensor t in the plan's layout. */
static void
act_md(const struct wh_dnnl *d, int t, size_t n, dnnl_memory_desc_t *md)
{
	const struct wh_tinfo *ti = &d->g->t[t];

	if (d->blocked[troot(d->g, t)]) {
		dnnl_dims_t dims = { (dnnl_dim_t)n, ti->dims[0], ti->dims[1],
			ti->dims[2] };

		check(dnnl_memory_desc_init_by_tag(md, 4, dims, dnnl_f32,
		    d->btag), "memory descriptor");
	} else
		plain_md(d->g, t, n, md);
}

static void
md_dims(dnnl_memory_desc_t *md, int nd, const int64_t *dims,
    dnnl_format_tag_t tag)
{
	dnnl_dims_t dd;
	int i;

	for (i = 0; i < nd; i++)
		dd[i] = dims[i];
	check(dnnl_memory_desc_init_by_tag(md, nd, dd, dnnl_f32, tag),
	    "memory descriptor");
}

static void
md_any(dnnl_memory_desc_t *md, int nd, const int64_t *dims)
{
	md_dims(md, nd, dims, dnnl_format_tag_any);
}

/* The implementation oneDNN picks for a typical 3 x 3 convolution
 * (64 to 64 channels on 14 x 14, batch 64) with activations in tag;
 * NULL when none.  *src: the source layout it picked. */
static const char *
probe_conv(dnnl_engine_t eng, dnnl_format_tag_t tag, dnnl_memory_desc_t *src)
{
	static char name[64];
	dnnl_memory_desc_t s, wei, dst;
	dnnl_convolution_desc_t cd;
	dnnl_primitive_desc_t pd;
	dnnl_dims_t st = { 1, 1 }, pad = { 1, 1 };
	const char *impl = NULL;

	md_dims(&s, 4, (int64_t[]){ 64, 64, 14, 14 }, tag);
	md_any(&wei, 4, (int64_t[]){ 64, 64, 3, 3 });
	md_dims(&dst, 4, (int64_t[]){ 64, 64, 14, 14 }, tag);
	if (dnnl_convolution_forward_desc_init(&cd, dnnl_forward_inference,
	    dnnl_convolution_direct, &s, &wei, NULL, &dst, st, pad, pad) !=
	    dnnl_success ||
	    dnnl_primitive_desc_create(&pd, &cd, NULL, eng, NULL) != dnnl_success)
		return NULL;
	dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl);
	snprintf(name, sizeof name, "%s", impl ? impl : "");
	*src = *dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 0);
	dnnl_primitive_desc_destroy(pd);
	return name;
}

/*
 * The activation layout for this CPU, as oneDNN answers: channels blocked
 * by 16 or by 8 where it has a direct (jit, not gemm) kernel for them, the
 * blocks that measured fastest on the CNNs here, else the layout it picks
 * itself (channels last for its brgemm kernels), else NCHW.
 */
static int
probe_layout(dnnl_engine_t eng)
{
	static const struct { dnnl_format_tag_t tag; int layout; } blk[] = {
		{ dnnl_nChw16c, WH_DNNL_BLOCK16 }, { dnnl_nChw8c, WH_DNNL_BLOCK8 },
	};
	dnnl_memory_desc_t src;
	const char *impl;
	size_t i;

	for (i = 0; i < sizeof blk / sizeof blk[0]; i++) {
		impl = probe_conv(eng, blk[i].tag, &src);
		if (impl != NULL && strncmp(impl, "jit", 3) == 0)
			return blk[i].layout;
	}
	impl = probe_conv(eng, dnnl_format_tag_any, &src);
	if (impl != NULL && src.format_kind == dnnl_blocked &&
	    src.format_desc.blocking.inner_nblks == 0 &&
	    src.format_desc.blocking.strides[1] == 1)
		return WH_DNNL_NHWC;
	return WH_DNNL_NCHW;
}

static int
same_dims(const struct wh_tinfo *a, const struct wh_tinfo *b)
{
	return a->ndim == b->ndim && memcmp(a->dims, b->dims,
	    a->ndim * sizeof *a->dims) == 0;
}

/* The pads at the end that make oneDNN's output size the op's: ceil mode
 * adds a partial window. */
static void
end_pads(const struct wh_op *o, int64_t *pb, int64_t *pr)
{
	int64_t ekh = (o->kh - 1) * o->dh + 1, ekw = (o->kw - 1) * o->dw + 1;

	*pb = o->pb;
	*pr = o->pr;
	if ((o->h + o->pt + o->pb - ekh) / o->sh + 1 != o->oh)
		*pb = (o->oh - 1) * o->sh + ekh - o->h - o->pt;
	if ((o->w + o->pl + o->pr - ekw) / o->sw + 1 != o->ow)
		*pr = (o->ow - 1) * o->sw + ekw - o->w - o->pl;
}

/*
 * A Concat of activations along the channels of (c, h, w) samples: one
 * sample's output is its inputs' samples one after another, in NCHW and
 * in a blocked layout alike when every input's channels fill whole
 * blocks (plan_layouts checks that).
 */
static int
concat_blind(const struct wh_graph *g, const struct wh_op *o)
{
	int k;

	if (o->cat_outer != 1 || g->t[o->out].ndim != 3)
		return 0;
	for (k = 0; k < o->nin; k++)
		if (o->in[k] < 0 || o->cat_const[k] != NULL ||
		    g->t[o->in[k]].ndim != 3)
			return 0;
	return 1;
}

/* Whether element-wise op o maps padding channels (0, and 0 and 0) to 0,
 * so that it can run over them or be fused before them: a ReLU, an Add of
 * two residual branches; not a sigmoid. */
static int
keeps_zero(const struct wh_op *o)
{
	float z;

	if (o->kind == OP_UNARY) {
		z = wh_unary_apply(o->unary, 0.0f, o->alpha, o->beta);
		return z == 0.0f;
	}
	return o->kind == OP_BINARY && !o->swapped && (o->binary == B_ADD ||
	    o->binary == B_SUB || o->binary == B_MUL || o->binary == B_MAX ||
	    o->binary == B_MIN);
}

/* Whether blind op o can run on the plan's blocked layout: no channel of
 * its tensors is padding, or it keeps padding at 0; a Concat's inputs
 * fill whole blocks. */
static int
blind_fits(const struct wh_dnnl *d, const struct wh_op *o)
{
	const struct wh_graph *g = d->g;
	int k;

	if (g->t[o->out].ndim != 3)
		return 0;
	if (o->kind != OP_CONCAT)
		return g->t[o->out].dims[0] % d->block == 0 ||
		    keeps_zero(o);
	if (g->t[o->out].dims[0] % d->block != 0)
		return 0;
	if (d->block < 2)	/* channels last interleaves the inputs */
		return 0;
	for (k = 0; k < o->nin; k++)
		if (g->t[o->in[k]].dims[0] % d->block != 0)
			return 0;
	return 1;
}

/*
 * A Mul of two activations, (c, h, w) and (c, 1, 1), into (c, h, w): the
 * input index of the large one, else -1.
 */
static int
chscale_big(const struct wh_graph *g, const struct wh_op *o)
{
	int k;

	if (o->kern != &wh_kernel_binary || o->nin != 2 ||
	    o->binary != B_MUL || !o->a_batch || !o->b_batch ||
	    g->t[o->out].ndim != 3)
		return -1;
	for (k = 0; k < 2; k++) {
		const struct wh_tinfo *b = &g->t[o->in[k]],
		    *s = &g->t[o->in[1 - k]];

		if (same_dims(b, &g->t[o->out]) && s->ndim == 3 &&
		    s->dims[0] == b->dims[0] && s->dims[1] == 1 &&
		    s->dims[2] == 1)
			return k;
	}
	return -1;
}

static enum mode
op_mode(const struct wh_graph *g, const struct wh_op *o)
{
	int64_t pb, pr;

	switch (o->kind) {
	case OP_CONV:
		return g->t[o->in[0]].ndim == 3 ? M_CONV : M_REF;
	case OP_LINEAR:
		return M_LINEAR;
	case OP_MAXPOOL:
	case OP_AVGPOOL:
		end_pads(o, &pb, &pr);
		/* ONNX counts the pads but not a ceil-mode partial window */
		if (o->kind == OP_AVGPOOL && o->count_pad &&
		    (pb != o->pb || pr != o->pr))
			return M_REF;
		return M_POOL;
	case OP_GAP:
		/* run_gap reads the input as the op's (c, h, w) */
		return g->t[o->in[0]].ndim == 3 &&
		    g->t[o->in[0]].dims[0] == o->c &&
		    g->t[o->in[0]].dims[1] * g->t[o->in[0]].dims[2] ==
		    o->h * o->w ? M_GAP : M_REF;
	case OP_UNARY:
		return M_BLIND;
	case OP_BINARY:
		if (o->nin == 2 && o->binary != B_DIV && o->a_batch &&
		    o->b_batch && same_dims(&g->t[o->in[0]], &g->t[o->out]) &&
		    same_dims(&g->t[o->in[1]], &g->t[o->out]))
			return M_BLIND;
		if (chscale_big(g, o) >= 0)
			return M_CHSCALE;
		return M_REF;
	case OP_CONCAT:
		return concat_blind(g, o) ? M_BLIND : M_REF;
	default:
		return M_REF;
	}
}

/* Reads of tensor t (by root) in the graph's ops. */
static int
readers(const struct wh_graph *g, int t)
{
	int q, i, n = 0;

	for (q = 0; q < g->nops; q++)
		for (i = 0; i < g->ops[q].nin; i++)
			if (g->ops[q].in[i] >= 0 && troot(g, g->ops[q].in[i]) == t)
				n++;
	return n;
}

/* Whether tensor t (a root) has one reader, no views and is not the
 * graph's output: the op after its producer may take it over. */
static int
sole_reader(const struct wh_graph *g, int t)
{
	int u;

	if (t == troot(g, g->output) || readers(g, t) != 1)
		return 0;
	for (u = 0; u < g->nt; u++)
		if (g->t[u].alias == t)
			return 0;
	return 1;
}

/* Whether tensor x is a sample of (c, h, w). */
static int
is_chw(const struct wh_tinfo *x, int64_t c, int64_t h, int64_t w)
{
	return x->ndim == 3 && x->dims[0] == c && x->dims[1] == h &&
	    x->dims[2] == w;
}

/*
 * The activation a as oneDNN eltwise post-ops appended to po, or with po
 * NULL whether it can be one.  relu, leaky relu and clip come out as the
 * reference computes them; SiLU (swish), the sigmoid (logistic), HardSwish
 * and HardSigmoid (linear, then clip) from oneDNN's own exp and
 * arithmetic, within the same few ulps of them that ONNX Runtime's are.
 */
static int
act_post(const struct wh_op *a, dnnl_post_ops_t po)
{
	dnnl_alg_kind_t alg;
	float al = 0.0f, be = 0.0f;

	if (a->kind != OP_UNARY)
		return 0;
	switch (a->unary) {
	case U_RELU: alg = dnnl_eltwise_relu; break;
	case U_LEAKY: alg = dnnl_eltwise_relu; al = a->alpha; break;
	case U_CLIP:
		alg = dnnl_eltwise_clip_v2;
		al = a->alpha;
		be = a->beta;
		break;
	case U_SILU: alg = dnnl_eltwise_swish; al = 1.0f; break;
	case U_SIGMOID: alg = dnnl_eltwise_logistic; break;
	case U_HARDSWISH: alg = dnnl_eltwise_hardswish; break;
	case U_HARDSIGMOID:	/* then clipped to [0, 1] */
		alg = dnnl_eltwise_linear;
		al = a->alpha;
		be = a->beta;
		break;
	default:
		return 0;
	}
	if (po == NULL)
		return 1;
	if (dnnl_post_ops_append_eltwise(po, 1.0f, alg, al, be) != dnnl_success)
		return 0;
	return a->unary != U_HARDSIGMOID || dnnl_post_ops_append_eltwise(po,
	    1.0f, dnnl_eltwise_clip_v2, 0.0f, 1.0f) == dnnl_success;
}

/*
 * The tensor that Add a, right after convolution o, adds to o's output
 * when that output is read by a alone: the residual connection of a
 * ResNet block, folded into o as a binary post-op (oneDNN reads the other
 * branch while it writes).  -1 where a is no such Add.
 */
static int
residual(const struct wh_dnnl *d, const struct wh_op *o, const struct wh_op *a)
{
	const struct wh_graph *g = d->g;
	int k;

	if (d->op[a - g->ops].mode != M_BLIND || a->kind != OP_BINARY ||
	    a->binary != B_ADD || a->nin != 2 || a->in[0] == a->in[1] ||
	    !sole_reader(g, troot(g, o->out)))
		return -1;
	for (k = 0; k < 2; k++)
		if (a->in[k] == o->out)
			return a->in[1 - k];
	return -1;
}

/*
 * Folds into a convolution's or a linear layer's post-ops what alone
 * reads its output: for a convolution an Add of another branch
 * (residual), then an activation (act_post); the op then writes the
 * last one's output.  An activation that does not keep 0 at 0 only where
 * the output has no padding channels, as when it runs by itself
 * (blind_fits).
 */
static void
plan_fusion(struct wh_dnnl *d)
{
	const struct wh_graph *g = d->g;
	int q, r, s;

	for (q = 0; q < g->nops; q++)
		d->op[q].out = g->ops[q].out;
	for (q = 0; q + 1 < g->nops; q++) {
		const struct wh_op *o = &g->ops[q], *a;
		struct dop *p = &d->op[q];

		if (p->mode != M_CONV && p->mode != M_LINEAR)
			continue;
		r = q + 1;
		if (p->mode == M_CONV && !p->no_add && d->block >= 8 &&
		    (s = residual(d, o, &g->ops[r])) >= 0) {
			p->add = &g->ops[r];
			p->skip = s;
			p->out = p->add->out;
			d->op[r++].mode = M_FUSED;
		}
		a = r < g->nops ? &g->ops[r] : NULL;
		if (a != NULL && act_post(a, NULL) && a->in[0] == p->out &&
		    (keeps_zero(a) || p->mode != M_CONV || d->block < 2 ||
		    o->oc % d->block == 0) && sole_reader(g, troot(g, p->out))) {
			p->act = a;
			p->out = a->out;
			d->op[r++].mode = M_FUSED;
		}
		q = r - 1;
	}
}

/* The tensors op o reads and writes, by root: up to 5. */
static int
op_tensors(const struct wh_dnnl *d, const struct wh_op *o, int *ts)
{
	const struct wh_graph *g = d->g;
	int i, n = 0;

	for (i = 0; i < o->nin && i < 4; i++)
		if (o->in[i] >= 0 && !g->t[o->in[i]].is_const)
			ts[n++] = troot(g, o->in[i]);
	ts[n++] = troot(g, d->op[o - g->ops].out);
	return n;
}

/*
 * The layouts: a 3-D activation is blocked unless it is the graph's input
 * or output, another tensor views it (Reshape, Flatten), or an op that
 * needs NCHW reads or writes it; the element-wise ops (unary, and binary
 * on two activations of one shape, and Concat along the channels) have
 * one layout on all their tensors, blocked only where it pads nothing
 * (channels a multiple of the block, each of a Concat's inputs too), so
 * that they can run on the buffers as they are.  Convolutions and pools
 * take any (reordering on the way where their primitive wants another).
 */
static void
plan_layouts(struct wh_dnnl *d)
{
	const struct wh_graph *g = d->g;
	int t, q, k, changed = 1;

	for (t = 0; t < g->nt; t++)
		d->blocked[t] = d->block > 0 && !g->t[t].is_const &&
		    g->t[t].alias < 0 && g->t[t].ndim == 3;
	for (t = 0; t < g->nt; t++)
		if (g->t[t].alias >= 0)
			d->blocked[troot(g, t)] = 0;
	d->blocked[troot(g, g->input)] = 0;
	d->blocked[troot(g, g->output)] = 0;
	while (changed) {
		changed = 0;
		for (q = 0; q < g->nops; q++) {
			const struct wh_op *o = &g->ops[q];
			enum mode m = d->op[q].mode;
			int ts[5], nts = op_tensors(d, o, ts), any_plain = 0;

			for (k = 0; k < nts; k++)
				if (!d->blocked[ts[k]])
					any_plain = 1;
			if (m == M_BLIND && d->block > 0 &&
			    (g->t[o->out].ndim == 3 || o->kind == OP_CONCAT) &&
			    !blind_fits(d, o))
				any_plain = 1;
			if (m == M_CONV && d->op[q].add != NULL) {
				/* the post-op reads the skip as the output
				 * is laid out */
				int s = troot(g, d->op[q].skip),
				    y = troot(g, d->op[q].out);

				if (d->blocked[s] != d->blocked[y]) {
					d->blocked[s] = d->blocked[y] = 0;
					changed = 1;
				}
			}
			if (m == M_CONV || m == M_POOL || m == M_GAP ||
			    m == M_FUSED ||
			    (!any_plain && m == M_BLIND))
				continue;
			if (m == M_CHSCALE) {
				/* the large input and the output share a
				 * layout; the scales take either */
				int b = troot(g, o->in[chscale_big(g, o)]),
				    y = troot(g, d->op[q].out);

				if (d->blocked[b] != d->blocked[y]) {
					d->blocked[b] = d->blocked[y] = 0;
					changed = 1;
				}
				continue;
			}
			for (k = 0; k < nts; k++)
				if (d->blocked[ts[k]]) {
					d->blocked[ts[k]] = 0;
					changed = 1;
				}
		}
	}
}

/*
 * Modes, fusion and layouts.  A residual add is folded into its
 * convolution only where the sum stays in blocks: oneDNN's kernels that
 * add a tensor in NCHW to their output were its gemm and reference ones.
 * Where the layouts put one there, the plan is made again without it.
 */
static void
plan_ops(struct wh_dnnl *d)
{
	const struct wh_graph *g = d->g;
	int q, again = 1;

	while (again) {
		for (q = 0; q < g->nops; q++) {
			d->op[q].mode = op_mode(g, &g->ops[q]);
			d->op[q].add = d->op[q].act = NULL;
		}
		plan_fusion(d);
		plan_layouts(d);
		again = 0;
		for (q = 0; q < g->nops; q++)
			if (d->op[q].add != NULL &&
			    !d->blocked[troot(g, d->op[q].out)]) {
				d->op[q].no_add = 1;
				again = 1;
			}
	}
}

/* Whether max pool o runs in run_maxpool: its input is the op's (c, h, w)
 * and the plan put input and output in one layout, or the input in blocks
 * and the output in NCHW. */
static int
own_maxpool(const struct wh_dnnl *d, const struct wh_op *o)
{
	const struct wh_graph *g = d->g;

	return o->kind == OP_MAXPOOL && is_chw(&g->t[o->in[0]], o->c, o->h,
	    o->w) && (d->blocked[troot(g, o->in[0])] ||
	    !d->blocked[troot(g, o->out)]);
}

/*
 * A convolution whose output only a max pool reads runs with the pool a
 * slice of samples at a time, the slice's output one buffer that stays in
 * the cache: the demo's first convolution wrote 3.2 MB a job for the pool
 * to read back from memory, as long again as the convolution itself.
 */
static void
plan_slices(struct wh_dnnl *d)
{
	const struct wh_graph *g = d->g;
	int q, r, y;

	for (q = 0; q < g->nops; q++) {
		struct dop *p = &d->op[q];

		p->pool = -1;
		if (p->mode != M_CONV)
			continue;
		r = q + 1 + (p->add != NULL) + (p->act != NULL);
		y = troot(g, p->out);
		if (r >= g->nops || d->op[r].mode != M_MAXPOOL ||
		    troot(g, g->ops[r].in[0]) != y || !sole_reader(g, y))
			continue;
		p->pool = r;
		p->slice = SLICE_BYTES / (d->floats[y] * sizeof(float));
		if (p->slice < 1)
			p->slice = 1;
	}
}

struct wh_dnnl *
wh_dnnl_new(const struct wh_graph *g, int threads, char **err)
{
	return wh_dnnl_new_layout(g, threads, WH_DNNL_PROBE, err);
}

struct wh_dnnl *
wh_dnnl_new_layout(const struct wh_graph *g, int threads, int layout,
    char **err)
{
	struct wh_dnnl *d;
	int q, t, i;

	thread_enter(NULL);
	d = xcalloc(1, sizeof *d);
	d->g = g;
	if (dnnl_engine_create(&d->eng, dnnl_cpu, 0) != dnnl_success) {
		free(d);
		wh_error(err, "oneDNN: no CPU engine on this machine");
		return NULL;
	}
	d->layout = layout == WH_DNNL_PROBE ? probe_layout(d->eng) : layout;
	d->block = d->layout == WH_DNNL_NHWC ? 1 : d->layout == WH_DNNL_BLOCK8 ?
	    8 : d->layout == WH_DNNL_BLOCK16 ? 16 : 0;
	d->btag = d->layout == WH_DNNL_NHWC ? dnnl_nhwc :
	    d->layout == WH_DNNL_BLOCK8 ? dnnl_nChw8c : dnnl_nChw16c;
	d->wino = 1;
	d->op = xcalloc(g->nops ? g->nops : 1, sizeof *d->op);
	for (q = 0; q < g->nops; q++)
		pthread_mutex_init(&d->op[q].mu, NULL);
	d->blocked = xcalloc(g->nt ? g->nt : 1, sizeof *d->blocked);
	d->floats = xcalloc(g->nt ? g->nt : 1, sizeof *d->floats);
	plan_ops(d);
	for (q = 0; q < g->nops; q++)
		if (d->op[q].mode == M_POOL && own_maxpool(d, &g->ops[q]))
			d->op[q].mode = M_MAXPOOL;
	for (t = 0; t < g->nt; t++) {
		d->floats[t] = g->t[t].ss;
		if (d->blocked[troot(g, t)] && !g->t[t].is_const) {
			dnnl_memory_desc_t md;

			act_md(d, t, 1, &md);
			d->floats[t] = dnnl_memory_desc_get_size(&md) /
			    sizeof(float);
		}
	}
	plan_slices(d);
	d->gen = xcalloc(g->nlayers ? g->nlayers : 1, sizeof *d->gen);
	d->threads = threads < 1 ? 1 : threads;
	d->thr = xcalloc(d->threads, sizeof *d->thr);
	for (i = 0; i < d->threads; i++) {
		check(dnnl_stream_create(&d->thr[i].stream, d->eng,
		    dnnl_stream_default_flags), "stream");
		d->thr[i].tbuf = xcalloc(g->nt ? g->nt : 1,
		    sizeof *d->thr[i].tbuf);
		d->thr[i].sbuf = xcalloc(g->nt ? g->nt : 1,
		    sizeof *d->thr[i].sbuf);
	}
	pthread_mutex_init(&d->mu, NULL);
	return d;
}

static void
prim_release(struct prim *p, int threads)
{
	int i, k;

	if (p->tm != NULL)
		for (i = 0; i < threads; i++) {
			if (p->tm[i].src)
				dnnl_memory_destroy(p->tm[i].src);
			if (p->tm[i].dst)
				dnnl_memory_destroy(p->tm[i].dst);
			if (p->tm[i].pad)
				dnnl_memory_destroy(p->tm[i].pad);
			if (p->tm[i].skip)
				dnnl_memory_destroy(p->tm[i].skip);
		}
	free(p->tm);
	if (p->wei && p->wei_owned)
		dnnl_memory_destroy(p->wei);
	if (p->bias)
		dnnl_memory_destroy(p->bias);
	for (k = 0; k < p->npost; k++)
		dnnl_memory_destroy(p->post[k]);
	if (p->p)
		dnnl_primitive_destroy(p->p);
	free(p->own);
	memset(p, 0, sizeof *p);
}

/* Frees the op's insts, or only those for a setting of the layer. */
static void
insts_free(struct wh_dnnl *d, struct dop *p, int keep_orig)
{
	struct inst *i, *next, **link = &p->insts;
	int k;

	for (i = p->insts; i != NULL; i = next) {
		next = i->next;
		if (keep_orig && i->orig) {
			*link = i;
			link = &i->next;
			continue;
		}
		for (k = 0; k < i->nprim; k++)
			prim_release(&i->pr[k], d->threads);
		if (i->rin)
			dnnl_primitive_destroy(i->rin);
		if (i->rout)
			dnnl_primitive_destroy(i->rout);
		free(i);
	}
	*link = NULL;
}

void
wh_dnnl_free(struct wh_dnnl *d)
{
	struct conv *c, *next;
	int q, i;

	if (d == NULL)
		return;
	for (q = 0; q < d->g->nops; q++) {
		insts_free(d, &d->op[q], 0);
		pthread_mutex_destroy(&d->op[q].mu);
	}
	for (c = d->convs; c != NULL; c = next) {
		next = c->next;
		dnnl_primitive_destroy(c->to_plain);
		dnnl_primitive_destroy(c->to_plan);
		free(c);
	}
	for (i = 0; i < d->threads; i++) {
		dnnl_stream_destroy(d->thr[i].stream);
		free(d->thr[i].mem);
		free(d->thr[i].tbuf);
		free(d->thr[i].sbuf);
	}
	pthread_mutex_destroy(&d->mu);
	dnnl_engine_destroy(d->eng);
	free(d->thr);
	free(d->gen);
	free(d->floats);
	free(d->blocked);
	free(d->op);
	free(d);
}

size_t
wh_dnnl_tensor_floats(const struct wh_dnnl *d, int t)
{
	return d->floats[t];
}

int
wh_dnnl_tensor_blocked(const struct wh_dnnl *d, int t)
{
	return d->blocked[troot(d->g, t)];
}

int
wh_dnnl_layout(const struct wh_dnnl *d)
{
	return d->layout;
}

void
wh_dnnl_set_omp(struct wh_dnnl *d, int threads)
{
	d->omp = threads;
}

void
wh_dnnl_set_winograd(struct wh_dnnl *d, int on)
{
	d->wino = on;
}

int
wh_dnnl_fused(const struct wh_dnnl *d, int q)
{
	return (d->op[q].add != NULL) + (d->op[q].act != NULL);
}

int
wh_dnnl_sliced(const struct wh_dnnl *d, int q)
{
	return d->op[q].pool >= 0 ? troot(d->g, d->op[q].out) : -1;
}

size_t
wh_dnnl_written(const struct wh_dnnl *d, int t, size_t n)
{
	const struct wh_graph *g = d->g;
	int q, k;

	for (q = 0; q < g->nops; q++) {
		const struct dop *p = &d->op[q];

		for (k = 0; k < wh_dnnl_fused(d, q); k++)
			if (troot(g, g->ops[q + k].out) == t)
				return 0;
		if (p->pool >= 0 && troot(g, p->out) == t)
			return n < p->slice ? n : p->slice;
	}
	return n;
}

void
wh_dnnl_set_layer(struct wh_dnnl *d, int i)
{
	d->gen[i]++;
}

/* ---- building primitives ---- */

static dnnl_memory_t
mem_view(dnnl_engine_t eng, const dnnl_memory_desc_t *md, const void *data)
{
	dnnl_memory_t m;

	check(dnnl_memory_create(&m, md, eng, (void *)data), "memory");
	return m;
}

/* Runs a one-off reorder src -> dst on stream s (the calling thread's). */
static int
reorder_once(const struct wh_dnnl *d, dnnl_stream_t s, dnnl_memory_t src,
    dnnl_memory_t dst)
{
	const dnnl_memory_desc_t *smd, *dmd;
	dnnl_primitive_desc_t pd;
	dnnl_primitive_t r;
	dnnl_exec_arg_t args[2];
	int nt;

	dnnl_memory_get_memory_desc(src, &smd);
	dnnl_memory_get_memory_desc(dst, &dmd);
	if (dnnl_reorder_primitive_desc_create(&pd, smd, d->eng, dmd, d->eng,
	    NULL) != dnnl_success)
		return -1;
	check(dnnl_primitive_create(&r, pd), "reorder");
	dnnl_primitive_desc_destroy(pd);
	args[0].arg = DNNL_ARG_FROM;
	args[0].memory = src;
	args[1].arg = DNNL_ARG_TO;
	args[1].memory = dst;
	/* on every thread: Winograd's transform of a layer's weights is
	 * 0.2 s on one for 512 x 512 x 3 x 3, and the others wait for it */
	nt = omp_get_max_threads();
	omp_set_num_threads(d->threads);
	check(dnnl_primitive_execute(r, s, 2, args), "reorder");
	check(dnnl_stream_wait(s), "stream");
	omp_set_num_threads(nt);
	dnnl_primitive_destroy(r);
	return 0;
}

/* The epilogue after the bias as post-ops: scale, shift, relu, then the
 * residual add of a tensor laid out as skip (or NULL), then the
 * activation fused from the next op (act, or NULL).  Returns the add's
 * execution argument, 0 without; with sum, for kernels that take no
 * tensor to add (brgemm inner products, Winograd's convolutions), the
 * add is a sum into dst instead (-1). */
static int
post_ops(dnnl_primitive_attr_t attr, const struct wh_op *o,
    const struct wh_op *act, int last, int nd, int64_t nch,
    const dnnl_memory_desc_t *skip, int sum)
{
	dnnl_post_ops_t po;
	dnnl_memory_desc_t cmd;
	int64_t dims[4] = { 1, nch, 1, 1 };
	int arg = 0;

	check(dnnl_post_ops_create(&po), "post-ops");
	if (last && o->ep_scale != NULL) {
		md_dims(&cmd, nd, dims, nd == 4 ? dnnl_abcd : dnnl_ab);
		check(dnnl_post_ops_append_binary(po, dnnl_binary_mul, &cmd),
		    "post-ops");
		check(dnnl_post_ops_append_binary(po, dnnl_binary_add, &cmd),
		    "post-ops");
	}
	if (last && o->ep_relu)
		check(dnnl_post_ops_append_eltwise(po, 1.0f, dnnl_eltwise_relu,
		    0.0f, 0.0f), "post-ops");
	if (last && skip != NULL && sum) {
		arg = -1;
		check(dnnl_post_ops_append_sum(po, 1.0f), "post-ops");
	} else if (last && skip != NULL) {
		arg = DNNL_ARG_ATTR_MULTIPLE_POST_OP(dnnl_post_ops_len(po)) |
		    DNNL_ARG_SRC_1;
		check(dnnl_post_ops_append_binary(po, dnnl_binary_add, skip),
		    "post-ops");
	}
	if (last && act != NULL && !act_post(act, po))
		wh_fatal("oneDNN: post-ops failed");
	check(dnnl_primitive_attr_set_post_ops(attr, po), "post-ops");
	dnnl_post_ops_destroy(po);
	return arg;
}

/*
 * Makes a primitive from an op descriptor: weights (user layout wmd, data
 * w) reordered into the layout the primitive picks, unless an earlier
 * batch size's already are (share).  bias and the epilogue only when
 * last, with the residual add of a tensor laid out as skip where the op
 * has one: a binary post-op, or with sum a sum into dst, which then must
 * be laid out as skip.
 */
static int
prim_make(struct wh_dnnl *d, struct prim *p, const void *desc,
    const struct wh_op *o, int last, int nd_post,
    const dnnl_memory_desc_t *wmd, const float *w, const float *bias,
    int64_t nbias, const struct prim *share, const dnnl_memory_desc_t *skip,
    int sum, dnnl_stream_t s)
{
	dnnl_primitive_attr_t attr;
	dnnl_primitive_desc_t pd;
	const dnnl_memory_desc_t *q;
	const char *name = NULL;

	check(dnnl_primitive_attr_create(&attr), "attributes");
	check(dnnl_primitive_attr_set_scratchpad_mode(attr,
	    dnnl_scratchpad_mode_user), "attributes");
	if (o != NULL)
		p->skip_arg = post_ops(attr, o, d->op[o - d->g->ops].act, last,
		    nd_post, nbias, skip, sum);
	if (p->skip_arg)
		p->skip_md = *skip;
	if (dnnl_primitive_desc_create(&pd, desc, attr, d->eng, NULL) !=
	    dnnl_success) {
		dnnl_primitive_attr_destroy(attr);
		return -1;
	}
	dnnl_primitive_attr_destroy(attr);
	if (dnnl_primitive_create(&p->p, pd) != dnnl_success) {
		dnnl_primitive_desc_destroy(pd);
		return -1;
	}
	p->src = *dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 0);
	p->dst = *dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0);
	if (p->skip_arg < 0 && sum &&
	    !dnnl_memory_desc_equal(&p->dst, skip)) {
		/* the copy of the skip would not be what dst holds */
		dnnl_primitive_destroy(p->p);
		dnnl_primitive_desc_destroy(pd);
		memset(p, 0, sizeof *p);
		return -1;
	}
	q = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
	p->pad = q != NULL ? dnnl_memory_desc_get_size(q) : 0;
	dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &name);
	snprintf(p->name, sizeof p->name, "%s", name ? name : "?");
	if (wmd != NULL) {
		q = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
		if (share != NULL && share->wei != NULL) {
			const dnnl_memory_desc_t *smd;

			dnnl_memory_get_memory_desc(share->wei, &smd);
			if (dnnl_memory_desc_equal(smd, q)) {
				p->wei = share->wei;
				p->wei_owned = 0;
			}
		}
		if (p->wei == NULL && dnnl_memory_desc_equal(q, wmd)) {
			p->wei = mem_view(d->eng, wmd, w);
			p->wei_owned = 1;
		} else if (p->wei == NULL) {
			dnnl_memory_t user = mem_view(d->eng, wmd, w);

			check(dnnl_memory_create(&p->wei, q, d->eng,
			    DNNL_MEMORY_ALLOCATE), "memory");
			p->wei_owned = 1;
			if (reorder_once(d, s, user, p->wei) != 0) {
				dnnl_memory_destroy(user);
				dnnl_primitive_desc_destroy(pd);
				return -1;
			}
			dnnl_memory_destroy(user);
		}
	}
	if (last && bias != NULL) {
		dnnl_memory_desc_t bmd;

		q = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 1);
		if (q == NULL || q->ndims == 0) {
			md_dims(&bmd, 1, &nbias, dnnl_a);
			q = &bmd;
		}
		p->bias = mem_view(d->eng, q, bias);
	}
	if (last && o != NULL && o->ep_scale != NULL) {
		dnnl_memory_desc_t cmd;
		int64_t dims[4] = { 1, nbias, 1, 1 };

		md_dims(&cmd, nd_post, dims, nd_post == 4 ? dnnl_abcd : dnnl_ab);
		p->post[0] = mem_view(d->eng, &cmd, o->ep_scale);
		p->post[1] = mem_view(d->eng, &cmd, o->ep_shift);
		p->npost = 2;
	}
	p->tm = xcalloc(d->threads, sizeof *p->tm);
	dnnl_primitive_desc_destroy(pd);
	return 0;
}

/*
 * Whether a convolution is worth trying as Winograd's F(4x4, 3x3): 3 x 3,
 * stride 1, not grouped, on maps of a tile (4 x 4) or more, with enough
 * channels that the products it saves outweigh its transforms, which
 * cost per channel where the products cost per pair of channels: the
 * harmonic mean of c and oc at least 32.  (It ran at half the direct
 * kernel's speed from 16 channels to 64, and twice from 32 to 96, on
 * maps of 4 x 4 to 8 x 8.)  oneDNN has it for AVX-512 only and declines
 * elsewhere.
 */
static int
wino_fits(int64_t c, int64_t oc, int64_t kh, int64_t kw, const int64_t *st,
    const int64_t *dil, int group, const dnnl_memory_desc_t *dst)
{
	return kh == 3 && kw == 3 && st[0] == 1 && st[1] == 1 &&
	    dil[0] == 1 && dil[1] == 1 && group == 1 &&
	    dst->dims[2] * dst->dims[3] >= 16 && 2 * c * oc >= 32 * (c + oc);
}

/*
 * A convolution x: (n, c, h, w) -> y: (n, oc, oh, ow) with weights
 * w: (oc, c / group, kh, kw), as a descriptor with src and dst mds given:
 * Winograd's where it fits and oneDNN has it, with a residual add as a
 * sum into dst, else direct.
 */
static int
conv_prim(struct wh_dnnl *d, struct prim *p, const struct wh_op *o, int last,
    const dnnl_memory_desc_t *src, const dnnl_memory_desc_t *dst,
    int64_t c, int64_t oc, int64_t kh, int64_t kw, const int64_t *st,
    const int64_t *dil, const int64_t *pl, const int64_t *pr, int group,
    const float *w, const float *bias, const struct prim *share,
    const dnnl_memory_desc_t *skip, dnnl_stream_t s)
{
	dnnl_convolution_desc_t cd;
	dnnl_memory_desc_t wmd, wany, bmd;
	dnnl_dims_t dst_, dil_, pl_, pr_;
	int i;

	if (group == 1) {
		md_dims(&wmd, 4, (int64_t[]){ oc, c, kh, kw }, dnnl_oihw);
		md_any(&wany, 4, (int64_t[]){ oc, c, kh, kw });
	} else {
		int64_t gd[5] = { group, oc / group, c / group, kh, kw };

		md_dims(&wmd, 5, gd, dnnl_goihw);
		md_any(&wany, 5, gd);
	}
	if (last && bias != NULL)
		md_any(&bmd, 1, &oc);
	for (i = 0; i < 2; i++) {
		dst_[i] = st[i];
		dil_[i] = dil[i] - 1;
		pl_[i] = pl[i];
		pr_[i] = pr[i];
	}
	if (d->wino && wino_fits(c, oc, kh, kw, st, dil, group, dst) &&
	    dnnl_dilated_convolution_forward_desc_init(&cd,
	    dnnl_forward_inference, dnnl_convolution_winograd, src, &wany,
	    last && bias != NULL ? &bmd : NULL, dst, dst_, dil_, pl_, pr_) ==
	    dnnl_success) {
		if (prim_make(d, p, &cd, o, last, 4, &wmd, w, bias, oc, share,
		    skip, 1, s) == 0)
			return 0;
		prim_release(p, d->threads);	/* what it made before failing */
	}
	if (dnnl_dilated_convolution_forward_desc_init(&cd,
	    dnnl_forward_inference, dnnl_convolution_direct, src, &wany,
	    last && bias != NULL ? &bmd : NULL, dst, dst_, dil_, pl_, pr_) !=
	    dnnl_success)
		return -1;
	return prim_make(d, p, &cd, o, last, 4, &wmd, w, bias, oc, share, skip,
	    0, s);
}

/* The first inst of the same op and weights, to share weights with. */
static const struct prim *
share_of(const struct dop *p, const struct inst *in, int k)
{
	const struct inst *i;

	for (i = p->insts; i != NULL && i->orig != in->orig; i = i->next)
		;
	return i != NULL && i->nprim > k ? &i->pr[k] : NULL;
}

/* Where channel c at (y, x) of one sample of tensor t is in its buffer. */
static size_t
elem_at(const struct wh_dnnl *d, int t, int64_t c, int64_t y, int64_t x)
{
	const struct wh_tinfo *ti = &d->g->t[t];
	int64_t C = ti->dims[0], H = ti->dims[1], W = ti->dims[2], B = d->block;

	if (!d->blocked[troot(d->g, t)])
		return (size_t)((c * H + y) * W + x);
	if (B == 1)
		return (size_t)((y * W + x) * C + c);
	return (size_t)(((c / B * H + y) * W + x) * B + c % B);
}

/*
 * Whether convolution o is cheaper as one dense matrix from a sample's
 * input buffer to its output buffer: where the maps are so small that
 * the kernel's taps mostly fall on padding (ResNet's 512 channels of
 * 1 x 1 and 256 of 2 x 2 at 32 x 32 inputs), oneDNN's direct kernels
 * multiply the padding all the same, while the matrix has no more
 * products than the kernel and a GEMM runs them at full speed.
 */
static int
dense_fits(const struct wh_dnnl *d, const struct wh_op *o)
{
	double kf = (double)d->floats[troot(d->g, o->in[0])];
	double nf = (double)d->floats[troot(d->g, d->op[o - d->g->ops].out)];
	double conv = (double)o->c * o->oc * o->kh * o->kw * o->oh * o->ow;

	return o->group == 1 && is_chw(&d->g->t[o->in[0]], o->c, o->h, o->w) &&
	    is_chw(&d->g->t[o->out], o->oc, o->oh, o->ow) && kf * nf <= conv &&
	    kf * nf * sizeof(float) <= (double)DENSE_BYTES;
}

/*
 * Convolution o with weight w as an inner product over the samples'
 * buffers: row r of the matrix makes output float r from the input's
 * floats, each tap of the kernel where it falls inside the input, 0 for
 * padding (which stays 0, as do the bias and the epilogue's shift there).
 */
static int
build_dense(struct wh_dnnl *d, const struct dop *dp, struct inst *in,
    const struct wh_op *o, const float *w, dnnl_stream_t s)
{
	const struct wh_layer *l = &d->g->layers[o->layer];
	struct prim *p = &in->pr[0];
	int xt = o->in[0], yt = dp->out;
	int64_t kf = (int64_t)d->floats[troot(d->g, xt)];
	int64_t nf = (int64_t)d->floats[troot(d->g, yt)];
	int64_t oc, oy, ox, ic, ky, kx;
	dnnl_inner_product_desc_t ip;
	dnnl_memory_desc_t src, dst, wmd, wany, bmd;
	float *m, *bias, *scale, *shift;

	m = xcalloc((size_t)(nf * kf + 3 * nf), sizeof *m);
	bias = m + nf * kf;
	scale = bias + nf;
	shift = scale + nf;
	for (oc = 0; oc < o->oc; oc++)
		for (oy = 0; oy < o->oh; oy++)
			for (ox = 0; ox < o->ow; ox++) {
				size_t r = elem_at(d, yt, oc, oy, ox);
				float *row = m + r * (size_t)kf;

				bias[r] = l->bias ? l->bias[oc] : 0;
				scale[r] = o->ep_scale ? o->ep_scale[oc] : 1;
				shift[r] = o->ep_shift ? o->ep_shift[oc] : 0;
				for (ic = 0; ic < o->c; ic++)
					for (ky = 0; ky < o->kh; ky++)
						for (kx = 0; kx < o->kw; kx++) {
							int64_t iy = oy * o->sh -
							    o->pt + ky * o->dh;
							int64_t ix = ox * o->sw -
							    o->pl + kx * o->dw;

							if (iy < 0 || iy >= o->h ||
							    ix < 0 || ix >= o->w)
								continue;
							row[elem_at(d, xt, ic,
							    iy, ix)] = w[((oc *
							    o->c + ic) * o->kh +
							    ky) * o->kw + kx];
						}
			}
	md_dims(&src, 2, (int64_t[]){ (int64_t)in->n, kf }, dnnl_ab);
	md_dims(&dst, 2, (int64_t[]){ (int64_t)in->n, nf }, dnnl_ab);
	md_dims(&wmd, 2, (int64_t[]){ nf, kf }, dnnl_oi);
	md_any(&wany, 2, (int64_t[]){ nf, kf });
	md_any(&bmd, 1, &nf);
	if (dnnl_inner_product_forward_desc_init(&ip, dnnl_forward_inference,
	    &src, &wany, &bmd, &dst) != dnnl_success ||
	    prim_make(d, p, &ip, o, 1, 2, &wmd, m, bias, nf, NULL,
	    dp->add != NULL ? &dst : NULL, 1, s) != 0) {
		free(m);
		return -1;
	}
	p->own = m;
	if (p->npost == 2) {
		check(dnnl_memory_set_data_handle(p->post[0], scale), "memory");
		check(dnnl_memory_set_data_handle(p->post[1], shift), "memory");
	}
	in->dense = 1;
	return 0;
}

/*
 * The kernel taps [k0, k1) along one axis that some output reads inside
 * the input (the others only ever meet padding), and the pads that keep
 * the output's size with the kernel cut to them.  0 where nothing is cut
 * or the cut kernel would need a negative pad.
 */
static int
crop_axis(int64_t in, int64_t out, int64_t k, int64_t st, int64_t dil,
    int64_t pad, int64_t *k0, int64_t *k1, int64_t *p0, int64_t *p1)
{
	int64_t lo = k, hi = 0, t, o;

	for (t = 0; t < k; t++)
		for (o = 0; o < out; o++) {
			int64_t i = o * st - pad + t * dil;

			if (i >= 0 && i < in) {
				lo = t < lo ? t : lo;
				hi = t + 1 > hi ? t + 1 : hi;
				break;
			}
		}
	if (lo >= hi || (lo == 0 && hi == k))
		return 0;
	*k0 = lo;
	*k1 = hi;
	*p0 = pad - lo * dil;
	*p1 = (out - 1) * st + (hi - lo - 1) * dil + 1 - in - *p0;
	return *p0 >= 0 && *p1 >= 0;
}

/*
 * Convolution o with its kernel cut to the taps that reach the input, as
 * in EfficientNet's 5 x 5 depthwise convolutions of 1 x 1 maps: oneDNN
 * ran those as im2col and GEMM, at 10 ms a call, over taps that were all
 * padding but the middle one.  The products left out are all of padding,
 * so the result is the whole kernel's.
 */
static int
build_cropped(struct wh_dnnl *d, struct inst *in, const struct wh_op *o,
    const float *w, const dnnl_memory_desc_t *src,
    const dnnl_memory_desc_t *dst, const dnnl_memory_desc_t *skip,
    dnnl_stream_t s)
{
	const struct wh_layer *l = &d->g->layers[o->layer];
	int64_t y0, y1, x0, x1, pt, pb, pl, pr, kh, kw, r, ky, kx;
	int64_t st[2] = { o->sh, o->sw }, dil[2] = { o->dh, o->dw };
	int64_t rows = o->oc * (o->c / o->group);
	int cy = crop_axis(o->h, o->oh, o->kh, o->sh, o->dh, o->pt, &y0, &y1,
	    &pt, &pb);
	int cx = crop_axis(o->w, o->ow, o->kw, o->sw, o->dw, o->pl, &x0, &x1,
	    &pl, &pr);
	float *cw;

	if (!cy && !cx)
		return -1;
	if (!cy)
		y0 = 0, y1 = o->kh, pt = o->pt, pb = o->pb;
	if (!cx)
		x0 = 0, x1 = o->kw, pl = o->pl, pr = o->pr;
	kh = y1 - y0;
	kw = x1 - x0;
	cw = xmalloc((size_t)(rows * kh * kw) * sizeof *cw);
	for (r = 0; r < rows; r++)
		for (ky = 0; ky < kh; ky++)
			for (kx = 0; kx < kw; kx++)
				cw[(r * kh + ky) * kw + kx] = w[(r * o->kh +
				    y0 + ky) * o->kw + x0 + kx];
	if (conv_prim(d, &in->pr[0], o, 1, src, dst, o->c, o->oc, kh, kw, st,
	    dil, (int64_t[]){ pt, pl }, (int64_t[]){ pb, pr }, o->group, cw,
	    l->bias, NULL, skip, s) != 0) {
		free(cw);
		return -1;
	}
	in->pr[0].own = cw;
	return 0;
}

static int
build_conv(struct wh_dnnl *d, const struct dop *dp, struct inst *in,
    const struct wh_op *o, const struct wh_layer_weights *lw,
    const float *aux, dnnl_stream_t s)
{
	const struct wh_graph *g = d->g;
	const struct wh_layer *l = &g->layers[o->layer];
	dnnl_memory_desc_t src, dst, mid, skd, *sk = NULL;
	int64_t st[2] = { o->sh, o->sw }, dil[2] = { o->dh, o->dw };
	int64_t pl[2] = { o->pt, o->pl }, pr[2] = { o->pb, o->pr };
	int64_t one[2] = { 1, 1 }, zero[2] = { 0, 0 };
	size_t n = in->n;

	if (dp->add != NULL) {
		act_md(d, dp->skip, n, &skd);
		sk = &skd;
	}

	if (in->nprim < 0) {
		/* the second try: the layouts the primitive likes best */
		md_any(&src, 4, (int64_t[]){ (int64_t)n, o->c, o->h, o->w });
		md_any(&dst, 4, (int64_t[]){ (int64_t)n, o->oc, o->oh, o->ow });
	} else {
		act_md(d, o->in[0], n, &src);
		act_md(d, dp->out, n, &dst);
	}
	in->nprim = 0;
	if (lw == NULL || lw->rank == 0) {
		const float *w = lw && lw->w ? lw->w : l->w;

		if ((dense_fits(d, o) && build_dense(d, dp, in, o, w, s) == 0) ||
		    build_cropped(d, in, o, w, &src, &dst, sk, s) == 0) {
			in->nprim = 1;
			return 0;
		}
		if (conv_prim(d, &in->pr[0], o, 1, &src, &dst, o->c, o->oc,
		    o->kh, o->kw, st, dil, pl, pr, o->group, w, l->bias,
		    share_of(dp, in, 0), sk, s) != 0)
			return -1;
		in->nprim = 1;
		return 0;
	}
	if (!lw->spatial) {
		/* x -> vt: (r, c, kh, kw) -> u: (oc, r, 1, 1) */
		md_any(&mid, 4, (int64_t[]){ (int64_t)n, lw->rank, o->oh, o->ow });
		if (conv_prim(d, &in->pr[0], o, 0, &src, &mid, o->c, lw->rank,
		    o->kh, o->kw, st, dil, pl, pr, 1, lw->vt, NULL,
		    share_of(dp, in, 0), NULL, s) != 0)
			return -1;
		in->nprim = 1;
		if (conv_prim(d, &in->pr[1], o, 1, &in->pr[0].dst, &dst,
		    lw->rank, o->oc, 1, 1, one, one, zero, zero, 1, lw->u,
		    l->bias, share_of(dp, in, 1), sk, s) != 0)
			return -1;
		in->nprim = 2;
		return 0;
	}
	/* 1 x kw to r channels over rows padded top and bottom, vt:
	 * (r, c, 1, kw); then kh x 1, aux: (oc, r, kh, 1) */
	{
		int64_t th = o->h + o->pt + o->pb;
		int64_t st0[2] = { 1, o->sw }, dil0[2] = { 1, o->dw };
		int64_t st1[2] = { o->sh, 1 }, dil1[2] = { o->dh, 1 };

		md_any(&mid, 4, (int64_t[]){ (int64_t)n, lw->rank, th, o->ow });
		if (conv_prim(d, &in->pr[0], o, 0, &src, &mid, o->c, lw->rank,
		    1, o->kw, st0, dil0, pl, pr, 1, lw->vt, NULL,
		    share_of(dp, in, 0), NULL, s) != 0)
			return -1;
		in->nprim = 1;
		if (conv_prim(d, &in->pr[1], o, 1, &in->pr[0].dst, &dst,
		    lw->rank, o->oc, o->kh, 1, st1, dil1, zero, zero, 1, aux,
		    l->bias, share_of(dp, in, 1), sk, s) != 0)
			return -1;
		in->nprim = 2;
		return 0;
	}
}

/*
 * x: (m, k) -> y: (m, nout) = x . w^T (+ bias, epilogue), w: (nout, k):
 * an inner product for one row per sample, a matmul otherwise.
 */
static int
linear_prim(struct wh_dnnl *d, struct prim *p, const struct wh_op *o,
    int last, const dnnl_memory_desc_t *src, const dnnl_memory_desc_t *dst,
    int64_t k, int64_t nout, const float *w, const float *bias,
    const struct prim *share, dnnl_stream_t s)
{
	dnnl_memory_desc_t wmd, wany, bmd;

	if (o->rows == 1) {
		dnnl_inner_product_desc_t ip;

		md_dims(&wmd, 2, (int64_t[]){ nout, k }, dnnl_oi);
		md_any(&wany, 2, (int64_t[]){ nout, k });
		if (last && bias != NULL)
			md_any(&bmd, 1, &nout);
		if (dnnl_inner_product_forward_desc_init(&ip,
		    dnnl_forward_inference, src, &wany, last && bias ? &bmd :
		    NULL, dst) != dnnl_success)
			return -1;
		return prim_make(d, p, &ip, o, last, 2, &wmd, w, bias, nout,
		    share, NULL, 0, s);
	} else {
		dnnl_matmul_desc_t mm;
		dnnl_dims_t wd = { k, nout }, ws = { 1, k };

		/* w: (nout, k) row-major is w^T: (k, nout) with strides (1, k) */
		check(dnnl_memory_desc_init_by_strides(&wmd, 2, wd, dnnl_f32, ws),
		    "memory descriptor");
		md_any(&wany, 2, (int64_t[]){ k, nout });
		if (last && bias != NULL)
			md_dims(&bmd, 2, (int64_t[]){ 1, nout }, dnnl_ab);
		if (dnnl_matmul_desc_init(&mm, src, &wany, last && bias ? &bmd :
		    NULL, dst) != dnnl_success)
			return -1;
		if (prim_make(d, p, &mm, o, last, 2, &wmd, w, NULL, nout, share,
		    NULL, 0, s) != 0)
			return -1;
		if (last && bias != NULL)
			p->bias = mem_view(d->eng, &bmd, bias);
		return 0;
	}
}

static int
build_linear(struct wh_dnnl *d, const struct dop *dp, struct inst *in,
    const struct wh_op *o, const struct wh_layer_weights *lw,
    dnnl_stream_t s)
{
	const struct wh_layer *l = &d->g->layers[o->layer];
	int64_t m = (int64_t)in->n * o->rows;
	dnnl_memory_desc_t src, dst, mid;

	md_dims(&src, 2, (int64_t[]){ m, o->c }, dnnl_ab);
	md_dims(&dst, 2, (int64_t[]){ m, o->oc }, dnnl_ab);
	if (lw == NULL || lw->rank == 0) {
		if (linear_prim(d, &in->pr[0], o, 1, &src, &dst, o->c, o->oc,
		    lw && lw->w ? lw->w : l->w, l->bias, share_of(dp, in, 0),
		    s) != 0)
			return -1;
		in->nprim = 1;
		return 0;
	}
	/* t: (m, r) = x . vt^T; y = t . u^T */
	md_dims(&mid, 2, (int64_t[]){ m, lw->rank }, dnnl_ab);
	if (linear_prim(d, &in->pr[0], o, 0, &src, &mid, o->c, lw->rank, lw->vt,
	    NULL, share_of(dp, in, 0), s) != 0)
		return -1;
	in->nprim = 1;
	if (linear_prim(d, &in->pr[1], o, 1, &mid, &dst, lw->rank, o->oc, lw->u,
	    l->bias, share_of(dp, in, 1), s) != 0)
		return -1;
	in->nprim = 2;
	return 0;
}

static int
build_pool(struct wh_dnnl *d, struct inst *in, const struct wh_op *o)
{
	dnnl_pooling_v2_desc_t pd;
	dnnl_memory_desc_t src, dst;
	dnnl_alg_kind_t alg;
	dnnl_dims_t st, k, dil, pl, pr;
	int64_t pb, prr;

	if (in->nprim < 0) {
		act_md(d, o->in[0], in->n, &src);
		md_any(&dst, 4, (int64_t[]){ (int64_t)in->n, o->oc, o->oh,
		    o->ow });
	} else {
		act_md(d, o->in[0], in->n, &src);
		act_md(d, o->out, in->n, &dst);
	}
	in->nprim = 0;
	if (o->kind == OP_GAP) {
		alg = dnnl_pooling_avg_exclude_padding;
		st[0] = st[1] = 1;
		k[0] = o->h;
		k[1] = o->w;
		dil[0] = dil[1] = pl[0] = pl[1] = pr[0] = pr[1] = 0;
	} else {
		alg = o->kind == OP_MAXPOOL ? dnnl_pooling_max :
		    o->count_pad ? dnnl_pooling_avg_include_padding :
		    dnnl_pooling_avg_exclude_padding;
		end_pads(o, &pb, &prr);
		st[0] = o->sh;
		st[1] = o->sw;
		k[0] = o->kh;
		k[1] = o->kw;
		dil[0] = o->dh - 1;
		dil[1] = o->dw - 1;
		pl[0] = o->pt;
		pl[1] = o->pl;
		pr[0] = pb;
		pr[1] = prr;
	}
	if (dnnl_pooling_v2_forward_desc_init(&pd, dnnl_forward_inference, alg,
	    &src, &dst, st, k, dil, pl, pr) != dnnl_success)
		return -1;
	if (prim_make(d, &in->pr[0], &pd, NULL, 0, 0, NULL, NULL, NULL, 0, NULL,
	    NULL, 0, NULL) != 0)
		return -1;
	in->nprim = 1;
	return 0;
}

static dnnl_primitive_t
reorder_prim(struct wh_dnnl *d, const dnnl_memory_desc_t *from,
    const dnnl_memory_desc_t *to)
{
	dnnl_primitive_desc_t pd;
	dnnl_primitive_t r;

	check(dnnl_reorder_primitive_desc_create(&pd, from, d->eng, to, d->eng,
	    NULL), "reorder");
	check(dnnl_primitive_create(&r, pd), "reorder");
	dnnl_primitive_desc_destroy(pd);
	return r;
}

/* The reorders between the plan's layouts and the primitives', and the
 * description of what runs. */
static void
inst_layouts(struct wh_dnnl *d, struct inst *in, const struct wh_op *o)
{
	const struct prim *last = &in->pr[in->nprim - 1];
	size_t l;
	int k;

	in->impl[0] = '\0';
	if (o->kind != OP_LINEAR && !in->dense) {
		act_md(d, o->in[0], in->n, &in->in_md);
		act_md(d, d->op[o - d->g->ops].out, in->n, &in->out_md);
		if (!dnnl_memory_desc_equal(&in->in_md, &in->pr[0].src))
			in->rin = reorder_prim(d, &in->in_md, &in->pr[0].src);
		if (!dnnl_memory_desc_equal(&in->out_md, &last->dst))
			in->rout = reorder_prim(d, &last->dst, &in->out_md);
	}
	if (in->rin)
		snprintf(in->impl, sizeof in->impl, "reorder + ");
	for (k = 0; k < in->nprim; k++) {
		l = strlen(in->impl);
		snprintf(in->impl + l, sizeof in->impl - l, "%s%s", k ? " + " :
		    "", in->pr[k].name);
	}
	l = strlen(in->impl);
	if (in->rout)
		snprintf(in->impl + l, sizeof in->impl - l, " + reorder");
}

/* Op q's primitives for batch n, made now if need be. */
static struct inst *
inst_get(struct wh_dnnl *d, int q, const struct wh_layer_weights *lw,
    const float *aux, size_t n, dnnl_stream_t s)
{
	const struct wh_op *o = &d->g->ops[q];
	struct dop *p = &d->op[q];
	unsigned gen = o->layer >= 0 ? d->gen[o->layer] : 0;
	struct inst *in;
	int r = -1, k;

	pthread_mutex_lock(&p->mu);
	if (p->insts != NULL && p->gen != gen)
		insts_free(d, p, 1);
	p->gen = gen;
	for (in = p->insts; in != NULL && (in->n != n ||
	    in->orig != (lw == NULL)); in = in->next)
		;
	if (in == NULL) {
		int try;

		in = xcalloc(1, sizeof *in);
		in->n = n;
		in->orig = lw == NULL;
		/* the layer's own weights: its factors when stored so */
		if (lw == NULL && o->dflt.rank > 0) {
			lw = &o->dflt;
			aux = o->dflt_aux;
		}
		for (try = 0; try < 2; try++) {
			if (p->mode == M_CONV)
				r = build_conv(d, p, in, o, lw, aux, s);
			else if (p->mode == M_LINEAR)
				r = build_linear(d, p, in, o, lw, s);
			else if (p->mode == M_POOL)
				r = build_pool(d, in, o);
			/* oneDNN's reference kernels are slow, and its gemm
			 * convolutions (im2col) slower than its direct ones
			 * with a reorder on either side: on the plan's
			 * layouts, take them only when the primitive's own
			 * choice of layout has none better */
			for (k = 0; k < in->nprim && r == 0; k++)
				if (strncmp(in->pr[k].name, "ref", 3) == 0 ||
				    (p->mode == M_CONV && !in->dense &&
				    strstr(in->pr[k].name, "gemm:") != NULL))
					r = 1;
			if (r == 0 || try == 1 || p->mode == M_LINEAR)
				break;
			for (k = 0; k < in->nprim; k++)
				prim_release(&in->pr[k], d->threads);
			in->nprim = -1;
		}
		if (r < 0) {
			/* oneDNN declined: the reference kernel runs */
			for (k = 0; k < in->nprim; k++)
				prim_release(&in->pr[k], d->threads);
			in->nprim = 0;
		}
		if (in->nprim > 0)
			inst_layouts(d, in, o);
		/* appended, so that the first stays the one others share */
		if (p->insts == NULL)
			p->insts = in;
		else {
			struct inst *t = p->insts;

			while (t->next != NULL)
				t = t->next;
			t->next = in;
		}
	}
	pthread_mutex_unlock(&p->mu);
	return in;
}

/* ---- running ---- */

/* At least n floats of thread th's arena, 64-byte aligned. */
static float *
arena(struct thr *th, size_t n)
{
	n += 16;
	if (th->cap < n) {
		free(th->mem);
		th->mem = xmalloc(n * sizeof *th->mem);
		th->cap = n;
	}
	return (float *)(((uintptr_t)th->mem + 63) & ~(uintptr_t)63);
}

static size_t
up16(size_t n)
{
	return (n + 15) / 16 * 16;
}

static dnnl_memory_t
tmem(dnnl_engine_t eng, dnnl_memory_t *m, const dnnl_memory_desc_t *md,
    const void *data)
{
	if (*m == NULL)
		check(dnnl_memory_create(m, md, eng, (void *)data), "memory");
	else
		check(dnnl_memory_set_data_handle(*m, (void *)data), "memory");
	return *m;
}

static void
prim_exec(struct wh_dnnl *d, struct prim *p, int thread, const float *src,
    float *dst, const float *skip, void *pad)
{
	struct pmem *tm = &p->tm[thread];
	dnnl_exec_arg_t a[8];
	int na = 0, k;

	a[na].arg = DNNL_ARG_SRC;
	a[na++].memory = tmem(d->eng, &tm->src, &p->src, src);
	a[na].arg = DNNL_ARG_DST;
	a[na++].memory = tmem(d->eng, &tm->dst, &p->dst, dst);
	if (p->wei != NULL) {
		a[na].arg = DNNL_ARG_WEIGHTS;
		a[na++].memory = p->wei;
	}
	if (p->bias != NULL) {
		a[na].arg = DNNL_ARG_BIAS;
		a[na++].memory = p->bias;
	}
	for (k = 0; k < p->npost; k++) {
		a[na].arg = DNNL_ARG_ATTR_MULTIPLE_POST_OP(k) | DNNL_ARG_SRC_1;
		a[na++].memory = p->post[k];
	}
	if (p->skip_arg > 0) {
		a[na].arg = p->skip_arg;
		a[na++].memory = tmem(d->eng, &tm->skip, &p->skip_md, skip);
	} else if (p->skip_arg < 0)
		memcpy(dst, skip, dnnl_memory_desc_get_size(&p->dst));
	if (p->pad > 0) {
		dnnl_memory_desc_t md;
		int64_t bytes = (int64_t)p->pad;

		if (tm->pad == NULL) {
			check(dnnl_memory_desc_init_by_tag(&md, 1,
			    (dnnl_dims_t){ bytes }, dnnl_u8, dnnl_a), "memory");
			tmem(d->eng, &tm->pad, &md, pad);
		} else
			tmem(d->eng, &tm->pad, NULL, pad);
		a[na].arg = DNNL_ARG_SCRATCHPAD;
		a[na++].memory = tm->pad;
	}
	check(dnnl_primitive_execute(p->p, d->thr[thread].stream, na, a),
	    "execute");
}

/* The reorders of tensor t at batch n, made now if need be. */
static struct conv *
conv_get(struct wh_dnnl *d, int t, size_t n)
{
	struct conv *c;
	dnnl_primitive_desc_t pd;

	pthread_mutex_lock(&d->mu);
	for (c = d->convs; c != NULL && (c->t != t || c->n != n); c = c->next)
		;
	if (c == NULL) {
		c = xcalloc(1, sizeof *c);
		c->t = t;
		c->n = n;
		act_md(d, t, n, &c->plan_md);
		plain_md(d->g, t, n, &c->plain_md);
		check(dnnl_reorder_primitive_desc_create(&pd, &c->plan_md,
		    d->eng, &c->plain_md, d->eng, NULL), "reorder");
		check(dnnl_primitive_create(&c->to_plain, pd), "reorder");
		dnnl_primitive_desc_destroy(pd);
		check(dnnl_reorder_primitive_desc_create(&pd, &c->plain_md,
		    d->eng, &c->plan_md, d->eng, NULL), "reorder");
		check(dnnl_primitive_create(&c->to_plan, pd), "reorder");
		dnnl_primitive_desc_destroy(pd);
		c->next = d->convs;
		d->convs = c;
	}
	pthread_mutex_unlock(&d->mu);
	return c;
}

static void
reorder_exec(struct wh_dnnl *d, int thread, dnnl_primitive_t r,
    const dnnl_memory_desc_t *smd, const float *src,
    const dnnl_memory_desc_t *dmd, float *dst)
{
	dnnl_memory_t ms, md;
	dnnl_exec_arg_t a[2];

	check(dnnl_memory_create(&ms, smd, d->eng, (void *)src), "memory");
	check(dnnl_memory_create(&md, dmd, d->eng, dst), "memory");
	a[0].arg = DNNL_ARG_FROM;
	a[0].memory = ms;
	a[1].arg = DNNL_ARG_TO;
	a[1].memory = md;
	check(dnnl_primitive_execute(r, d->thr[thread].stream, 2, a),
	    "reorder");
	dnnl_memory_destroy(ms);
	dnnl_memory_destroy(md);
}

/* n samples of tensor t between the plan's layout and NCHW. */
static void
convert(struct wh_dnnl *d, int t, const float *src, float *dst, size_t n,
    int thread, int to_plain)
{
	struct conv *c = conv_get(d, t, n);

	if (to_plain)
		reorder_exec(d, thread, c->to_plain, &c->plan_md, src,
		    &c->plain_md, dst);
	else
		reorder_exec(d, thread, c->to_plan, &c->plain_md, src,
		    &c->plan_md, dst);
	check(dnnl_stream_wait(d->thr[thread].stream), "stream");
}

int
wh_dnnl_to_plain(struct wh_dnnl *d, int t, const float *src, float *dst,
    size_t n, int thread, char **err)
{
	(void)err;
	thread_enter(d);
	if (!d->blocked[troot(d->g, t)]) {
		memcpy(dst, src, n * d->g->t[t].ss * sizeof *dst);
		return 0;
	}
	convert(d, t, src, dst, n, thread, 1);
	return 0;
}

/*
 * The reference kernel for op q, on NCHW copies of whatever blocked
 * tensors it touches (none, as planned, unless oneDNN declined an op).
 */
static int
run_ref(struct wh_dnnl *d, int q, const struct wh_layer_weights *lw,
    const float *aux, float **buf, size_t n, float *scratch, int thread,
    int blind)
{
	const struct wh_graph *g = d->g;
	const struct wh_op *o = &g->ops[q];
	struct thr *th = &d->thr[thread];
	int fused = wh_op_fused(g, o, lw), outs[2], nout = 0, ts[5], nts, i, k;
	size_t need = 0;
	float *mem;

	outs[nout++] = o->out;
	if (fused)
		outs[nout++] = g->ops[q + 1].out;
	nts = 0;
	for (i = 0; i < o->nin; i++)
		if (o->in[i] >= 0 && !g->t[o->in[i]].is_const)
			ts[nts++] = o->in[i];
	for (k = 0; k < nout; k++)
		ts[nts++] = outs[k];
	if (blind && o->kind != OP_CONCAT && d->blocked[troot(g, o->out)] &&
	    d->floats[o->out] != g->t[o->out].ss) {
		/* padding channels, which it keeps at 0 (blind_fits) */
		size_t len = n * d->floats[o->out];

		if (o->kind == OP_UNARY)
			wh_unary_flat(o, buf[o->in[0]], buf[o->out], len);
		else
			wh_binary_flat(o, buf[o->in[0]], buf[o->in[1]],
			    buf[o->out], len);
		return 0;
	}
	for (k = 0; k < nts && !blind; k++)
		if (d->blocked[troot(g, ts[k])])
			need += up16(n * g->t[ts[k]].ss);
	if (need == 0) {
		wh_op_run(g, o, lw, aux, buf, n, scratch);
		return fused;
	}
	mem = arena(th, need);
	memcpy(th->tbuf, buf, g->nt * sizeof *buf);
	for (k = 0; k < nts; k++) {
		int t = ts[k];

		if (!d->blocked[troot(g, t)])
			continue;
		th->tbuf[t] = mem;
		mem += up16(n * g->t[t].ss);
		if (k < nts - nout)
			convert(d, t, buf[t], th->tbuf[t], n, thread, 1);
	}
	wh_op_run(g, o, lw, aux, th->tbuf, n, scratch);
	for (k = 0; k < nout; k++)
		if (d->blocked[troot(g, outs[k])])
			convert(d, outs[k], th->tbuf[outs[k]], buf[outs[k]], n,
			    thread, 0);
	return fused;
}

/* y[j] = x[j] s[j], j < m */
static void
scale_row(const float *x, const float *s, float *y, int64_t m)
{
	int64_t j;

	for (j = 0; j < m; j++)
		y[j] = x[j] * s[j];
}

/* One block of B (8 or 16, a constant where inlined) channels over hw
 * positions: y = x s per channel, the channels from live on (padding) 0. */
static inline __attribute__((always_inline)) void
scale_block(const float *x, const float *s, float *y, int64_t hw,
    int64_t live, int B)
{
	float sc[16];
	int64_t p;
	int j;

	for (j = 0; j < B; j++)
		sc[j] = j < live ? s[j] : 0.0f;
	for (p = 0; p < hw; p++)
		for (j = 0; j < B; j++)
			y[p * B + j] = x[p * B + j] * sc[j];
	if (live < B)
		for (p = 0; p < hw; p++)
			for (j = (int)live; j < B; j++)
				y[p * B + j] = 0.0f;
}

/*
 * y = x * s[c] on the plan's layout: channels last, or blocks of B
 * channels (the padding channels past c stay 0).  s, (c, 1, 1), is read
 * by channel index, which is its offset in NCHW and in a blocked layout
 * alike.  Each product is the reference's.
 */
static void
run_chscale(struct wh_dnnl *d, int q, float **buf, size_t n)
{
	const struct wh_graph *g = d->g;
	const struct wh_op *o = &g->ops[q];
	int k = chscale_big(g, o), bt = o->in[k], st = o->in[1 - k];
	const struct wh_tinfo *t = &g->t[o->out];
	int64_t c = t->dims[0], hw = t->dims[1] * t->dims[2], B = d->block;
	int64_t nb = (c + B - 1) / B, cb, p;
	size_t fx = d->floats[bt], fs = d->floats[st], fy = d->floats[o->out];
	size_t smp;

	/* x s is s x exactly, whichever operand came first */
	for (smp = 0; smp < n; smp++) {
		const float *x = buf[bt] + smp * fx, *s = buf[st] + smp * fs;
		float *y = buf[d->op[q].out] + smp * fy;

		if (B == 1) {
			for (p = 0; p < hw; p++)
				scale_row(x + p * c, s, y + p * c, c);
			continue;
		}
		for (cb = 0; cb < nb; cb++) {
			int64_t live = c - cb * B < B ? c - cb * B : B;

			if (B == 16)
				scale_block(x + cb * hw * B, s + cb * B,
				    y + cb * hw * B, hw, live, 16);
			else	/* the plan's blocks are 8 or 16 */
				scale_block(x + cb * hw * B, s + cb * B,
				    y + cb * hw * B, hw, live, 8);
		}
	}
}

/*
 * GlobalAveragePool on the plan's layouts: each channel's mean over its
 * h w values, summed in double in the reference's order and divided as it
 * divides, so that each result is the reference's.  (c, 1, 1) is laid out
 * alike in NCHW, channels last and blocks; the padding channels come out 0.
 * oneDNN 2.6's average pooling took 10 ns a float here on channels of one
 * or four values, as squeeze-and-excite has them.
 */
static void
run_gap(struct wh_dnnl *d, int q, float **buf, size_t n)
{
	const struct wh_graph *g = d->g;
	const struct wh_op *o = &g->ops[q];
	int xt = o->in[0], blk = d->blocked[troot(g, xt)];
	int64_t c = o->c, hw = o->h * o->w, B = blk ? d->block : 0, ch, i;
	size_t fx = d->floats[xt], fy = d->floats[o->out], smp;
	double acc[16];

	for (smp = 0; smp < n; smp++) {
		const float *x = buf[xt] + smp * fx;
		float *y = buf[d->op[q].out] + smp * fy;
		int64_t j, cb;

		if (B == 0)
			for (ch = 0; ch < c; ch++) {
				double sum = 0;

				for (i = 0; i < hw; i++)
					sum += x[ch * hw + i];
				y[ch] = (float)(sum / (double)hw);
			}
		else if (B == 1)
			for (cb = 0; cb < c; cb += 16) {
				int64_t m = c - cb < 16 ? c - cb : 16;

				for (j = 0; j < m; j++)
					acc[j] = 0;
				for (i = 0; i < hw; i++)
					for (j = 0; j < m; j++)
						acc[j] += x[i * c + cb + j];
				for (j = 0; j < m; j++)
					y[cb + j] = (float)(acc[j] / (double)hw);
			}
		else
			for (cb = 0; cb * B < c; cb++) {
				const float *xb = x + cb * hw * B;
				int64_t m = c - cb * B < B ? c - cb * B : B;

				for (j = 0; j < B; j++)
					acc[j] = 0;
				for (i = 0; i < hw; i++)
					for (j = 0; j < B; j++)
						acc[j] += xb[i * B + j];
				/* the output may be plain: no padding */
				for (j = 0; j < m; j++)
					y[cb * B + j] = (float)(acc[j] /
					    (double)hw);
			}
		for (ch = c; ch < (int64_t)fy; ch++)
			y[ch] = 0.0f;
	}
}

/* Four floats, as any x86-64 or arm64 register file holds them. */
typedef float v4f __attribute__((vector_size(16)));
typedef int32_t v4i __attribute__((vector_size(16)));

static inline v4f
v4_load(const float *p)
{
	v4f v;

	memcpy(&v, p, sizeof v);
	return v;
}

/* v > m ? v : m in each lane, as the reference compares: what SSE's
 * maxps computes, NaN included (the compiler makes four instructions of
 * the select) */
static inline v4f
v4_max(v4f v, v4f m)
{
#ifdef __SSE__
	return (v4f)_mm_max_ps((__m128)v, (__m128)m);
#else
	v4i gt = v > m;

	return (v4f)(((v4i)v & gt) | ((v4i)m & ~gt));
#endif
}

/* Stores 4 lanes at y, y + ls, y + 2 * ls, ...: one vector where ls is 1 */
static inline void
v4_store(float *y, v4f v, int64_t ls, int64_t nl)
{
	int64_t j;

	if (ls == 1 && nl == 4)
		memcpy(y, &v, sizeof v);
	else
		for (j = 0; j < nl; j++)
			y[j * ls] = v[j];
}

/*
 * Max pooling of one plane of (h, w, lanes) floats into (oh, ow): the
 * lanes are the channels of a block, or all channels (channels last), or
 * one (NCHW).  Output lane j of position p goes to y[p * ps + j * ls], so
 * that a blocked input can write a plain output; nl lanes are written (a
 * last block's padding is not).  Taps outside the input are left out, as
 * ONNX's padding is, and each lane starts from -FLT_MAX, as in the
 * reference.  The 2 x 2, stride 2 windows that never reach the padding
 * (LeNet's, VGG's) go without the taps' bookkeeping.
 */
static inline __attribute__((always_inline)) void
maxpool_plane(const struct wh_op *o, const float *restrict x,
    float *restrict y, int64_t lanes, int64_t nl, int64_t ps, int64_t ls)
{
	int64_t oy, ox, ky, kx, ky0, ky1, kx0, kx1, j;
	const v4f lo = { -FLT_MAX, -FLT_MAX, -FLT_MAX, -FLT_MAX };
	int two = wh_is_maxpool_2x2(o) && lanes % 4 == 0;

	for (oy = 0; oy < o->oh; oy++) {
		wh_pool_taps(oy, o->sh, o->dh, o->pt, o->kh, o->h, &ky0, &ky1);
		for (ox = 0; ox < o->ow; ox++) {
			float *d = y + (oy * o->ow + ox) * ps;
			const float *x0 = x + ((oy * o->sh - o->pt) * o->w +
			    ox * o->sw - o->pl) * lanes;

			if (two) {
				const float *x1 = x0 + o->w * lanes;

				for (j = 0; j < nl; j += 4)
					v4_store(d + j * ls, v4_max(v4_max(
					    v4_load(x0 + j), lo), v4_max(
					    v4_max(v4_load(x0 + lanes + j),
					    v4_load(x1 + j)), v4_load(x1 +
					    lanes + j))), ls, nl - j < 4 ?
					    nl - j : 4);
				continue;
			}
			wh_pool_taps(ox, o->sw, o->dw, o->pl, o->kw, o->w, &kx0,
			    &kx1);
			for (j = 0; j + 4 <= lanes && j < nl; j += 4) {
				v4f acc = lo;

				for (ky = ky0; ky < ky1; ky++)
					for (kx = kx0; kx < kx1; kx++)
						acc = v4_max(v4_load(x0 +
						    (ky * o->dh * o->w +
						    kx * o->dw) * lanes + j),
						    acc);
				v4_store(d + j * ls, acc, ls, nl - j < 4 ?
				    nl - j : 4);
			}
			for (; j < nl; j++) {
				float acc = -FLT_MAX;

				for (ky = ky0; ky < ky1; ky++)
					for (kx = kx0; kx < kx1; kx++) {
						float v = x0[(ky * o->dh *
						    o->w + kx * o->dw) * lanes +
						    j];

						acc = v > acc ? v : acc;
					}
				d[j * ls] = acc;
			}
		}
	}
}

#ifdef WIDE_POOL
/*
 * maxpool_plane for blocks of 16 (8) channels, a block one AVX-512 (AVX2)
 * register, compiled for those instructions alone and run where the CPU
 * has them.  The taps are taken in the reference's order, so that maxps's
 * choice, v > acc ? v : acc, gives its results, NaN included.
 */
#define WIDE_MAXPOOL(name, isa, vec, lanes, set1, load, store, max)	\
__attribute__((target(isa))) static inline void				\
name##_put(float *d, vec v, int64_t nl, int64_t ls)			\
{									\
	float t[lanes];							\
	int64_t j;							\
									\
	if (ls == 1 && nl == lanes) {					\
		store(d, v);						\
		return;							\
	}								\
	store(t, v);							\
	for (j = 0; j < nl; j++)					\
		d[j * ls] = t[j];					\
}									\
__attribute__((target(isa))) static void					\
name(const struct wh_op *o, const float *restrict x, float *restrict y,	\
    int64_t nl, int64_t ps, int64_t ls)					\
{									\
	int64_t oy, ox, ky, kx, ky0, ky1, kx0, kx1;			\
									\
	if (wh_is_maxpool_2x2(o)) {					\
		for (oy = 0; oy < o->oh; oy++)				\
			for (ox = 0; ox < o->ow; ox++) {		\
				const float *x0 = x + (oy * 2 * o->w +	\
				    ox * 2) * lanes, *x1 = x0 + o->w * lanes; \
				vec acc = max(load(x0), set1(-FLT_MAX));	\
									\
				acc = max(load(x0 + lanes), acc);	\
				acc = max(load(x1), acc);		\
				acc = max(load(x1 + lanes), acc);	\
				name##_put(y + (oy * o->ow + ox) * ps, acc, \
				    nl, ls);				\
			}						\
		return;							\
	}								\
	for (oy = 0; oy < o->oh; oy++) {				\
		wh_pool_taps(oy, o->sh, o->dh, o->pt, o->kh, o->h,	\
		    &ky0, &ky1);					\
		for (ox = 0; ox < o->ow; ox++) {			\
			const float *x0 = x + ((oy * o->sh - o->pt) *	\
			    o->w + ox * o->sw - o->pl) * lanes;		\
			vec acc = set1(-FLT_MAX);			\
									\
			wh_pool_taps(ox, o->sw, o->dw, o->pl, o->kw,	\
			    o->w, &kx0, &kx1);				\
			for (ky = ky0; ky < ky1; ky++)			\
				for (kx = kx0; kx < kx1; kx++)		\
					acc = max(load(x0 + (ky *	\
					    o->dh * o->w + kx * o->dw) *	\
					    lanes), acc);			\
			name##_put(y + (oy * o->ow + ox) * ps, acc, nl,	\
			    ls);						\
		}							\
	}								\
}
WIDE_MAXPOOL(maxpool16_avx512, "avx512f", __m512, 16, _mm512_set1_ps,
    _mm512_loadu_ps, _mm512_storeu_ps, _mm512_max_ps)
WIDE_MAXPOOL(maxpool8_avx2, "avx2", __m256, 8, _mm256_set1_ps,
    _mm256_loadu_ps, _mm256_storeu_ps, _mm256_max_ps)
#endif

/*
 * MaxPool on the buffers as they are laid out, into the same layout or
 * from blocks into plain NCHW (before a Flatten).  A max is exact, so the
 * results are the reference's bit for bit, padding channels (0) included.
 * oneDNN 2.6's pooling, and the reorder after it into NCHW, took a fifth
 * of the demo's pass.
 */
static void
run_maxpool(struct wh_dnnl *d, int q, float **buf, size_t n)
{
	const struct wh_graph *g = d->g;
	const struct wh_op *o = &g->ops[q];
	int xt = o->in[0], yt = d->op[q].out;
	int bx = d->blocked[troot(g, xt)], by = d->blocked[troot(g, yt)];
	int64_t B = bx ? d->block : 0, hw = o->h * o->w, ohw = o->oh * o->ow;
	int64_t c = o->c, cb, nb = B > 1 ? (c + B - 1) / B : B == 1 ? 1 : c;
	size_t fx = d->floats[xt], fy = d->floats[yt], smp;
#ifdef WIDE_POOL
	int isa = __builtin_cpu_supports("avx512f") ? 2 :	/* AVX-512 */
	    __builtin_cpu_supports("avx2") ? 1 : 0;		/* AVX2 */
#endif
	for (smp = 0; smp < n; smp++) {
		const float *x = buf[xt] + smp * fx;
		float *y = buf[yt] + smp * fy;

		for (cb = 0; cb < nb; cb++) {
			int64_t m = c - cb * B < B ? c - cb * B : B;

#ifdef WIDE_POOL
			if (B == 16 && isa == 2) {
				maxpool16_avx512(o, x + cb * hw * 16,
				    y + cb * ohw * 16, by ? 16 : m,
				    by ? 16 : 1, by ? 1 : ohw);
				continue;
			}
			if (B == 8 && isa >= 1) {
				maxpool8_avx2(o, x + cb * hw * 8,
				    y + cb * ohw * 8, by ? 8 : m, by ? 8 : 1,
				    by ? 1 : ohw);
				continue;
			}
#endif
			if (B == 16 && by)
				maxpool_plane(o, x + cb * hw * 16,
				    y + cb * ohw * 16, 16, 16, 16, 1);
			else if (B == 8 && by)
				maxpool_plane(o, x + cb * hw * 8,
				    y + cb * ohw * 8, 8, 8, 8, 1);
			else if (B == 16)
				maxpool_plane(o, x + cb * hw * 16,
				    y + cb * 16 * ohw, 16, m, 1, ohw);
			else if (B == 8)
				maxpool_plane(o, x + cb * hw * 8,
				    y + cb * 8 * ohw, 8, m, 1, ohw);
			else if (B == 1)
				maxpool_plane(o, x, y, c, c, by ? c : 1,
				    by ? 1 : ohw);
			else
				maxpool_plane(o, x + cb * hw, y + cb * ohw, 1,
				    1, 1, 1);
		}
	}
}

/*
 * QuantizeLinear then DequantizeLinear to uint8, as ONNX defines them:
 * q = saturate(round_half_even(x / scale) + zero), y = (q - zero) * scale.
 * Zero stays zero, so any layout will do.
 */
static void
fake_quant(const float *x, float *y, size_t n, float scale, int zero)
{
	size_t i;

	for (i = 0; i < n; i++) {
		float q = nearbyintf(x[i] / scale) + (float)zero;

		q = q < 0 ? 0 : q > 255 ? 255 : q;
		y[i] = (float)((int)q - zero) * scale;
	}
}

static int run_op(struct wh_dnnl *d, int q,
    const struct wh_layer_weights *lw, const float *aux, float **buf,
    size_t n, float *scratch, int thread);

int
wh_dnnl_run(struct wh_dnnl *d, int q, const struct wh_layer_weights *lw,
    const float *aux, float **buf, size_t n, float *scratch, int thread)
{
	const struct wh_graph *g = d->g;
	struct dop *p = &d->op[q];
	float **sb = d->thr[thread].sbuf;
	size_t a, m;
	int t, y;

	if (p->mode != M_CONV || p->pool < 0 || n <= p->slice)
		return run_op(d, q, lw, aux, buf, n, scratch, thread);
	/* every buffer moved to the slice's samples but the convolution's
	 * output, which each slice writes afresh */
	thread_enter(d);
	y = troot(g, p->out);
	for (a = 0; a < n; a += m) {
		m = n - a < p->slice ? n - a : p->slice;
		for (t = 0; t < g->nt; t++)
			sb[t] = buf[t] == NULL || troot(g, t) == y ? buf[t] :
			    buf[t] + a * d->floats[t];
		run_op(d, q, lw, aux, sb, m, scratch, thread);
		run_maxpool(d, p->pool, sb, m);
	}
	return p->pool - q;
}

static int
run_op(struct wh_dnnl *d, int q, const struct wh_layer_weights *lw,
    const float *aux, float **buf, size_t n, float *scratch, int thread)
{
	const struct wh_graph *g = d->g;
	const struct wh_op *o = &g->ops[q];
	struct dop *p = &d->op[q];
	struct thr *th = &d->thr[thread];
	struct inst *in;
	const float *x, *skip;
	float *mem, *fq = NULL, *mid = NULL, *xr = NULL, *yr = NULL, *y;
	size_t nfq = 0, nmid = 0, npad = 0, nxr = 0, nyr = 0;
	int k, nf;

	thread_enter(d);
	if (p->mode == M_CHSCALE && d->blocked[troot(g, p->out)]) {
		run_chscale(d, q, buf, n);
		return 0;
	}
	if (p->mode == M_GAP) {
		run_gap(d, q, buf, n);
		return 0;
	}
	if (p->mode == M_MAXPOOL) {
		run_maxpool(d, q, buf, n);
		return 0;
	}
	if (p->mode == M_REF || p->mode == M_BLIND || p->mode == M_FUSED ||
	    p->mode == M_CHSCALE)
		return run_ref(d, q, lw, aux, buf, n, scratch, thread,
		    p->mode == M_BLIND);
	in = inst_get(d, q, lw, aux, n, th->stream);
	nf = wh_dnnl_fused(d, q);
	if (in->nprim == 0) {
		k = run_ref(d, q, lw, aux, buf, n, scratch, thread, 0);
		if (nf == 0)
			return k;
		for (k = 1; k <= nf; k++)
			run_ref(d, q + k, NULL, NULL, buf, n, scratch, thread,
			    0);
		return nf;
	}
	x = buf[o->in[0]];
	if (lw != NULL && lw->act_bits)
		nfq = up16(n * d->floats[troot(g, o->in[0])]);
	if (in->nprim == 2)
		nmid = up16(dnnl_memory_desc_get_size(&in->pr[0].dst) /
		    sizeof(float));
	if (in->rin)
		nxr = up16(dnnl_memory_desc_get_size(&in->pr[0].src) /
		    sizeof(float));
	if (in->rout)
		nyr = up16(dnnl_memory_desc_get_size(&in->pr[in->nprim -
		    1].dst) / sizeof(float));
	for (k = 0; k < in->nprim; k++)
		if (up16(in->pr[k].pad / sizeof(float) + 1) > npad)
			npad = up16(in->pr[k].pad / sizeof(float) + 1);
	mem = arena(th, nfq + nxr + nmid + nyr + npad);
	fq = mem;
	xr = fq + nfq;
	mid = xr + nxr;
	yr = mid + nmid;
	if (nfq) {
		fake_quant(x, fq, n * d->floats[troot(g, o->in[0])],
		    lw->act_scale, lw->act_zero);
		x = fq;
	}
	if (in->rin) {
		reorder_exec(d, thread, in->rin, &in->in_md, x, &in->pr[0].src,
		    xr);
		x = xr;
	}
	y = in->rout ? yr : buf[p->out];
	skip = p->add != NULL ? buf[p->skip] : NULL;
	if (in->nprim == 1)
		prim_exec(d, &in->pr[0], thread, x, y, skip, yr + nyr);
	else {
		prim_exec(d, &in->pr[0], thread, x, mid, NULL, yr + nyr);
		prim_exec(d, &in->pr[1], thread, mid, y, skip, yr + nyr);
	}
	if (in->rout)
		reorder_exec(d, thread, in->rout, &in->pr[in->nprim - 1].dst, y,
		    &in->out_md, buf[p->out]);
	check(dnnl_stream_wait(th->stream), "stream");
	return nf;
}

void
wh_dnnl_prepare(struct wh_dnnl *d, size_t n)
{
	int q;

	thread_enter(d);
	for (q = 0; q < d->g->nops; q++) {
		if (d->op[q].mode == M_CONV || d->op[q].mode == M_LINEAR ||
		    d->op[q].mode == M_POOL)
			inst_get(d, q, NULL, NULL, n, d->thr[0].stream);
		if (d->op[q].pool >= 0 && n > d->op[q].slice)
			inst_get(d, q, NULL, NULL, d->op[q].slice,
			    d->thr[0].stream);
	}
}

const char *
wh_dnnl_impl(struct wh_dnnl *d, int q, size_t n)
{
	struct inst *in;

	if (d->op[q].mode == M_REF || d->op[q].mode == M_BLIND ||
	    d->op[q].mode == M_FUSED || d->op[q].mode == M_CHSCALE ||
	    d->op[q].mode == M_GAP || d->op[q].mode == M_MAXPOOL)
		return "";
	if (d->op[q].pool >= 0 && n > d->op[q].slice)
		n = d->op[q].slice;	/* run slice by slice */
	for (in = d->op[q].insts; in != NULL && in->n != n; in = in->next)
		;
	return in != NULL ? in->impl : "";
}
