/*
 * op-table.c - the operators whittle runs: the one list of them, and the
 * dispatch of compiled ops to their kernels
 *
 * Each operator has one definition (struct wh_opdef, op.h) in the file of
 * its family: op-conv.c, op-pool.c, op-gemm.c, op-elementwise.c, op-norm.c,
 * op-reduce.c, op-shape.c, op-quant.c.  To add an operator:
 *
 *   1. Write its definition in the family's file: the name, the opsets
 *      whose semantics it implements (since, until; one definition per
 *      range where the semantics differ, as Softmax before and after 13),
 *      the input and output counts, a fold function for constant inputs
 *      and/or a compile function for activations (each parses the
 *      attributes and infers the shapes, checking sizes with wh_mul_i64
 *      and wh_dims_elems), and the kernel its ops run.  Document the shapes
 *      (x: (n, c, h, w) -> ...) above each function.
 *   2. Declare it below and add its row to ops[], both in name order (then
 *      by opset); tests/unit/test-optable checks the order and the ranges.
 *
 * Nothing else names operators: the compiler looks each node up here,
 * checks its counts here, and reports every operator missing here at once.
 * A kernel backend hooks in through backends[] below (struct wh_backend).
 */
#include <string.h>

#include "op.h"

extern const struct wh_opdef wh_def_abs;
extern const struct wh_opdef wh_def_add;
extern const struct wh_opdef wh_def_and;
extern const struct wh_opdef wh_def_argmax;
extern const struct wh_opdef wh_def_averagepool;
extern const struct wh_opdef wh_def_batchnormalization;
extern const struct wh_opdef wh_def_cast;
extern const struct wh_opdef wh_def_ceil;
extern const struct wh_opdef wh_def_clip_6;
extern const struct wh_opdef wh_def_clip_11;
extern const struct wh_opdef wh_def_concat;
extern const struct wh_opdef wh_def_constant;
extern const struct wh_opdef wh_def_constantofshape;
extern const struct wh_opdef wh_def_conv;
extern const struct wh_opdef wh_def_dequantizelinear;
extern const struct wh_opdef wh_def_div;
extern const struct wh_opdef wh_def_dropout;
extern const struct wh_opdef wh_def_einsum;
extern const struct wh_opdef wh_def_elu;
extern const struct wh_opdef wh_def_equal;
extern const struct wh_opdef wh_def_erf;
extern const struct wh_opdef wh_def_exp;
extern const struct wh_opdef wh_def_expand;
extern const struct wh_opdef wh_def_flatten;
extern const struct wh_opdef wh_def_floor;
extern const struct wh_opdef wh_def_gather;
extern const struct wh_opdef wh_def_gelu;
extern const struct wh_opdef wh_def_gemm;
extern const struct wh_opdef wh_def_globalaveragepool;
extern const struct wh_opdef wh_def_globalmaxpool;
extern const struct wh_opdef wh_def_greater;
extern const struct wh_opdef wh_def_greaterorequal;
extern const struct wh_opdef wh_def_groupnormalization_18;
extern const struct wh_opdef wh_def_groupnormalization_21;
extern const struct wh_opdef wh_def_hardsigmoid;
extern const struct wh_opdef wh_def_hardswish;
extern const struct wh_opdef wh_def_identity;
extern const struct wh_opdef wh_def_instancenormalization;
extern const struct wh_opdef wh_def_layernormalization;
extern const struct wh_opdef wh_def_leakyrelu;
extern const struct wh_opdef wh_def_less;
extern const struct wh_opdef wh_def_lessorequal;
extern const struct wh_opdef wh_def_log;
extern const struct wh_opdef wh_def_logsoftmax_1;
extern const struct wh_opdef wh_def_logsoftmax_13;
extern const struct wh_opdef wh_def_matmul;
extern const struct wh_opdef wh_def_max;
extern const struct wh_opdef wh_def_maxpool;
extern const struct wh_opdef wh_def_mean;
extern const struct wh_opdef wh_def_min;
extern const struct wh_opdef wh_def_mul;
extern const struct wh_opdef wh_def_neg;
extern const struct wh_opdef wh_def_not;
extern const struct wh_opdef wh_def_or;
extern const struct wh_opdef wh_def_prelu;
extern const struct wh_opdef wh_def_pad;
extern const struct wh_opdef wh_def_pow;
extern const struct wh_opdef wh_def_quantizelinear;
extern const struct wh_opdef wh_def_range;
extern const struct wh_opdef wh_def_reciprocal;
extern const struct wh_opdef wh_def_reducel2_1;
extern const struct wh_opdef wh_def_reducel2_18;
extern const struct wh_opdef wh_def_reducelogsumexp_1;
extern const struct wh_opdef wh_def_reducelogsumexp_18;
extern const struct wh_opdef wh_def_reducemax_1;
extern const struct wh_opdef wh_def_reducemax_18;
extern const struct wh_opdef wh_def_reducemean_1;
extern const struct wh_opdef wh_def_reducemean_18;
extern const struct wh_opdef wh_def_reducemin_1;
extern const struct wh_opdef wh_def_reducemin_18;
extern const struct wh_opdef wh_def_reduceprod_1;
extern const struct wh_opdef wh_def_reduceprod_18;
extern const struct wh_opdef wh_def_reducesum_1;
extern const struct wh_opdef wh_def_reducesum_13;
extern const struct wh_opdef wh_def_relu;
extern const struct wh_opdef wh_def_reshape;
extern const struct wh_opdef wh_def_round;
extern const struct wh_opdef wh_def_selu;
extern const struct wh_opdef wh_def_shape;
extern const struct wh_opdef wh_def_sigmoid;
extern const struct wh_opdef wh_def_sign;
extern const struct wh_opdef wh_def_size;
extern const struct wh_opdef wh_def_slice;
extern const struct wh_opdef wh_def_softmax_1;
extern const struct wh_opdef wh_def_softmax_13;
extern const struct wh_opdef wh_def_softplus;
extern const struct wh_opdef wh_def_softsign;
extern const struct wh_opdef wh_def_split_2;
extern const struct wh_opdef wh_def_split_13;
extern const struct wh_opdef wh_def_split_18;
extern const struct wh_opdef wh_def_sqrt;
extern const struct wh_opdef wh_def_squeeze;
extern const struct wh_opdef wh_def_sub;
extern const struct wh_opdef wh_def_sum;
extern const struct wh_opdef wh_def_tanh;
extern const struct wh_opdef wh_def_tile;
extern const struct wh_opdef wh_def_transpose;
extern const struct wh_opdef wh_def_unsqueeze;
extern const struct wh_opdef wh_def_where;
extern const struct wh_opdef wh_def_xor;

