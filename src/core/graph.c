/* graph.c - compile an ONNX model into a sorted list of ops with shapes:
 * the names, the order, the checks and the helpers every operator's
 * definition (op-*.c, listed in op-table.c) compiles with */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "op.h"
#include "whittle/util.h"

_Thread_local int wh_probe_n = WH_PROBE_DEFAULT;

/* ---- names: an open-addressing hash of borrowed strings --------------- */

struct wh_map {
	size_t cap, n;		/* cap a power of two */
	const char **key;
	int *val;
};

static size_t
name_hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;	/* FNV-1a */

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ull;
	return (size_t)h;
}

static struct wh_map *
map_new(size_t hint)
{
	struct wh_map *mp = xcalloc(1, sizeof *mp);

	mp->cap = 16;
	while (mp->cap < 2 * hint)
		mp->cap *= 2;
	mp->key = xcalloc(mp->cap, sizeof *mp->key);
	mp->val = xcalloc(mp->cap, sizeof *mp->val);
	return mp;
}

static void
map_free(struct wh_map *mp)
{
	if (mp == NULL)
		return;
	free(mp->key);
	free(mp->val);
	free(mp);
}

/* The slot of key: its own, or the empty one where it would go. */
static size_t
map_slot(const struct wh_map *mp, const char *key)
{
	size_t i = name_hash(key) & (mp->cap - 1);

	while (mp->key[i] != NULL && strcmp(mp->key[i], key) != 0)
		i = (i + 1) & (mp->cap - 1);
	return i;
}

static int
map_get(const struct wh_map *mp, const char *key)
{
	size_t i = map_slot(mp, key);

	return mp->key[i] != NULL ? mp->val[i] : -1;
}

/* Sets key to val (key must outlive the map); returns the slot's value. */
static int *
map_put(struct wh_map *mp, const char *key, int val)
{
	size_t i;

	if (2 * (mp->n + 1) > mp->cap) {
		struct wh_map big = { mp->cap * 2, 0, NULL, NULL };

		big.key = xcalloc(big.cap, sizeof *big.key);
		big.val = xcalloc(big.cap, sizeof *big.val);
		for (i = 0; i < mp->cap; i++)
			if (mp->key[i] != NULL) {
				size_t j = map_slot(&big, mp->key[i]);

				big.key[j] = mp->key[i];
				big.val[j] = mp->val[i];
				big.n++;
			}
		free(mp->key);
		free(mp->val);
		*mp = big;
	}
	i = map_slot(mp, key);
	if (mp->key[i] == NULL) {
		mp->key[i] = key;
		mp->n++;
	}
	mp->val[i] = val;
	return &mp->val[i];
}

/* ---- tensors ----------------------------------------------------------- */

static int
tensor_find(const struct wh_compiler *c, const char *name)
{
	return map_get(c->ids, name);
}

static int
tensor_add(struct wh_compiler *c, const char *name)
{
	struct wh_graph *g = c->g;
	struct wh_tinfo *t;

	if (g->nt == c->cap_t) {
		c->cap_t = c->cap_t ? 2 * c->cap_t : 64;
		g->t = xreallocarray(g->t, c->cap_t, sizeof *g->t);
	}
	t = &g->t[g->nt];
	memset(t, 0, sizeof *t);
	t->name = xstrdup(name);
	t->alias = -1;
	t->prod = -2;
	t->last = -1;
	map_put(c->ids, t->name, g->nt);
	return g->nt++;
}

int
wh_const_add(struct wh_compiler *c, const char *name, struct wh_tensor *val,
    int owned)
{
	int id = tensor_add(c, name);

	c->g->t[id].is_const = 1;
	c->g->t[id].cval = val;
	c->g->t[id].cval_owned = owned;
	return id;
}

int
wh_dims_elems(const int64_t *dims, int ndim, int64_t *out)
{
	int64_t n = 1;
	int i;

	for (i = 0; i < ndim; i++)
		if (wh_mul_i64(n, dims[i], &n) != 0 || n > WH_MAX_ELEMS)
			return -1;
	*out = n;
	return 0;
}

/* The message for a size past the limits, at node (or the input, -1). */
static int
too_large(struct wh_compiler *c, int node, const char *what, const char *name)
{
	char *msg = xasprintf("%s '%s' would hold more than %lld values per "
	    "sample (or %lld for a sample's activations together), the most "
	    "whittle allocates", what, name, (long long)WH_MAX_ELEMS,
	    (long long)WH_MAX_SAMPLE_ELEMS);
	int r;

	if (node < 0)
		r = wh_error(c->err, "%s: %s", c->m->path, msg);
	else
		r = wh_fail(c, node, "%s", msg);
	free(msg);
	return r;
}

