/* run.c - running a model on given tensors (whittle run, the conformance
 * tests), and the NPY and TensorProto files they come in */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph-int.h"
#include "whittle/run.h"
#include "whittle/util.h"

#define NPY_MAX_BYTES ((size_t)4 << 30)

static const unsigned char magic[6] = { 0x93, 'N', 'U', 'M', 'P', 'Y' };

/* The NPY type descriptors read, with their ONNX types and sizes. */
static const struct {
	const char *descr;
	int elem_type, size;
} npy_types[] = {
	{ "<f4", 1, 4 }, { "<f8", 11, 8 }, { "<i8", 7, 8 }, { "<i4", 6, 4 },
	{ "<i2", 5, 2 }, { "|i1", 3, 1 }, { "|u1", 2, 1 }, { "|b1", 9, 1 },
};

/* The value of key in the header dict: a pointer just past "'key':". */
static const char *
npy_key(const char *h, const char *key)
{
	char pat[32];
	const char *p;

	snprintf(pat, sizeof pat, "'%s':", key);
	if ((p = strstr(h, pat)) == NULL)
		return NULL;
	p += strlen(pat);
	while (*p == ' ')
		p++;
	return p;
}

int
wh_npy_read(const char *path, struct wh_tensor *t, char **err)
{
	unsigned char *buf;
	const unsigned char *p;
	const char *v;
	char *h = NULL;
	size_t len, hlen, off, need, k;
	int ty = -1, i;

	memset(t, 0, sizeof *t);
	if (wh_read_file(path, 0, NPY_MAX_BYTES, &buf, &len, err) != 0)
		return -1;
	if (len < 10 || memcmp(buf, magic, 6) != 0) {
		wh_error(err, "%s: not an NPY file", path);
		goto fail;
	}
	if (buf[6] == 1) {
		hlen = buf[8] | (size_t)buf[9] << 8;
		off = 10;
	} else if ((buf[6] == 2 || buf[6] == 3) && len >= 12) {
		hlen = buf[8] | (size_t)buf[9] << 8 | (size_t)buf[10] << 16 |
		    (size_t)buf[11] << 24;
		off = 12;
	} else {
		wh_error(err, "%s: NPY version %d is not supported", path,
		    buf[6]);
		goto fail;
	}
	if (hlen > len - off) {
		wh_error(err, "%s: the NPY header runs past the end", path);
		goto fail;
	}
	h = xstrndup((const char *)buf + off, hlen);
	off += hlen;
	if ((v = npy_key(h, "descr")) == NULL || *v != '\'') {
		wh_error(err, "%s: the NPY header has no 'descr'", path);
		goto fail;
	}
	for (k = 0; k < sizeof npy_types / sizeof npy_types[0]; k++)
		if (strncmp(v + 1, npy_types[k].descr, 3) == 0 && v[4] == '\'')
			ty = (int)k;
	if (ty < 0) {
		wh_error(err, "%s: NPY type %.8s is not supported (float32, "
		    "float64, int64, int32, int16, int8, uint8, bool are)",
		    path, v);
		goto fail;
	}
	if ((v = npy_key(h, "fortran_order")) == NULL ||
	    strncmp(v, "False", 5) != 0) {
		wh_error(err, "%s: only C-order NPY arrays are supported", path);
		goto fail;
	}
	if ((v = npy_key(h, "shape")) == NULL || *v++ != '(') {
		wh_error(err, "%s: the NPY header has no 'shape'", path);
		goto fail;
	}
	for (;;) {
		char *end;
		long long d;

		while (*v == ' ' || *v == ',')
			v++;
		if (*v == ')')
			break;
		d = strtoll(v, &end, 10);
		if (end == v || d < 0 || t->ndim == WH_MAX_DIMS) {
			wh_error(err, "%s: bad NPY shape (at most %d dims)",
			    path, WH_MAX_DIMS);
			goto fail;
		}
		t->dims[t->ndim++] = d;
		v = end;
	}
	if (wh_tensor_count(t->dims, t->ndim, &t->count) != 0 ||
	    wh_mul_size(t->count, (size_t)npy_types[ty].size, &need) != 0 ||
	    need != len - off) {
		wh_error(err, "%s: the NPY data holds %zu bytes, its shape "
		    "needs another size", path, len - off);
		goto fail;
	}
	t->name = xstrdup("");
	t->elem_type = npy_types[ty].elem_type;
	p = buf + off;
	if (t->elem_type == 1 || t->elem_type == 11) {
		t->dtype = WH_FLOAT;
		t->f = xreallocarray(NULL, t->count ? t->count : 1, sizeof *t->f);
		for (k = 0; k < t->count; k++) {
			if (t->elem_type == 1)
				memcpy(&t->f[k], p + 4 * k, 4);
			else {
				double d;

				memcpy(&d, p + 8 * k, 8);
				t->f[k] = (float)d;
			}
		}
	} else {
		t->dtype = WH_INT64;
		t->i = xreallocarray(NULL, t->count ? t->count : 1, sizeof *t->i);
		for (k = 0; k < t->count; k++) {
			int64_t x = 0;
			int32_t x32;
			int16_t x16;

			switch (npy_types[ty].size) {
			case 8: memcpy(&x, p + 8 * k, 8); break;
			case 4: memcpy(&x32, p + 4 * k, 4); x = x32; break;
			case 2: memcpy(&x16, p + 2 * k, 2); x = x16; break;
			default:
				x = t->elem_type == 3 ? (int8_t)p[k] : p[k];
				if (t->elem_type == 9)
					x = x != 0;
			}
			t->i[k] = x;
		}
	}
	free(h);
	free(buf);
	return 0;
fail:
	i = -1;
	free(h);
	free(buf);
	wh_tensor_release(t);
	return i;
}