static const struct wh_opdef *const ops[] = {
	&wh_def_abs,			/* op-elementwise.c */
	&wh_def_add,			/* op-elementwise.c */
	&wh_def_and,			/* op-elementwise.c */
	&wh_def_argmax,			/* op-reduce.c */
	&wh_def_averagepool,		/* op-pool.c */
	&wh_def_batchnormalization,	/* op-norm.c */
	&wh_def_cast,			/* op-shape.c */
	&wh_def_ceil,			/* op-elementwise.c */
	&wh_def_clip_6,			/* op-elementwise.c */
	&wh_def_clip_11,		/* op-elementwise.c */
	&wh_def_concat,			/* op-shape.c */
	&wh_def_constant,		/* op-shape.c */
	&wh_def_constantofshape,	/* op-shape.c */
	&wh_def_conv,			/* op-conv.c */
	&wh_def_dequantizelinear,	/* op-quant.c */
	&wh_def_div,			/* op-elementwise.c */
	&wh_def_dropout,		/* op-shape.c */
	&wh_def_einsum,			/* op-gemm.c */
	&wh_def_elu,			/* op-elementwise.c */
	&wh_def_equal,			/* op-elementwise.c */
	&wh_def_erf,			/* op-elementwise.c */
	&wh_def_exp,			/* op-elementwise.c */
	&wh_def_expand,			/* op-shape.c */
	&wh_def_flatten,		/* op-shape.c */
	&wh_def_floor,			/* op-elementwise.c */
	&wh_def_gather,			/* op-shape.c */
	&wh_def_gelu,			/* op-elementwise.c */
	&wh_def_gemm,			/* op-gemm.c */
	&wh_def_globalaveragepool,	/* op-pool.c */
	&wh_def_globalmaxpool,		/* op-pool.c */
	&wh_def_greater,		/* op-elementwise.c */
	&wh_def_greaterorequal,		/* op-elementwise.c */
	&wh_def_groupnormalization_18,	/* op-norm.c */
	&wh_def_groupnormalization_21,	/* op-norm.c */
	&wh_def_hardsigmoid,		/* op-elementwise.c */
	&wh_def_hardswish,		/* op-elementwise.c */
	&wh_def_identity,		/* op-shape.c */
	&wh_def_instancenormalization,	/* op-norm.c */
	&wh_def_layernormalization,	/* op-norm.c */
	&wh_def_leakyrelu,		/* op-elementwise.c */
	&wh_def_less,			/* op-elementwise.c */
	&wh_def_lessorequal,		/* op-elementwise.c */
	&wh_def_log,			/* op-elementwise.c */
	&wh_def_logsoftmax_1,		/* op-elementwise.c */
	&wh_def_logsoftmax_13,		/* op-elementwise.c */
	&wh_def_matmul,			/* op-gemm.c */
	&wh_def_max,			/* op-elementwise.c */
	&wh_def_maxpool,		/* op-pool.c */
	&wh_def_mean,			/* op-elementwise.c */
	&wh_def_min,			/* op-elementwise.c */
	&wh_def_mul,			/* op-elementwise.c */
	&wh_def_neg,			/* op-elementwise.c */
	&wh_def_not,			/* op-elementwise.c */
	&wh_def_or,			/* op-elementwise.c */
	&wh_def_prelu,			/* op-elementwise.c */
	&wh_def_pad,			/* op-shape.c */
	&wh_def_pow,			/* op-elementwise.c */
	&wh_def_quantizelinear,		/* op-quant.c */
	&wh_def_range,			/* op-shape.c */
	&wh_def_reciprocal,		/* op-elementwise.c */
	&wh_def_reducel2_1,		/* op-reduce.c */
	&wh_def_reducel2_18,		/* op-reduce.c */
	&wh_def_reducelogsumexp_1,	/* op-reduce.c */
	&wh_def_reducelogsumexp_18,	/* op-reduce.c */
	&wh_def_reducemax_1,		/* op-reduce.c */
	&wh_def_reducemax_18,		/* op-reduce.c */
	&wh_def_reducemean_1,		/* op-reduce.c */
	&wh_def_reducemean_18,		/* op-reduce.c */
	&wh_def_reducemin_1,		/* op-reduce.c */
	&wh_def_reducemin_18,		/* op-reduce.c */
	&wh_def_reduceprod_1,		/* op-reduce.c */
	&wh_def_reduceprod_18,		/* op-reduce.c */
	&wh_def_reducesum_1,		/* op-reduce.c */
	&wh_def_reducesum_13,		/* op-reduce.c */
	&wh_def_relu,			/* op-elementwise.c */
	&wh_def_reshape,		/* op-shape.c */
	&wh_def_round,			/* op-elementwise.c */
	&wh_def_selu,			/* op-elementwise.c */
	&wh_def_shape,			/* op-shape.c */
	&wh_def_sigmoid,		/* op-elementwise.c */
	&wh_def_sign,			/* op-elementwise.c */
	&wh_def_size,			/* op-shape.c */
	&wh_def_slice,			/* op-shape.c */
	&wh_def_softmax_1,		/* op-elementwise.c */
	&wh_def_softmax_13,		/* op-elementwise.c */
	&wh_def_softplus,		/* op-elementwise.c */
	&wh_def_softsign,		/* op-elementwise.c */
	&wh_def_split_2,		/* op-shape.c */
	&wh_def_split_13,		/* op-shape.c */
	&wh_def_split_18,		/* op-shape.c */
	&wh_def_sqrt,			/* op-elementwise.c */
	&wh_def_squeeze,		/* op-shape.c */
	&wh_def_sub,			/* op-elementwise.c */
	&wh_def_sum,			/* op-elementwise.c */
	&wh_def_tanh,			/* op-elementwise.c */
	&wh_def_tile,			/* op-shape.c */
	&wh_def_transpose,		/* op-shape.c */
	&wh_def_unsqueeze,		/* op-shape.c */
	&wh_def_where,			/* op-elementwise.c */
	&wh_def_xor,			/* op-elementwise.c */
};