struct wh_tensor *
wh_ctensor_new(struct wh_compiler *c, int node, enum wh_dtype dtype, int ndim,
    const int64_t *dims)
{
	struct wh_tensor *t;
	int64_t n;

	if (ndim < 0 || ndim > WH_MAX_DIMS) {
		wh_fail(c, node, "a result with too many dims%s", "");
		return NULL;
	}
	if (wh_dims_elems(dims, ndim, &n) != 0) {
		too_large(c, node, "the result", wh_out_name(c, node));
		return NULL;
	}
	t = xcalloc(1, sizeof *t);
	t->dtype = dtype;
	t->ndim = ndim;
	if (ndim > 0)
		memcpy(t->dims, dims, ndim * sizeof *dims);
	t->count = (size_t)n;
	if (dtype == WH_FLOAT)
		t->f = xcalloc(n ? (size_t)n : 1, sizeof *t->f);
	else
		t->i = xcalloc(n ? (size_t)n : 1, sizeof *t->i);
	return t;
}

void
wh_ctensor_free(struct wh_tensor *t)
{
	if (t == NULL)
		return;
	wh_tensor_release(t);
	free(t);
}

/* An activation with full dims (c->nb batch axes first); -1 past the
 * limits. */
static int
act_new(struct wh_compiler *c, int node, const char *name, int ndim,
    const int64_t *full, int prod, int count)
{
	struct wh_graph *g = c->g;
	int nb = c->nb;
	int64_t ss;
	int id, i;

	if (ndim < nb || ndim - nb > WH_MAX_DIMS)
		return wh_fail(c, node, "a result with bad dims%s", "");
	if (wh_dims_elems(full + nb, ndim - nb, &ss) != 0 || (count &&
	    (wh_add_i64(c->sample_elems, ss, &c->sample_elems) != 0 ||
	    c->sample_elems > WH_MAX_SAMPLE_ELEMS)))
		return too_large(c, node, node < 0 ? "input" : "output", name);
	id = tensor_add(c, name);
	g->t[id].ndim = ndim - nb;
	for (i = nb; i < ndim; i++)
		g->t[id].dims[i - nb] = full[i];
	g->t[id].ss = (size_t)ss;
	g->t[id].prod = prod;
	return id;
}

int
wh_act_add(struct wh_compiler *c, int node, const char *name, int ndim,
    const int64_t *full, int prod)
{
	return act_new(c, node, name, ndim, full, prod, 1);
}

void
wh_full_dims(const struct wh_compiler *c, const struct wh_tinfo *t,
    int *ndim, int64_t *dims)
{
	int i;

	if (t->is_const) {
		*ndim = t->cval->ndim;
		memcpy(dims, t->cval->dims, t->cval->ndim * sizeof *dims);
		return;
	}
	*ndim = t->ndim + c->nb;
	dims[0] = WH_PROBE_N;
	for (i = 0; i < t->ndim; i++)
		dims[i + c->nb] = t->dims[i];
}

const int64_t *
wh_chan_dims(const struct wh_compiler *c, const struct wh_tinfo *t,
    int *ndim, int64_t *planes)
{
	if (planes != NULL)
		*planes = c->nb == 0 && t->ndim > 0 ? t->dims[0] : 1;
	if (c->nb == 0 && (t->ndim < 1 || (planes == NULL && t->dims[0] != 1)))
		return NULL;
	*ndim = t->ndim - (1 - c->nb);
	return t->dims + (1 - c->nb);
}

static int
root(const struct wh_graph *g, int id)
{
	return g->t[id].alias >= 0 ? g->t[id].alias : id;
}

int
wh_alias_add(struct wh_compiler *c, const char *name, int src, int ndim,
    const int64_t *full)
{
	int id = act_new(c, -1, name, ndim, full, c->g->t[src].prod, 0);

	if (id < 0 || c->g->t[id].ss != c->g->t[src].ss)
		return -1;
	c->g->t[id].alias = root(c->g, src);
	return id;
}

struct wh_op *
wh_op_add(struct wh_compiler *c, enum wh_opkind kind, int node)
{
	struct wh_graph *g = c->g;
	struct wh_op *o;

	if (g->nops == c->cap_ops) {
		c->cap_ops = c->cap_ops ? 2 * c->cap_ops : 64;
		g->ops = xreallocarray(g->ops, c->cap_ops, sizeof *g->ops);
	}
	o = &g->ops[g->nops++];
	memset(o, 0, sizeof *o);
	o->kind = kind;
	o->kern = c->def->kernel;
	o->node = node;
	o->layer = -1;
	o->planes = 1;
	o->out = -1;
	o->in[0] = o->in[1] = o->in[2] = o->in[3] = -1;
	return o;
}

