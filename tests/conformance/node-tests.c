/*
 * node-tests.c - ONNX's backend node tests (Debian's libonnx-testdata)
 * for every operator in whittle's registry, run through wh_run (what
 * `whittle run` runs) and compared with ONNX's tolerances
 *
 * A test belongs to an operator when its model is that one node (beside
 * Constant nodes), or, for the tests written out in several nodes (the
 * "_expanded" ones), when its name starts with the operator's.  Each test
 * data set is one TAP line:
 *   ok        the outputs match: |got - want| <= atol + rtol |want|, with
 *             rtol 1e-3, atol 1e-7, as ONNX's backend tests compare;
 *   ok # SKIP whittle refuses the model or an input with a clear message
 *             (a data type or an opset it does not run, an operator that
 *             works across the first axis, which whittle batches), the
 *             reason being that message;
 *   not ok    the outputs differ, unless the test is listed in
 *             known-failures (then # TODO with the reason given there).
 * With --table FILE it also writes the table per operator (Markdown) that
 * README.md's "Conformance" section holds.
 *
 * usage: node-tests [--table FILE] [DIR]   (DIR: the node tests' folder)
 */
#include <ctype.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "op.h"
#include "whittle/run.h"
#include "whittle/util.h"

#define DEFAULT_DIR "/usr/share/libonnx-testdata/data/node"
#define RTOL 1e-3
#define ATOL 1e-7

struct known {
	char *test, *reason;
};

struct row {
	const char *op;
	int total, passed, skipped, failed, todo;
};

static struct known *known;
static size_t nknown;
static int tapn;

static int
cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Lower case letters and digits only: "ReduceMean", "reduce_mean" ->
 * "reducemean". */
static void
squash(const char *s, char *out, size_t size)
{
	size_t n = 0;

	for (; *s && n + 1 < size; s++)
		if (isalnum((unsigned char)*s))
			out[n++] = (char)tolower((unsigned char)*s);
	out[n] = '\0';
}

static void
load_known(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[1024];

	if (f == NULL)
		return;
	while (fgets(line, sizeof line, f) != NULL) {
		char *p = line, *e;

		line[strcspn(line, "\n")] = '\0';
		if (*p == '#' || *p == '\0')
			continue;
		e = p + strcspn(p, " \t");
		if (*e == '\0')
			continue;
		*e++ = '\0';
		while (*e == ' ' || *e == '\t')
			e++;
		known = xreallocarray(known, nknown + 1, sizeof *known);
		known[nknown].test = xstrdup(p);
		known[nknown].reason = xstrdup(e);
		nknown++;
	}
	fclose(f);
}

static const char *
known_reason(const char *test)
{
	size_t i;

	for (i = 0; i < nknown; i++)
		if (strcmp(known[i].test, test) == 0)
			return known[i].reason;
	return NULL;
}

/* A message without its leading "PATH: " and on one line. */
static const char *
short_msg(char *msg, const char *dir)
{
	char *p = msg, *q;
	size_t dl = strlen(dir);

	if (strncmp(p, dir, dl) == 0) {
		p += dl;
		p += strcspn(p, ":");
		if (*p == ':')
			p++;
		while (*p == ' ')
			p++;
	}
	for (q = p; *q; q++)
		if (*q == '\n' || *q == '#')
			*q = ' ';
	return p;
}

/* The registry's operator the test belongs to, or NULL. */
static const char *
test_op(const char *test, const struct wh_model *m,
    const struct wh_opdef *const *tab, size_t ntab)
{
	char name[256], op[64];
	const char *best = NULL, *single = NULL;
	size_t i, bl = 0, nodes = 0;

	if (m != NULL) {
		for (i = 0; i < m->nnodes; i++)
			if (strcmp(m->nodes[i].op, "Constant") != 0) {
				single = m->nodes[i].op;
				nodes++;
			}
		if (nodes == 1) {
			for (i = 0; i < ntab; i++)
				if (strcmp(tab[i]->name, single) == 0)
					return tab[i]->name;
			return NULL;
		}
	}
	squash(test + 5, name, sizeof name);	/* after "test_" */
	for (i = 0; i < ntab; i++) {
		size_t l;

		squash(tab[i]->name, op, sizeof op);
		l = strlen(op);
		if (l > bl && strncmp(name, op, l) == 0) {
			best = tab[i]->name;
			bl = l;
		}
	}
	return best;
}