/*
 * Kernel backends, asked in order for every compiled op after the whole
 * graph is compiled (so that a backend sees the final fused epilogues).
 * The reference kernels above run whatever no backend takes.
 */
static const struct wh_backend *const backends[] = {
	NULL
};

const struct wh_opdef *const *
wh_op_table(size_t *n)
{
	*n = sizeof ops / sizeof ops[0];
	return ops;
}

const struct wh_opdef *
wh_op_find(const char *op, int64_t opset, int *known)
{
	size_t lo = 0, hi = sizeof ops / sizeof ops[0];

	if (known != NULL)
		*known = 0;
	/* the first row with the name */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(ops[mid]->name, op) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < sizeof ops / sizeof ops[0] &&
	    strcmp(ops[lo]->name, op) == 0; lo++) {
		if (known != NULL)
			*known = 1;
		if (opset >= ops[lo]->since && (ops[lo]->until == 0 ||
		    opset <= ops[lo]->until))
			return ops[lo];
	}
	return NULL;
}

int
wh_backends_bind(struct wh_graph *g, char **err)
{
	size_t b;
	int i;

	for (i = 0; i < g->nops; i++)
		for (b = 0; backends[b] != NULL; b++) {
			int r = backends[b]->bind(g, &g->ops[i], err);

			if (r < 0)
				return -1;
			if (r > 0)
				break;
		}
	return 0;
}