struct wh_layer *
wh_layer_add(struct wh_compiler *c, int node, enum wh_layer_kind kind)
{
	struct wh_graph *g = c->g;
	struct wh_layer *l;

	if (g->nlayers == c->cap_layers) {
		c->cap_layers = c->cap_layers ? 2 * c->cap_layers : 16;
		g->layers = xreallocarray(g->layers, c->cap_layers,
		    sizeof *g->layers);
	}
	l = &g->layers[g->nlayers++];
	memset(l, 0, sizeof *l);
	l->name = xstrdup(c->m->nodes[node].name);
	l->kind = kind;
	l->node = node;
	l->op = g->nops - 1;
	l->cin = l->kh = l->kw = 1;
	l->group = 1;
	l->out_h = l->out_w = 1;
	l->rows = 1;
	l->node_a = -1;
	return l;
}

/* ---- small helpers ------------------------------------------------------ */

double
wh_cget(const struct wh_tensor *t, size_t i)
{
	return t->dtype == WH_FLOAT ? t->f[i] : (double)t->i[i];
}

int64_t
wh_cget_int(const struct wh_tensor *t, size_t i)
{
	double v;

	if (t->dtype != WH_FLOAT)
		return t->i[i];
	/* a float holding an index: saturate rather than overflow */
	v = t->f[i];
	return wh_sat_i64(v);
}

void
wh_cset(struct wh_tensor *t, size_t i, double v)
{
	if (t->dtype == WH_FLOAT)
		t->f[i] = (float)v;
	else	/* saturated, as wh_cget_int reads floats */
		t->i[i] = wh_sat_i64(v);
}

int64_t
wh_sat_i64(double v)
{
	return v >= 9.2e18 ? INT64_MAX : v <= -9.2e18 ? INT64_MIN : v != v ? 0 :
	    (int64_t)v;
}

int
wh_norm_axis(int64_t axis, int ndim)
{
	if (axis < 0)
		axis += ndim;
	if (axis < 0 || axis >= ndim)
		return -1;
	return (int)axis;
}

int
wh_broadcast(int an, const int64_t *ad, int bn, const int64_t *bd, int *on,
    int64_t *od)
{
	int n = an > bn ? an : bn, i;

	if (n > WH_MAX_DIMS)
		return -1;
	for (i = 0; i < n; i++) {
		int64_t a = i < n - an ? 1 : ad[i - (n - an)];
		int64_t b = i < n - bn ? 1 : bd[i - (n - bn)];

		if (a != b && a != 1 && b != 1)
			return -1;
		od[i] = a == 1 ? b : a;
	}
	*on = n;
	return 0;
}

void
wh_bstrides(int sn, const int64_t *sd, int n, const int64_t *od, int64_t *str)
{
	int64_t s = 1;
	int i;

	for (i = n - 1; i >= 0; i--) {
		int j = i - (n - sn);
		int64_t d = j >= 0 ? sd[j] : 1;

		str[i] = (d == 1 && od[i] != 1) ? 0 : s;
		s *= d;
	}
}

int
wh_ints_of(const struct wh_tensor *t, int64_t *out, int max)
{
	size_t i;

	if (t->count > (size_t)max)
		return -1;
	for (i = 0; i < t->count; i++)
		out[i] = wh_cget_int(t, i);
	return (int)t->count;
}

int
wh_fail(struct wh_compiler *c, int node, const char *fmt, const char *a)
{
	const struct wh_node *n = &c->m->nodes[node];
	char *msg = xasprintf(fmt, a ? a : "");
	int r;

	r = wh_error(c->err, "%s: node %s (%s): %s", c->m->path, WH_QNAME(n->name),
	    n->op, msg);
	free(msg);
	return r;
}

int
wh_batch_fail(struct wh_compiler *c, int node, const char *fmt, const char *a)
{
	c->batch_moved = 1;
	return wh_fail(c, node, fmt, a);
}

struct wh_tensor *
wh_fold_fail(struct wh_compiler *c, int node, const char *fmt, const char *a)
{
	wh_fail(c, node, fmt, a);
	return NULL;
}

int
wh_in_id(struct wh_compiler *c, int node, int k)
{
	const struct wh_node *n = &c->m->nodes[node];

	if (k >= n->ninputs || n->inputs[k][0] == '\0')
		return -1;
	return tensor_find(c, n->inputs[k]);
}

const struct wh_tensor *
wh_in_const(struct wh_compiler *c, int node, int k)
{
	int id = wh_in_id(c, node, k);

	if (id < 0 || !c->g->t[id].is_const)
		return NULL;
	return c->g->t[id].cval;
}

const char *
wh_out_name(struct wh_compiler *c, int node)
{
	return c->m->nodes[node].outputs[0];
}

int
wh_readers(struct wh_compiler *c, const char *name)
{
	int n = map_get(c->readers, name);

	return n < 0 ? 0 : n;
}