/* Compares got with want; 0 when they match, else a reason in buf. */
static int
compare(const struct wh_tensor *got, const struct wh_tensor *want, char *buf,
    size_t size)
{
	char a[160], b[160];
	size_t k;
	int i, same = got->ndim == want->ndim;

	for (i = 0; same && i < got->ndim; i++)
		same = got->dims[i] == want->dims[i];
	if (!same) {
		snprintf(buf, size, "output '%s' is %s, ONNX's %s", want->name,
		    wh_dims_str(got->dims, got->ndim, a, sizeof a),
		    wh_dims_str(want->dims, want->ndim, b, sizeof b));
		return -1;
	}
	for (k = 0; k < want->count; k++) {
		double g = got->dtype == WH_FLOAT ? got->f[k] : (double)got->i[k];
		double w = want->dtype == WH_FLOAT ? want->f[k] :
		    (double)want->i[k];

		if (isnan(w) && isnan(g))
			continue;
		if (isinf(w) && g == w)
			continue;
		if (!(fabs(g - w) <= ATOL + RTOL * fabs(w))) {
			snprintf(buf, size, "output '%s'[%zu] is %.9g, ONNX's "
			    "%.9g", want->name, k, g, w);
			return -1;
		}
	}
	return 0;
}

/* Runs one test data set: 1 passed, 0 skipped (reason in buf), -1 failed
 * (reason in buf). */
static int
run_set(const struct wh_model *m, const char *set, const char *dir,
    char *buf, size_t size)
{
	struct wh_tensor *in = xcalloc(m->ninputs + 1, sizeof *in);
	struct wh_tensor *out = xcalloc(m->noutputs + 1, sizeof *out);
	struct wh_tensor want;
	char *err = NULL, *path;
	size_t i, nin = 0;
	int rc = 0, ran = 0;

	for (i = 0; i < m->ninputs; i++) {
		struct stat st;

		path = xasprintf("%s/input_%zu.pb", set, i);
		if (stat(path, &st) != 0) {
			snprintf(buf, size, "input %zu ('%s') is not in the test "
			    "data", i, m->inputs[i].name);
			free(path);
			goto done;
		}
		if (wh_tensor_load_pb(path, &in[i], &err) != 0) {
			snprintf(buf, size, "input %zu: %s", i,
			    short_msg(err, dir));
			free(path);
			goto done;
		}
		nin++;
		free(path);
	}
	if (wh_run(m, in, out, NULL, &err) != 0) {
		snprintf(buf, size, "%s", short_msg(err, dir));
		goto done;
	}
	ran = 1;
	rc = 1;
	for (i = 0; i < m->noutputs && rc == 1; i++) {
		path = xasprintf("%s/output_%zu.pb", set, i);
		if (wh_tensor_load_pb(path, &want, &err) != 0) {
			snprintf(buf, size, "output %zu: %s", i,
			    short_msg(err, dir));
			rc = 0;
		} else {
			free(want.name);
			want.name = xstrdup(m->outputs[i].name);
			if (compare(&out[i], &want, buf, size) != 0)
				rc = -1;
			wh_tensor_release(&want);
		}
		free(path);
	}
done:
	free(err);
	for (i = 0; i < nin; i++)
		wh_tensor_release(&in[i]);
	for (i = 0; ran && i < m->noutputs; i++)
		wh_tensor_release(&out[i]);
	free(in);
	free(out);
	return rc;
}

static void
tap(int rc, const char *test, const char *reason, struct row *r)
{
	const char *todo = known_reason(test);

	tapn++;
	r->total++;
	if (rc == 1) {
		printf("ok %d - %s\n", tapn, test);
		r->passed++;
	} else if (rc == 0) {
		printf("ok %d - %s # SKIP %s\n", tapn, test, reason);
		r->skipped++;
	} else if (todo != NULL) {
		printf("not ok %d - %s: %s # TODO %s\n", tapn, test, reason,
		    todo);
		r->todo++;
	} else {
		printf("not ok %d - %s: %s\n", tapn, test, reason);
		r->failed++;
	}
}