/* Without an override, a layer stored factored runs its own factors. */
static const struct wh_layer_weights *
own(const struct wh_op *o, const struct wh_layer_weights *lw,
    const float **aux)
{
	if (lw != NULL || o->dflt.rank == 0)
		return lw;
	if (aux != NULL)
		*aux = o->dflt_aux;
	return &o->dflt;
}

/* The kernel's samples per sample of the graph (ops built by hand may
 * leave planes 0). */
static size_t
planes(const struct wh_op *o)
{
	return o->planes > 1 ? (size_t)o->planes : 1;
}

size_t
wh_op_scratch(const struct wh_graph *g, const struct wh_op *o,
    const struct wh_layer_weights *lw, size_t n)
{
	size_t need = 0;

	lw = own(o, lw, NULL);

	if (lw != NULL && lw->act_bits)
		need += n * g->t[o->in[0]].ss;
	if (o->kern->scratch != NULL)
		need += o->kern->scratch(g, o, lw, n * planes(o));
	return need;
}

void
wh_op_run(const struct wh_graph *g, const struct wh_op *o,
    const struct wh_layer_weights *lw, const float *lwaux, float **buf,
    size_t n, float *scratch)
{
	lw = own(o, lw, &lwaux);
	o->kern->run(g, o, lw, lwaux, buf, n * planes(o), scratch);
}

int
wh_op_fused(const struct wh_graph *g, const struct wh_op *o,
    const struct wh_layer_weights *lw)
{
	lw = own(o, lw, NULL);
	return o->kern->fused != NULL ? o->kern->fused(g, o, lw) : 0;
}