int
wh_try_fuse(struct wh_compiler *c, int node, int x, const float *scale,
    const float *shift, int relu)
{
	struct wh_graph *g = c->g;
	struct wh_op *o;
	int64_t ch, k;
	size_t mo;

	if (g->t[x].is_const || g->t[x].alias >= 0 || g->t[x].prod < 0 ||
	    wh_readers(c, g->t[x].name) != 1)
		return 0;
	for (mo = 0; mo < c->m->noutputs; mo++)
		if (strcmp(c->m->outputs[mo].name, g->t[x].name) == 0)
			return 0;
	o = &g->ops[g->t[x].prod];
	if ((o->kind != OP_LINEAR && o->kind != OP_CONV) || o->out != x ||
	    o->ep_relu)
		return 0;
	if (!relu) {
		if (o->ep_scale != NULL)
			return 0;
		if (o->kind == OP_LINEAR && o->rows != 1)
			return 0;
		ch = o->oc;
		o->ep_scale = xmalloc(ch * sizeof *o->ep_scale);
		o->ep_shift = xmalloc(ch * sizeof *o->ep_shift);
		for (k = 0; k < ch; k++) {
			o->ep_scale[k] = scale[k];
			o->ep_shift[k] = shift[k];
		}
	} else
		o->ep_relu = 1;
	/* the op now writes the fused node's output; x is never produced */
	{
		int prod = g->t[x].prod;
		int y = act_new(c, node, wh_out_name(c, node), c->nb,
		    (int64_t[]){ WH_PROBE_N }, prod, 0);

		if (y < 0)
			return -1;
		g->t[y].ndim = g->t[x].ndim;
		memcpy(g->t[y].dims, g->t[x].dims, sizeof g->t[y].dims);
		g->t[y].ss = g->t[x].ss;
		g->t[x].prod = -2;
		g->ops[prod].out = y;
	}
	return 1;
}

/* ---- the registry's checks ------------------------------------------- */

/*
 * Every node's operator in the table at the model's opset: one message
 * listing each operator that is not, with the opset and its first node.
 */
static int
check_ops(struct wh_compiler *c, const struct wh_opdef **defs)
{
	const struct wh_model *m = c->m;
	struct wh_map *seen = map_new(16);	/* op -> nodes, 0 once listed */
	char *list = NULL;
	size_t i;
	int nbad = 0;

	for (i = 0; i < m->nnodes; i++) {
		const char *op = m->nodes[i].op;
		int k = map_get(seen, op);

		if ((defs[i] = wh_op_find(op, m->opset, NULL)) != NULL)
			continue;
		if (k < 0)
			nbad++;
		map_put(seen, op, k < 0 ? 1 : k + 1);
	}
	for (i = 0; i < m->nnodes && nbad > 0; i++) {
		const struct wh_node *n = &m->nodes[i];
		int k = map_get(seen, n->op), known;
		char *item, *more;

		if (defs[i] != NULL || k <= 0)
			continue;
		map_put(seen, n->op, 0);
		wh_op_find(n->op, m->opset, &known);
		more = k > 1 ? xasprintf(" and %d more", k - 1) : xstrdup("");
		item = xasprintf("%s%s%s at opset %lld%s (node %s%s)",
		    list ? list : "", list ? ", " : "", WH_QNAME(n->op),
		    (long long)m->opset, known ? ", which whittle runs at "
		    "other opsets" : "", WH_QNAME(n->name), more);
		free(more);
		free(list);
		list = item;
	}
	map_free(seen);
	if (nbad == 0)
		return 0;
	wh_error(c->err, "%s: %d unsupported operator%s: %s", m->path, nbad,
	    nbad == 1 ? "" : "s", list);
	free(list);
	return -1;
}

static char *
arity_str(int lo, int hi, const char *what)
{
	if (hi == WH_ANY)
		return xasprintf("%d or more %ss", lo, what);
	if (lo == hi)
		return xasprintf("%d %s%s", lo, what, lo == 1 ? "" : "s");
	return xasprintf("%d to %d %ss", lo, hi, what);
}

/* One side of a node (its inputs or outputs) against the counts. */
static int
check_side(struct wh_compiler *c, int node, const char *what, char **names,
    int have, int lo, int hi)
{
	const struct wh_opdef *d = c->def;
	char *want, *msg = NULL;
	int k;

	if (have < lo || have > hi) {
		want = arity_str(lo, hi, what);
		msg = xasprintf("has %d %s%s; %s takes %s", have, what,
		    have == 1 ? "" : "s", d->name, want);
		free(want);
	}
	for (k = 0; k < lo && k < have && msg == NULL; k++)
		if (names[k][0] == '\0')
			msg = xasprintf("%s %d is required, and it is "
			    "unnamed", what, k + 1);
	if (msg == NULL)
		return 0;
	wh_fail(c, node, "%s", msg);
	free(msg);
	return -1;
}