int
wh_tensor_read(const char *path, struct wh_tensor *t, char **err)
{
	unsigned char head[6] = { 0 };
	FILE *f;
	size_t len;

	memset(t, 0, sizeof *t);
	if ((f = fopen(path, "rb")) == NULL)
		return wh_error(err, "%s: %s", path, strerror(errno));
	len = fread(head, 1, sizeof head, f);
	fclose(f);
	if (len == sizeof head && memcmp(head, magic, sizeof head) == 0)
		return wh_npy_read(path, t, err);
	return wh_tensor_load_pb(path, t, err);
}

int
wh_npy_write(const char *path, const struct wh_tensor *t, int elem_type,
    char **err)
{
	const char *descr;
	char head[256], shape[200];
	unsigned char *buf, *p;
	size_t hl, esize, total, k, n = 0;
	int i, rc;

	if (elem_type == 0)
		elem_type = t->dtype == WH_FLOAT ? 1 : 7;
	switch (elem_type) {
	case 7: descr = "<i8"; esize = 8; break;
	case 6: descr = "<i4"; esize = 4; break;
	case 9: descr = "|b1"; esize = 1; break;
	default: descr = "<f4"; esize = 4; elem_type = 1; break;
	}
	shape[0] = '\0';
	for (i = 0; i < t->ndim; i++)
		n += snprintf(shape + n, sizeof shape - n, "%lld,%s",
		    (long long)t->dims[i], i + 1 < t->ndim ? " " : "");
	if (t->ndim > 1)
		shape[n - 1] = '\0';	/* (a, b) but (a,) */
	hl = (size_t)snprintf(head, sizeof head, "{'descr': '%s', "
	    "'fortran_order': False, 'shape': (%s), }", descr, shape);
	/* magic, version, length, header and '\n' padded to 64 */
	while ((10 + hl + 1) % 64 != 0)
		head[hl++] = ' ';
	head[hl++] = '\n';
	total = 10 + hl + t->count * esize;
	p = buf = xmalloc(total);
	memcpy(p, magic, 6);
	p[6] = 1;
	p[7] = 0;
	p[8] = hl & 0xff;
	p[9] = (unsigned char)(hl >> 8);
	memcpy(p + 10, head, hl);
	p += 10 + hl;
	for (k = 0; k < t->count; k++) {
		double v = t->dtype == WH_FLOAT ? t->f[k] : (double)t->i[k];
		int64_t x = t->dtype == WH_FLOAT ? (int64_t)llround(v) : t->i[k];
		float f = (float)v;
		int32_t x32 = (int32_t)x;

		switch (elem_type) {
		case 7: memcpy(p + 8 * k, &x, 8); break;
		case 6: memcpy(p + 4 * k, &x32, 4); break;
		case 9: p[k] = v != 0; break;
		default: memcpy(p + 4 * k, &f, 4); break;
		}
	}
	rc = wh_write_atomic(path, buf, total, err);
	free(buf);
	return rc;
}

static int
troot(const struct wh_graph *g, int t)
{
	return g->t[t].alias >= 0 ? g->t[t].alias : t;
}

int
wh_graph_run(const struct wh_graph *g, const float *in, size_t n,
    struct wh_tensor *outs, char **err)
{
	const struct wh_model *m = g->model;
	float **buf = xcalloc(g->nt ? g->nt : 1, sizeof *buf);
	float *scratch = NULL;
	size_t ns = 0, j, sz;
	int t, q, rc = -1;