int
main(int argc, char **argv)
{
	const char *dir = DEFAULT_DIR, *table = NULL, *srcdir;
	const struct wh_opdef *const *tab;
	struct row *rows;
	char **names = NULL, **notes = NULL;
	size_t ntab, nnames = 0, nnotes = 0, i, j, other = 0;
	struct dirent *de;
	DIR *d;
	FILE *tf = NULL;
	int a, failed = 0;

	for (a = 1; a < argc; a++)
		if (strcmp(argv[a], "--table") == 0 && a + 1 < argc)
			table = argv[++a];
		else
			dir = argv[a];
	srcdir = getenv("srcdir");
	{
		char *kp = xasprintf("%s/tests/conformance/known-failures",
		    srcdir ? srcdir : ".");

		load_known(kp);
		free(kp);
	}
	if ((d = opendir(dir)) == NULL) {
		printf("1..0 # SKIP ONNX's node tests are not installed (%s; "
		    "Debian's libonnx-testdata)\n", dir);
		return 0;
	}
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, "test_", 5) == 0) {
			names = xreallocarray(names, nnames + 1, sizeof *names);
			names[nnames++] = xstrdup(de->d_name);
		}
	closedir(d);
	qsort(names, nnames, sizeof *names, cmpstr);
	tab = wh_op_table(&ntab);
	rows = xcalloc(ntab, sizeof *rows);
	for (i = 0; i < nnames; i++) {
		char *mpath = xasprintf("%s/%s/model.onnx", dir, names[i]);
		char *err = NULL, reason[512];
		struct wh_model *m = wh_model_load(mpath, &err);
		const char *op = test_op(names[i], m, tab, ntab);
		struct row *r;
		int set, any = 0;

		free(mpath);
		if (op == NULL) {
			other++;
			free(err);
			wh_model_free(m);
			continue;
		}
		for (j = 0; j < ntab && strcmp(tab[j]->name, op) != 0; j++)
			;
		r = &rows[j];
		r->op = op;
		if (m == NULL) {
			snprintf(reason, sizeof reason, "%s", short_msg(err, dir));
			tap(0, names[i], reason, r);
			notes = xreallocarray(notes, nnotes + 1, sizeof *notes);
			notes[nnotes++] = xasprintf("| %s | %s | skipped: %s |",
			    op, names[i], reason);
			free(err);
			continue;
		}
		for (set = 0;; set++) {
			char *sp = xasprintf("%s/%s/test_data_set_%d", dir,
			    names[i], set), *label;
			struct stat st;
			int rc;

			if (stat(sp, &st) != 0) {
				free(sp);
				break;
			}
			any = 1;
			label = set == 0 ? xstrdup(names[i]) :
			    xasprintf("%s/%d", names[i], set);
			rc = run_set(m, sp, dir, reason, sizeof reason);
			tap(rc, label, reason, r);
			if (rc < 0 && known_reason(label) == NULL)
				failed = 1;
			if (rc != 1) {
				notes = xreallocarray(notes, nnotes + 1,
				    sizeof *notes);
				notes[nnotes++] = xasprintf("| %s | %s | %s: %s |",
				    op, label, rc == 0 ? "skipped" :
				    known_reason(label) ? "known failure" :
				    "FAILED", rc < 0 && known_reason(label) ?
				    known_reason(label) : reason);
			}
			free(label);
			free(sp);
		}
		if (!any) {
			snprintf(reason, sizeof reason, "no test data set");
			tap(0, names[i], reason, r);
		}
		wh_model_free(m);
	}
	printf("1..%d\n", tapn);
	if (table != NULL && (tf = fopen(table, "w")) == NULL) {
		fprintf(stderr, "node-tests: %s: cannot write\n", table);
		return 1;
	}
	for (a = 0; a < 2; a++) {
		FILE *f = a == 0 ? stdout : tf;
		const char *pre = a == 0 ? "# " : "";
		int tot = 0, pass = 0, skip = 0;

		if (f == NULL)
			continue;
		fprintf(f, "%s| operator | passed | skipped | failed | tests |\n"
		    "%s|---|---:|---:|---:|---:|\n", pre, pre);
		for (j = 0; j < ntab; j++) {
			const struct row *r = &rows[j];

			if (r->op == NULL)
				continue;
			fprintf(f, "%s| %s | %d | %d | %d | %d |\n", pre, r->op,
			    r->passed, r->skipped, r->failed + r->todo,
			    r->total);
			tot += r->total;
			pass += r->passed;
			skip += r->skipped;
		}
		for (j = 0; j < ntab; j++) {
			size_t k;

			if (rows[j].op != NULL ||
			    (j > 0 && strcmp(tab[j - 1]->name, tab[j]->name) == 0))
				continue;
			for (k = 0; k < ntab; k++)
				if (rows[k].op != NULL &&
				    strcmp(rows[k].op, tab[j]->name) == 0)
					break;
			if (k == ntab)
				fprintf(f, "%s| %s | - | - | - | 0 (ONNX has no node "
				    "test) |\n", pre, tab[j]->name);
		}
		fprintf(f, "%s\n%s%d of %d test data sets pass, %d are skipped "
		    "with the reason below; %zu tests of operators whittle "
		    "does not run are not counted.\n", pre, pre, pass, tot,
		    skip, other);
		if (nnotes > 0)
			fprintf(f, "%s\n%s| operator | test | reason |\n"
			    "%s|---|---|---|\n", pre, pre, pre);
		for (i = 0; i < nnotes; i++)
			fprintf(f, "%s%s\n", pre, notes[i]);
	}
	for (i = 0; i < nnames; i++)
		free(names[i]);
	free(names);
	for (i = 0; i < nnotes; i++)
		free(notes[i]);
	free(notes);
	free(rows);
	if (tf != NULL && fclose(tf) != 0)
		return 1;
	return failed;
}