/* The node's inputs and outputs against its definition: counts in range,
 * the required ones named. */
static int
check_arity(struct wh_compiler *c, int node, const struct wh_opdef *d)
{
	const struct wh_node *n = &c->m->nodes[node];

	c->def = d;
	if (check_side(c, node, "input", n->inputs, n->ninputs, d->min_in,
	    d->max_in) != 0)
		return -1;
	return check_side(c, node, "output", n->outputs, n->noutputs,
	    d->min_out, d->max_out);
}

static int
compile_node(struct wh_compiler *c, int node, const struct wh_opdef *d)
{
	const struct wh_node *n = &c->m->nodes[node];
	struct wh_graph *g = c->g;
	struct wh_tensor *t;
	int allconst = 1, i, id;

	c->def = d;
	for (i = 0; i < n->ninputs; i++) {
		if (n->inputs[i][0] == '\0')
			continue;
		if ((id = tensor_find(c, n->inputs[i])) < 0)
			return wh_fail(c, node, "reads tensor '%s', which nothing "
			    "produces", n->inputs[i]);
		if (!g->t[id].is_const)
			allconst = 0;
	}
	if (allconst) {
		if (d->fold == NULL)
			return wh_fail(c, node, "cannot fold this operator on "
			    "constants%s", "");
		if ((t = d->fold(c, node)) == NULL)
			return -1;
		id = wh_const_add(c, wh_out_name(c, node), t, 1);
		for (i = 0; i < n->ninputs; i++) {
			int k = n->inputs[i][0] != '\0' ?
			    tensor_find(c, n->inputs[i]) : -1;

			if (k >= 0 && g->t[k].learned)
				g->t[id].learned = 1;
		}
		return 0;
	}
	if (d->compile == NULL)
		return wh_fail(c, node, "whittle runs this operator on constants "
		    "only, and an input is the model's input or computed from "
		    "it%s", "");
	if (d->compile(c, node, wh_in_id(c, node, 0)) != 0)
		return -1;
	/* parameters: the float constants from initializers that ops
	 * read, once each, as they read them (a weight dequantized from
	 * int4 counts as the float tensor it became) */
	for (i = 0; i < n->ninputs; i++) {
		int id = n->inputs[i][0] != '\0' ?
		    tensor_find(c, n->inputs[i]) : -1;

		if (id >= 0 && g->t[id].is_const && g->t[id].learned &&
		    !g->t[id].param && g->t[id].cval->dtype == WH_FLOAT) {
			g->t[id].param = 1;
			g->params += g->t[id].cval->count;
		}
	}
	return 0;
}

static int
graph_input(const struct wh_model *m, const char *name)
{
	size_t i;

	for (i = 0; i < m->ninputs; i++)
		if (strcmp(m->inputs[i].name, name) == 0)
			return 1;
	return 0;
}

/*
 * Sorts the nodes so that each comes after the producers of its inputs:
 * a depth-first walk from each node in file order, placing a node once
 * its producers are placed, so that a sorted file keeps its order.
 * Linear in nodes plus edges.
 */
static int *
topo_sort(struct wh_compiler *c)
{
	const struct wh_model *m = c->m;
	size_t nn = m->nnodes, done = 0, i;
	int *order = xcalloc(nn ? nn : 1, sizeof *order);
	char *state = xcalloc(nn ? nn : 1, 1);	/* 1 on the stack, 2 placed */
	int *stack = xcalloc(nn ? nn : 1, sizeof *stack);
	int *next = xcalloc(nn ? nn : 1, sizeof *next);
	struct wh_map *prod = map_new(nn);
	int k, bad = -1;

	for (i = 0; i < nn; i++)
		for (k = 0; k < m->nodes[i].noutputs; k++)
			if (m->nodes[i].outputs[k][0] != '\0')
				map_put(prod, m->nodes[i].outputs[k], (int)i);
	for (i = 0; i < nn && bad < 0; i++) {
		int sp = 0;

		if (state[i])
			continue;
		stack[sp++] = (int)i;
		state[i] = 1;
		while (sp > 0 && bad < 0) {
			int v = stack[sp - 1];
			const struct wh_node *n = &m->nodes[v];

			if (next[v] < n->ninputs) {
				const char *in = n->inputs[next[v]++];
				int p;

				if (in[0] == '\0')
					continue;
				if ((p = map_get(prod, in)) < 0) {
					/* an initializer or a graph input */
					if (tensor_find(c, in) < 0 &&
					    !graph_input(m, in))
						bad = v;
				} else if (state[p] == 1)
					bad = v;	/* a cycle */
				else if (state[p] == 0) {
					state[p] = 1;
					stack[sp++] = p;
				}
				continue;
			}
			state[v] = 2;
			order[done++] = v;
			sp--;
		}
	}
	map_free(prod);
	free(stack);
	free(next);
	free(state);
	if (bad >= 0) {
		wh_error(c->err, "%s: node %s reads a tensor that nothing "
		    "produces, or the graph has a cycle", m->path,
		    WH_QNAME(m->nodes[bad].name));
		free(order);
		return NULL;
	}
	return order;
}