	for (j = 0; j < m->noutputs; j++)
		memset(&outs[j], 0, sizeof outs[j]);
	for (t = 0; t < g->nt; t++) {
		if (g->t[t].is_const || g->t[t].alias >= 0 || g->t[t].prod == -2)
			continue;
		if (wh_mul_size(g->t[t].ss, n ? n : 1, &sz) != 0 ||
		    wh_mul_size(sz, sizeof(float), &sz) != 0) {
			wh_error(err, "%s: the activations for %zu samples are "
			    "too large", m->path, n);
			goto done;
		}
		buf[t] = xcalloc(sz ? sz : 1, 1);
	}
	for (t = 0; t < g->nt; t++)
		if (g->t[t].alias >= 0)
			buf[t] = buf[troot(g, t)];
	if (g->input >= 0)
		memcpy(buf[g->input], in, g->t[g->input].ss * n * sizeof(float));
	for (q = 0; q < g->nops; q++) {
		sz = wh_op_scratch(g, &g->ops[q], NULL, n);
		if (sz > ns)
			ns = sz;
	}
	scratch = xcalloc(ns ? ns : 1, sizeof *scratch);
	for (q = 0; q < g->nops; q++) {
		wh_op_run(g, &g->ops[q], NULL, NULL, buf, n, scratch);
		q += wh_op_fused(g, &g->ops[q], NULL);
	}
	for (j = 0; j < m->noutputs; j++) {
		struct wh_tensor *o = &outs[j];
		const struct wh_tensor *cv;
		int64_t dims[WH_MAX_DIMS];
		int isc, nd;

		nd = wh_graph_tensor(g, m->outputs[j].name, &isc, &cv, dims);
		if (nd < 0) {
			wh_error(err, "%s: the graph output %s is not computed",
			    m->path, WH_QNAME(m->outputs[j].name));
			goto done;
		}
		if (isc) {
			wh_tensor_copy(o, cv);
		} else {
			for (t = g->nt - 1; strcmp(g->t[t].name,
			    m->outputs[j].name) != 0; t--)
				;
			o->name = xstrdup(m->outputs[j].name);
			o->dtype = WH_FLOAT;
			/* the whole batch as one sample: its ONNX dims */
			o->ndim = nd + !g->whole;
			o->dims[0] = (int64_t)n;
			memcpy(o->dims + !g->whole, dims, nd * sizeof *dims);
			o->count = g->t[t].ss * n;
			o->f = xreallocarray(NULL, o->count ? o->count : 1,
			    sizeof *o->f);
			memcpy(o->f, buf[troot(g, t)], o->count * sizeof *o->f);
		}
		o->elem_type = m->outputs[j].elem_type;
	}
	rc = 0;
done:
	for (t = 0; t < g->nt; t++)
		if (!g->t[t].is_const && g->t[t].alias < 0)
			free(buf[t]);
	free(buf);
	free(scratch);
	if (rc != 0)
		for (j = 0; j < m->noutputs; j++)
			wh_tensor_release(&outs[j]);
	return rc;
}

int
wh_run(const struct wh_model *m, const struct wh_tensor *in,
    struct wh_tensor *outs, const char **how, char **err)
{
	struct wh_tensor *named = xcalloc(m->ninputs ? m->ninputs : 1,
	    sizeof *named);
	struct wh_graph_opts o = { -1, 0, { 0 }, named, m->ninputs, 0, 1 };
	struct wh_graph *g = NULL;
	char *err1 = NULL;
	size_t j;
	int rc = -1;

	/* borrowed views under the graph's names */
	for (j = 0; j < m->ninputs; j++) {
		named[j] = in[j];
		named[j].name = m->inputs[j].name;
	}
	for (j = 0; j < m->ninputs; j++)
		if (in[j].dtype == WH_FLOAT && in[j].ndim >= 2 &&
		    in[j].dims[0] > 0)
			break;
	if (j < m->ninputs) {
		struct wh_tensor x = named[j];
		struct wh_graph *g2;

		o.input = (int)j;
		o.ndim = x.ndim - 1;
		memcpy(o.dims, x.dims + 1, o.ndim * sizeof *o.dims);
		named[j] = named[m->ninputs - 1];	/* not a constant */
		o.nconsts = m->ninputs - 1;
		/*
		 * Shapes inferred with the real batch make Shape of the input
		 * right; the graph must compile with another batch as well,
		 * or a constant's first dim lined up with the batch only by
		 * chance (x: (3, 4) + y: (3, 4)), and batching would be wrong.
		 */
		o.probe = (int)x.dims[0];
		if (x.dims[0] < 1 << 20 &&
		    (g = wh_graph_new_opts(m, &o, &err1)) != NULL &&
		    !wh_graph_single(g)) {
			o.probe = (int)x.dims[0] + 1;
			g2 = wh_graph_new_opts(m, &o, &err1);
			if (g2 == NULL) {
				wh_graph_free(g);
				g = NULL;
			}
			wh_graph_free(g2);
		}
		named[j] = x;
		if (g != NULL) {
			/* a graph that moves the batch: for this batch, as
			 * one sample */
			rc = wh_graph_run(g, x.f, wh_graph_single(g) ? 1 :
			    (size_t)x.dims[0], outs, err);
			if (how != NULL)
				*how = wh_graph_single(g) ? "the batch as one" :
				    "batched";
			goto done;
		}
	}
	o.input = -1;
	o.ndim = 0;
	o.probe = 0;
	o.nconsts = m->ninputs;
	if ((g = wh_graph_new_opts(m, &o, err1 != NULL ? NULL : err)) == NULL) {
		if (err1 != NULL && err != NULL) {
			free(*err);
			*err = err1;
			err1 = NULL;
		}
		goto done;
	}
	rc = wh_graph_run(g, NULL, 0, outs, err);
	if (how != NULL)
		*how = "folded";
done:
	wh_graph_free(g);
	free(err1);
	free(named);
	return rc;
}