/* The model's declared type of a graph input, against a bound tensor's. */
static int
dtype_fits(int declared, const struct wh_tensor *t)
{
	if (declared == 0)
		return 1;
	if (t->dtype == WH_FLOAT)
		return declared == 1;	/* float */
	return declared == 7 || declared == 6 || declared == 9;	/* int64,
					 * int32, bool */
}

/* Binds the constants opts gives to graph inputs; 0 or -1. */
static int
bind_consts(struct wh_compiler *c, const struct wh_graph_opts *o)
{
	const struct wh_model *m = c->m;
	char a[160], b[160];
	size_t j, i;
	int k;

	for (j = 0; j < o->nconsts; j++) {
		const struct wh_tensor *t = &o->consts[j];
		const struct wh_value *v = NULL;

		for (i = 0; i < m->ninputs; i++)
			if (strcmp(m->inputs[i].name, t->name) == 0)
				v = &m->inputs[i];
		if (v == NULL)
			return wh_error(c->err, "%s: the graph has no input "
			    "'%s'", m->path, t->name);
		if (v->elem_type != 0 && v->elem_type != 1 &&
		    v->elem_type != 6 && v->elem_type != 7 && v->elem_type != 9)
			return wh_error(c->err, "%s: input '%s' is of ONNX "
			    "type %d; whittle takes float32, int64, int32 and "
			    "bool", m->path, t->name, v->elem_type);
		if (!dtype_fits(v->elem_type, t))
			return wh_error(c->err, "%s: input '%s' is of ONNX "
			    "type %d, given %s", m->path, t->name, v->elem_type,
			    t->dtype == WH_FLOAT ? "float32" : "integers");
		if (v->ndim >= 0) {
			int bad = v->ndim != t->ndim;

			for (k = 0; !bad && k < v->ndim; k++)
				bad = v->dims[k] > 0 && v->dims[k] != t->dims[k];
			if (bad)
				return wh_error(c->err, "%s: input '%s' is "
				    "declared %s, given %s", m->path, t->name,
				    wh_dims_str(v->dims, v->ndim, a, sizeof a),
				    wh_dims_str(t->dims, t->ndim, b, sizeof b));
		}
		wh_const_add(c, t->name, (struct wh_tensor *)t, 0);
	}
	return 0;
}

/*
 * The batched input's full dims (the probe batch first): the declared
 * ones, each symbolic one from opts (which may also restate the others).
 */
static int
input_dims(struct wh_compiler *c, const struct wh_value *in,
    const struct wh_graph_opts *o, int64_t *full)
{
	const struct wh_model *m = c->m;
	char a[160], b[160];
	int i, nd = in->ndim;

	if (o != NULL && o->ndim > 0) {
		if (nd >= 0 && nd != o->ndim + 1)
			return wh_error(c->err, "%s: input '%s' has %d dims, "
			    "given %d after the batch", m->path, in->name, nd,
			    o->ndim);
		nd = o->ndim + 1;
	}
	if (nd < 2)
		return wh_error(c->err, "%s: input '%s' has %d dims, at least "
		    "2 (batch first) are needed", m->path, in->name, nd);
	full[0] = WH_PROBE_N;
	for (i = 1; i < nd; i++) {
		int64_t d = in->ndim >= 0 ? in->dims[i] : -1;

		if (o != NULL && o->ndim > 0) {
			if (d > 0 && d != o->dims[i - 1])
				return wh_error(c->err, "%s: input '%s' is "
				    "declared %s after the batch, given %s",
				    m->path, in->name,
				    wh_dims_str(in->dims + 1, nd - 1, a,
				    sizeof a), wh_dims_str(o->dims, o->ndim,
				    b, sizeof b));
			d = o->dims[i - 1];
		}
		if (d <= 0)
			return wh_error(c->err, "%s: input '%s' has a symbolic "
			    "dim %d; give its size (--input-shape)", m->path,
			    in->name, i);
		full[i] = d;
	}
	return nd;
}

struct wh_graph *
wh_graph_new(const struct wh_model *m, char **err)
{
	return wh_graph_new_opts(m, NULL, err);
}

/* single: 0 batched, 1 one sample at a time, 2 the whole probe batch as
 * one sample */
static struct wh_graph *compile(const struct wh_model *m,
    const struct wh_graph_opts *opts, int single, int *moved, char **err);

/*
 * Compiles batched, and when a node would move the batch axis, again one
 * sample at a time; a failure then reports that compilation's message.
 */
struct wh_graph *
wh_graph_new_opts(const struct wh_model *m, const struct wh_graph_opts *opts,
    char **err)
{
	struct wh_graph *g;
	char *err1 = NULL;
	int moved = 0;

	wh_probe_n = opts != NULL && opts->probe > 0 ? opts->probe :
	    WH_PROBE_DEFAULT;
	g = compile(m, opts, 0, &moved, &err1);
	if (g == NULL && moved) {
		free(err1);
		err1 = NULL;
		if (opts == NULL || !opts->whole)
			wh_probe_n = 1;
		g = compile(m, opts, opts != NULL && opts->whole ? 2 : 1, &moved,
		    &err1);
	}
	wh_probe_n = WH_PROBE_DEFAULT;
	if (g == NULL && err != NULL)
		*err = err1;
	else
		free(err1);
	return g;
}

/* Each activation graph output keeps the batch first: one sample's is
 * (1, ...).  0, or -1 with the message. */
static int
check_single_outputs(struct wh_compiler *c)
{
	const struct wh_model *m = c->m;
	size_t j;
	int k;

	for (j = 0; j < m->noutputs; j++) {
		const struct wh_tinfo *t;

		if ((k = tensor_find(c, m->outputs[j].name)) < 0)
			continue;
		t = &c->g->t[k];
		if (!t->is_const && (t->ndim < 1 || t->dims[0] != 1))
			return wh_error(c->err, "%s: output %s does not keep "
			    "the batch first, which whittle needs of a graph "
			    "that moves the batch axis", m->path,
			    WH_QNAME(t->name));
	}
	return 0;
}

static struct wh_graph *
compile(const struct wh_model *m, const struct wh_graph_opts *opts,
    int single, int *moved, char **err)
{
	struct wh_compiler c = { 0 };
	struct wh_graph *g = xcalloc(1, sizeof *g);
	const struct wh_opdef **defs = NULL;
	const struct wh_value *in;
	int64_t full[WH_MAX_DIMS];
	int *order = NULL, i, k;
	size_t j, edges = 0;

	c.m = m;
	c.g = g;
	c.err = err;
	c.nb = single ? 0 : 1;
	g->model = m;
	g->single = single != 0;
	g->whole = single == 2;
	g->input = g->output = -1;
	for (j = 0; j < m->nnodes; j++)
		edges += (size_t)m->nodes[j].ninputs;
	c.ids = map_new(m->ninits + m->nnodes + 8);
	c.readers = map_new(edges);
	for (j = 0; j < m->nnodes; j++)
		for (k = 0; k < m->nodes[j].ninputs; k++) {
			const char *name = m->nodes[j].inputs[k];

			map_put(c.readers, name, wh_readers(&c, name) + 1);
		}
	defs = xcalloc(m->nnodes ? m->nnodes : 1, sizeof *defs);
	if (check_ops(&c, defs) != 0)
		goto fail;
	for (j = 0; j < m->nnodes; j++)
		if (check_arity(&c, (int)j, defs[j]) != 0)
			goto fail;
	for (j = 0; j < m->ninits; j++) {
		k = wh_const_add(&c, m->inits[j].name, &m->inits[j], 0);
		g->t[k].learned = 1;
	}
	if (opts != NULL && bind_consts(&c, opts) != 0)
		goto fail;
	if (opts == NULL || opts->input >= 0) {
		size_t ix = opts != NULL ? (size_t)opts->input : 0;

		if (m->ninputs <= ix) {
			wh_error(err, "%s: the graph has no input", m->path);
			goto fail;
		}
		in = &m->inputs[ix];
		if ((i = input_dims(&c, in, opts, full)) < 0)
			goto fail;
		if ((g->input = wh_act_add(&c, -1, in->name, i, full, -1)) < 0)
			goto fail;
	}
	if ((order = topo_sort(&c)) == NULL)
		goto fail;
	for (j = 0; j < m->nnodes; j++)
		if (compile_node(&c, order[j], defs[order[j]]) != 0) {
			*moved = c.batch_moved;
			goto fail;
		}
	if (m->noutputs < 1 ||
	    (g->output = tensor_find(&c, m->outputs[0].name)) < 0 ||
	    (g->t[g->output].is_const && opts == NULL)) {
		wh_error(err, "%s: the graph output is missing or constant",
		    m->path);
		goto fail;
	}
	if (single == 1 && check_single_outputs(&c) != 0)
		goto fail;
	{
		char *pinned = xcalloc(g->nt, 1);

		for (j = 0; j < m->noutputs; j++)
			if ((k = tensor_find(&c, m->outputs[j].name)) >= 0)
				pinned[k] = 1;
		wh_graph_fuse(g, pinned);
		free(pinned);
	}
	/* liveness on buffer roots */
	for (k = 0; k < g->nops; k++) {
		const struct wh_op *o = &g->ops[k];

		for (i = 0; i < o->nin; i++)
			if (o->in[i] >= 0)
				g->t[root(g, o->in[i])].last = k;
	}
	g->t[root(g, g->output)].last = g->nops;
	for (j = 1; j < m->noutputs; j++)
		if ((k = tensor_find(&c, m->outputs[j].name)) >= 0)
			g->t[root(g, k)].last = g->nops;
	for (i = 0; i < g->nlayers; i++) {
		if (g->layers[i].rank == 0) {
			g->layers[i].macs_stored = g->layers[i].macs;
			g->layers[i].weight_base = g->layers[i].weight_name;
		}
		if (__builtin_add_overflow(g->macs, g->layers[i].macs_stored,
		    &g->macs)) {
			wh_error(err, "%s: the multiply-accumulates per sample "
			    "overflow", m->path);
			goto fail;
		}
	}
	/* the backends lay out (n, c, h, w) samples; one sample at a time
	 * the reference kernels run */
	if (!single && wh_backends_bind(g, err) != 0)
		goto fail;
	free(order);
	free(defs);
	map_free(c.ids);
	map_free(c.readers);
	return g;
fail:
	free(order);
	free(defs);
	map_free(c.ids);
	map_free(c.readers);
	wh_graph_free(g);
	return NULL;
}

void
wh_graph_free(struct wh_graph *g)
{
	int i;

	if (g == NULL)
		return;
	for (i = 0; i < g->nt; i++) {
		free(g->t[i].name);
		if (g->t[i].cval_owned)
			wh_ctensor_free(g->t[i].cval);
	}
	for (i = 0; i < g->nops; i++) {
		free(g->ops[i].ep_scale);
		free(g->ops[i].ep_shift);
		free(g->ops[i].aff_scale);
		free(g->ops[i].aff_shift);
		free(g->ops[i].dflt_aux);
		if (g->ops[i].priv_free != NULL)
			g->ops[i].priv_free(g->ops[i].priv);
	}
	for (i = 0; i < g->nlayers; i++) {
		free(g->layers[i].name);
		free((void *)g->layers[i].w);
		free((void *)g->layers[i].bias);
		free((void *)g->layers[i].u);
		free((void *)g->layers[i].vt);
		if (g->layers[i].rank > 0)
			free((void *)g->layers[i].weight_base);
	}
	free(g->t);
	free(g->ops);
	free(g->layers);
	free(g);
}

int
wh_graph_nlayers(const struct wh_graph *g)
{
	return g->nlayers;
}

const struct wh_layer *
wh_graph_layer(const struct wh_graph *g, int i)
{
	return i >= 0 && i < g->nlayers ? &g->layers[i] : NULL;
}

int
wh_graph_find_layer(const struct wh_graph *g, const char *name)
{
	int i;

	for (i = 0; i < g->nlayers; i++)
		if (strcmp(g->layers[i].name, name) == 0)
			return i;
	return -1;
}

size_t
wh_graph_input_size(const struct wh_graph *g)
{
	return g->t[g->input].ss;
}

size_t
wh_graph_output_size(const struct wh_graph *g)
{
	return g->t[g->output].ss;
}

/* An activation's dims after the batch: one sample at a time, without
 * the leading 1 of its ONNX dims; for the whole batch, all of them. */
static int
act_dims(const struct wh_graph *g, int id, int64_t *dims)
{
	const struct wh_tinfo *t = &g->t[id];
	int skip = g->single && !g->whole && t->ndim > 0 ? 1 : 0;

	memcpy(dims, t->dims + skip, (t->ndim - skip) * sizeof *dims);
	return t->ndim - skip;
}

int
wh_graph_tensor(const struct wh_graph *g, const char *name, int *is_const,
    const struct wh_tensor **cval, int64_t *dims)
{
	int i;

	for (i = g->nt - 1; i >= 0; i--)
		if (strcmp(g->t[i].name, name) == 0) {
			*is_const = g->t[i].is_const;
			*cval = g->t[i].cval;
			if (g->t[i].is_const)
				return 0;
			return act_dims(g, i, dims);
		}
	return -1;
}

int
wh_graph_input_dims(const struct wh_graph *g, int64_t *dims)
{
	return act_dims(g, g->input, dims);
}

int
wh_graph_single(const struct wh_graph *g)
{
	return g->single;
}

uint64_t
wh_graph_params(const struct wh_graph *g)
{
	return g->params;
}

uint64_t
wh_graph_bytes(const struct wh_graph *g)
{
	return g->params * 4;
}

uint64_t
wh_graph_macs(const struct wh_graph *g)
{
	return g->macs;
}
