/* ui.c - what the keys do: selection, edits, undo, plans, export, and
 * adopting the worker's messages.  Draws nothing itself. */
#include <curses.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crt.h"
#include "keys.h"
#include "tui.h"
#include "whittle/export.h"
#include "whittle/plan.h"
#include "whittle/stats.h"
#include "whittle/util.h"

/* Evaluated configurations kept for the history pane. */
#define TUI_HISTORY_MAX 1000

void
tui_message(struct tui *t, int bad, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(t->msg, sizeof t->msg, fmt, ap);
	va_end(ap);
	t->msg_bad = bad;
}

static int
all_equal(const struct wh_layer_cfg *a, const struct wh_layer_cfg *b, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (!wh_layer_cfg_equal(&a[i], &b[i]))
			return 0;
	return 1;
}

static int
cfg_off(const struct wh_layer_cfg *c)
{
	int col;

	for (col = 0; col < TUI_NCOLS; col++)
		if (tui_col_on(c, col))
			return 0;
	return 1;
}

int
tui_dirty(const struct tui *t)
{
	return !all_equal(t->cfg, t->saved, t->n);
}

const struct tui_linfo *
tui_info(const struct tui *t, int i)
{
	const struct tui_linfo *f = t->L[i].info;

	if (cfg_off(&t->cfg[i]) || f == NULL ||
	    !wh_layer_cfg_equal(&f->cfg, &t->cfg[i]))
		return NULL;
	return f;
}

void
tui_lctx(const struct tui *t, int i, struct tui_lctx *x)
{
	const struct tui_linfo *f = tui_info(t, i);

	x->l = t->L[i].l;
	x->std = t->L[i].std;
	x->sv = t->L[i].sv;
	x->nsv = t->L[i].nsv;
	x->rank = f != NULL ? f->rank : 0;
}

void
tui_totals(const struct tui *t, struct wh_totals *tot, int *pending)
{
	uint64_t lorig = 0, lnow = 0;
	int i;

	/* as wh_state_totals counts, from the layers' reports */
	memset(tot, 0, sizeof *tot);
	*pending = 0;
	tot->params = wh_graph_params(t->g);
	tot->orig_bytes = wh_graph_bytes(t->g);
	for (i = 0; i < t->n; i++) {
		const struct tui_linfo *f = tui_info(t, i);
		const struct wh_cost *c = &t->L[i].orig;

		if (f != NULL)
			c = &f->cost;
		else if (!cfg_off(&t->cfg[i]))
			*pending = 1;
		lorig += t->L[i].orig.bytes;
		lnow += c->bytes;
		tot->macs += c->macs;
		tot->macs_sparse += c->macs_sparse;
	}
	tot->bytes = tot->orig_bytes - lorig + lnow;
	tot->ratio = tot->bytes ? (double)tot->orig_bytes / (double)tot->bytes : 0;
}

/* ---- start and end ---------------------------------------------------- */

static char *
default_name(const char *model, const char *suffix)
{
	const char *base = strrchr(model, '/');
	size_t len;

	base = base != NULL ? base + 1 : model;
	len = strlen(base);
	if (len > 5 && strcmp(base + len - 5, ".onnx") == 0)
		len -= 5;
	return xasprintf("%.*s%s", (int)len, base, suffix);
}

static void history_add(struct tui *t, struct tui_result *r);
static void changed(struct tui *t);
static void start_search(struct tui *t, const char *text);

void
tui_init_state(struct tui *t, const struct tui_opts *o)
{
	int i;

	memset(t, 0, sizeof *t);
	t->o = o;
	t->g = o->graph;
	t->n = wh_graph_nlayers(t->g);
	t->L = xcalloc(t->n ? (size_t)t->n : 1, sizeof *t->L);
	t->cfg = xcalloc(t->n ? (size_t)t->n : 1, sizeof *t->cfg);
	t->saved = xcalloc(t->n ? (size_t)t->n : 1, sizeof *t->saved);
	for (i = 0; i < t->n; i++) {
		struct tui_layer *L = &t->L[i];
		const struct wh_layer *l = wh_graph_layer(t->g, i);
		struct wh_wstats st;
		size_t n = (size_t)(l->out * l->in);

		L->l = l;
		wh_wstats_compute(l->w, n, &st);
		L->std = st.std;
		tui_hist_range(l->w, n, &L->lo, &L->hi);
		wh_histogram(l->w, n, L->lo, L->hi, TUI_NBINS, L->hist);
		tui_prefs_init(&L->prefs);
		wh_cost_layer_orig(l, &L->orig);
		wh_dims_str(l->wdims, l->wndim, L->shape, sizeof L->shape);
		if (l->rank > 0) {
			/* stored as two factors, as inspect shows it */
			size_t len = strlen(L->shape);

			snprintf(L->shape + len, sizeof L->shape - len,
			    " r%d%s", l->rank, l->spatial ? "s" : "");
		}
		wh_layer_cfg_init(&t->cfg[i]);
		t->saved[i] = t->cfg[i];
	}
	tui_undo_init(&t->undo, t->n, t->cfg);
	t->hsel = -1;
	if (o->settings != NULL)
		wh_sens_table_init(&t->st, t->g, o->settings, o->nsettings);
	t->locked = xcalloc(t->n ? (size_t)t->n : 1, 1);
	t->default_plan = o->plan_path != NULL ? xstrdup(o->plan_path) :
	    default_name(o->model_path, ".plan.json");
}

void
tui_open_initial(struct tui *t)
{
	const struct tui_opts *o = t->o;

	if (o->plan_cfg == NULL)
		return;
	memcpy(t->cfg, o->plan_cfg, (size_t)t->n * sizeof *t->cfg);
	memcpy(t->saved, t->cfg, (size_t)t->n * sizeof *t->cfg);
	tui_undo_push(&t->undo, t->cfg, "open the plan");
	changed(t);
	if (o->plan_warn != NULL)
		tui_message(t, 1, "%s", o->plan_warn);
	else
		tui_message(t, 0, "opened %s", o->plan_path);
}

void
tui_release_state(struct tui *t)
{
	int i;

	for (i = 0; i < t->n; i++) {
		free(t->L[i].info);
		free(t->L[i].sv);
		free(t->L[i].sv_sp);
		free(t->L[i].sv_err);
	}
	for (i = 0; i < t->nhist; i++)
		free(t->hist[i].res.cfg);
	free(t->hist);
	free(t->L);
	free(t->cfg);
	free(t->saved);
	free(t->default_plan);
	free(t->spoints);
	free(t->locked);
	if (t->st.nlayers > 0 || t->st.nsettings > 0)
		wh_sens_table_release(&t->st);
	tui_undo_release(&t->undo);
	memset(t, 0, sizeof *t);
}

/* ---- changes ---------------------------------------------------------- */

/* The settings changed: a new generation for the worker. */
static void
changed(struct tui *t)
{
	int i;

	t->gen++;
	t->cur_fresh = 0;
	t->cur_remembered = 0;
	t->prog.on = 0;
	t->eval_err[0] = '\0';
	t->quit_armed = 0;
	/* settings evaluated before are known at once, and not evaluated
	 * again: the worker only applies them (for the layers' reports) */
	for (i = 0; i < t->nhist; i++)
		if (all_equal(t->hist[i].res.cfg, t->cfg, t->n)) {
			t->cur = t->hist[i].res;
			t->cur.cfg = NULL;
			t->have_cur = 1;
			t->cur_fresh = 1;
			t->cur_remembered = 1;
			break;
		}
	tui_worker_post(t->w, t->gen, t->cfg, !t->cur_fresh);
	/* the user's evaluation first: the sensitivity thread waits */
	if (t->sens != NULL && !t->cur_fresh)
		tui_sens_pause(t->sens, 1);
}

/*
 * Makes cfg: (n) the settings as one undoable change.  Each changed
 * layer's settings are checked first; nothing changes on a problem.
 */
static int
commit(struct tui *t, const struct wh_layer_cfg *cfg, const char *label)
{
	char *err = NULL;
	int i;

	if (all_equal(cfg, t->cfg, t->n)) {
		if (t->msg[0] == '\0')
			tui_message(t, 0, "no change");
		return -1;
	}
	for (i = 0; i < t->n; i++)
		if (!wh_layer_cfg_equal(&cfg[i], &t->cfg[i]) &&
		    wh_layer_cfg_check(&cfg[i], t->L[i].l, &err) != 0) {
			tui_message(t, 1, "%s", err);
			free(err);
			return -1;
		}
	memcpy(t->cfg, cfg, (size_t)t->n * sizeof *t->cfg);
	tui_undo_push(&t->undo, t->cfg, label);
	changed(t);
	return 0;
}

static struct wh_layer_cfg *
cfg_copy(const struct tui *t)
{
	struct wh_layer_cfg *c = xcalloc(t->n ? (size_t)t->n : 1, sizeof *c);

	memcpy(c, t->cfg, (size_t)t->n * sizeof *c);
	return c;
}

/* One layer's edit: c is the new settings of the selected layer. */
static void
commit_layer(struct tui *t, const struct wh_layer_cfg *c, const char *what)
{
	struct wh_layer_cfg *all = cfg_copy(t);
	const struct wh_layer *l = t->L[t->sel].l;
	char before[32], after[32], label[256];

	tui_col_text(&t->cfg[t->sel], l, 0, t->col, before, sizeof before);
	tui_col_text(c, l, 0, t->col, after, sizeof after);
	snprintf(label, sizeof label, "%s of %s: %s %s %s", what, l->name,
	    before, crt_sym(CRT_S_ARROW), after);
	all[t->sel] = *c;
	if (commit(t, all, label) == 0 && t->msg[0] == '\0')
		tui_message(t, 0, "%s", label);
	free(all);
}

static void
undo_redo(struct tui *t, int redo)
{
	const struct wh_layer_cfg *c;
	const char *label = NULL;

	c = redo ? tui_undo_redo(&t->undo, &label) :
	    tui_undo_undo(&t->undo, &label);
	if (c == NULL) {
		tui_message(t, 0, redo ? "nothing to redo" : "nothing to undo");
		return;
	}
	memcpy(t->cfg, c, (size_t)t->n * sizeof *t->cfg);
	changed(t);
	tui_message(t, 0, "%s: %s", redo ? "redone" : "undone", label);
}

static void
edit(struct tui *t, enum tui_action a)
{
	struct wh_layer_cfg c = t->cfg[t->sel];
	struct tui_prefs p = t->L[t->sel].prefs;
	struct tui_lctx x;
	char msg[256] = "";
	int r = -1;

	tui_lctx(t, t->sel, &x);
	switch (a) {
	case TUI_A_INC:
	case TUI_A_DEC:
	case TUI_A_INC_BIG:
	case TUI_A_DEC_BIG:
		r = tui_step(&c, &p, &x, t->col,
		    a == TUI_A_INC || a == TUI_A_INC_BIG ? 1 : -1,
		    a == TUI_A_INC_BIG || a == TUI_A_DEC_BIG, msg, sizeof msg);
		break;
	case TUI_A_TOGGLE:
		r = tui_toggle(&c, &p, &x, t->col, msg, sizeof msg);
		break;
	case TUI_A_PRUNE_MODE:
		r = tui_cycle_prune(&c, &p, &x, msg, sizeof msg);
		break;
	case TUI_A_LR_MODE:
		r = tui_cycle_lr(&c, &p, &x, msg, sizeof msg);
		break;
	default:
		return;
	}
	if (r != 0) {
		tui_message(t, 1, "%s", msg);
		return;
	}
	t->L[t->sel].prefs = p;
	t->msg[0] = '\0';
	if (wh_layer_cfg_equal(&c, &t->cfg[t->sel])) {
		tui_message(t, 0, "%s", msg);
		return;
	}
	if (a == TUI_A_PRUNE_MODE)
		t->col = TUI_COL_PRUNE;
	else if (a == TUI_A_LR_MODE)
		t->col = TUI_COL_RANK;
	commit_layer(t, &c, tui_col_name(t->col));
	if (msg[0] != '\0' && !t->msg_bad)
		tui_message(t, 0, "%s: %s", t->L[t->sel].l->name, msg);
}

static void
apply_all(struct tui *t, int same_kind)
{
	struct wh_layer_cfg *all = cfg_copy(t);
	const struct wh_layer *sl = t->L[t->sel].l;
	char label[256], text[32];
	int i, done = 0, skipped = 0;

	for (i = 0; i < t->n; i++) {
		if (i == t->sel || (same_kind && t->L[i].l->kind != sl->kind))
			continue;
		if (tui_copy_col(&all[i], &t->cfg[t->sel], t->col,
		    t->L[i].l) != 0 ||
		    wh_layer_cfg_check(&all[i], t->L[i].l, NULL) != 0) {
			all[i] = t->cfg[i];
			skipped++;
		} else
			done++;
	}
	tui_col_text(&t->cfg[t->sel], sl, 0, t->col, text, sizeof text);
	snprintf(label, sizeof label, "%s %s to %s layers", tui_col_name(t->col),
	    text, same_kind ? "all the same op's" : "all");
	t->msg[0] = '\0';
	if (commit(t, all, label) == 0)
		tui_message(t, 0, "%s %s applied to %d other layer%s%s",
		    tui_col_name(t->col), text, done, done == 1 ? "" : "s",
		    skipped ? " (some cannot take it)" : "");
	free(all);
}

/* ---- plans and export ------------------------------------------------- */

static int
fill_sha(const char *path, char *out, char **err)
{
	if (out[0] != '\0' || path == NULL)
		return 0;
	return wh_sha256_file(path, out, err);
}

static void
save_plan(struct tui *t, const char *path)
{
	const struct tui_opts *o = t->o;
	struct wh_plan p;
	struct wh_totals tot;
	char *err = NULL;
	int i, pending;

	/* an image folder (no labels file) has no one file to hash */
	if (fill_sha(o->model_path, t->model_sha, &err) != 0 ||
	    (o->labels != NULL &&
	    fill_sha(o->images, t->images_sha, &err) != 0) ||
	    fill_sha(o->labels, t->labels_sha, &err) != 0) {
		tui_message(t, 1, "%s", err);
		free(err);
		return;
	}
	wh_plan_init(&p);
	p.model_path = xstrdup(o->model_path);
	memcpy(p.model_sha256, t->model_sha, sizeof p.model_sha256);
	if (o->images != NULL) {
		p.images = xstrdup(o->images);
		p.labels = o->labels != NULL ? xstrdup(o->labels) : NULL;
		memcpy(p.images_sha256, t->images_sha, sizeof p.images_sha256);
		memcpy(p.labels_sha256, t->labels_sha, sizeof p.labels_sha256);
	}
	wh_layer_cfg_init(&p.defaults);
	for (i = 0; i < t->n; i++)
		wh_plan_set_layer(&p, t->L[i].l->name, &t->cfg[i]);
	tui_totals(t, &tot, &pending);
	if (t->have_base && t->have_cur && t->cur_fresh && !pending) {
		time_t now = time(NULL);
		struct tm tm;

		p.result.has = 1;
		p.result.samples = t->cur.samples;
		p.result.base_accuracy = t->base.accuracy;
		p.result.accuracy = t->cur.accuracy;
		p.result.precision_macro = t->cur.precision;
		p.result.recall_macro = t->cur.recall;
		p.result.f1_macro = t->cur.f1;
		p.result.original_bytes = t->cur.totals.orig_bytes;
		p.result.bytes = t->cur.totals.bytes;
		p.result.ratio = t->cur.totals.ratio;
		p.result.macs = t->cur.totals.macs;
		p.result.macs_sparse = t->cur.totals.macs_sparse;
		gmtime_r(&now, &tm);
		strftime(p.result.date, sizeof p.result.date,
		    "%Y-%m-%dT%H:%M:%SZ", &tm);
		snprintf(p.result.version, sizeof p.result.version, "%s",
		    WH_VERSION);
	}
	if (wh_plan_save(&p, path, &err) != 0) {
		tui_message(t, 1, "%s", err);
		free(err);
	} else {
		memcpy(t->saved, t->cfg, (size_t)t->n * sizeof *t->cfg);
		free(t->default_plan);
		t->default_plan = xstrdup(path);
		tui_message(t, 0, "saved %s%s", path, p.result.has ? "" :
		    " (without a measurement: the evaluation is not done)");
	}
	wh_plan_release(&p);
}

static void
open_plan(struct tui *t, const char *path)
{
	struct wh_plan p;
	struct wh_layer_cfg *cfg;
	char *err = NULL, *warn = NULL, label[300];

	wh_plan_init(&p);
	if (wh_plan_load(&p, path, &err) != 0) {
		tui_message(t, 1, "%s", err);
		free(err);
		return;
	}
	if (fill_sha(t->o->model_path, t->model_sha, &err) != 0) {
		free(err);
		err = NULL;
	}
	cfg = xcalloc(t->n ? (size_t)t->n : 1, sizeof *cfg);
	if (wh_plan_resolve(&p, t->g, t->model_sha, 0, cfg, &warn, &err) != 0) {
		tui_message(t, 1, "%s", err);
		free(err);
	} else {
		snprintf(label, sizeof label, "open %s", path);
		t->msg[0] = '\0';
		if (all_equal(cfg, t->cfg, t->n) || commit(t, cfg, label) == 0) {
			memcpy(t->saved, t->cfg, (size_t)t->n * sizeof *t->cfg);
			free(t->default_plan);
			t->default_plan = xstrdup(path);
			if (warn != NULL)
				tui_message(t, 1, "opened %s; %s", path, warn);
			else
				tui_message(t, 0, "opened %s", path);
		}
	}
	free(warn);
	free(cfg);
	wh_plan_release(&p);
}

void
tui_prompt_submit(struct tui *t)
{
	struct tui_prompt *pr = &t->prompt;
	int kind = pr->kind;
	char text[sizeof pr->line.buf], *err = NULL;

	memcpy(text, pr->line.buf, sizeof text);
	pr->kind = TUI_P_NONE;
	t->msg[0] = '\0';
	if (kind == TUI_P_VALUE) {
		struct wh_layer_cfg c = t->cfg[t->sel];
		struct tui_prefs p = t->L[t->sel].prefs;
		struct tui_lctx x;
		char msg[256];

		tui_lctx(t, t->sel, &x);
		if (tui_parse_setting(&c, &p, &x, pr->col, text, msg,
		    sizeof msg) != 0) {
			tui_message(t, 1, "%s", msg);
			return;
		}
		if (wh_layer_cfg_equal(&c, &t->cfg[t->sel])) {
			t->L[t->sel].prefs = p;
			tui_message(t, 0, "no change");
			return;
		}
		t->col = pr->col;
		commit_layer(t, &c, tui_col_name(pr->col));
		if (!t->msg_bad)
			t->L[t->sel].prefs = p;
		if (!t->msg_bad && c.lr_mode == WH_LR_RANK && c.rank >
		    wh_lowrank_saving_rank(t->L[t->sel].l, c.spatial)) {
			int save = wh_lowrank_saving_rank(t->L[t->sel].l,
			    c.spatial);
			char was[sizeof t->msg];

			snprintf(was, sizeof was, "%s", t->msg);
			tui_message(t, 1, "%s; rank %d stores more than the "
			    "dense layer (%d is the largest that saves)", was,
			    c.rank, save);
		}
		return;
	}
	if (kind == TUI_P_SEARCH) {
		start_search(t, text);
		return;
	}
	if (text[0] == '\0') {
		tui_message(t, 1, "no file name given");
		return;
	}
	switch (kind) {
	case TUI_P_SAVE:
		save_plan(t, text);
		break;
	case TUI_P_OPEN:
		open_plan(t, text);
		break;
	case TUI_P_EXPORT:
		/* the names 'whittle apply -o' takes, and nothing else */
		if (wh_export_format(text, &err) < 0) {
			tui_message(t, 1, "not exported: %s", err);
			free(err);
			break;
		}
		tui_worker_export(t->w, t->cfg, text);
		t->exporting = 1;
		tui_message(t, 0, "exporting %s%s", text, crt_sym(CRT_S_ELLIPSIS));
		break;
	}
}

/* Starts a search within the budget typed: points of accuracy. */
static void
start_search(struct tui *t, const char *text)
{
	float v;
	int i, nlocked = 0;

	if (t->sens == NULL) {
		tui_message(t, 1, "no sensitivity thread: the search needs one");
		return;
	}
	if (wh_parse_floats(text, &v, 1) != 1 || !(v >= 0 && v <= 100)) {
		tui_message(t, 1, "'%s' is not a budget: points from 0 to 100",
		    text);
		return;
	}
	for (i = 0; i < t->n; i++)
		nlocked += t->locked[i];
	t->nspoints = 0;
	t->searching = 1;
	tui_sens_search(t->sens, v, nlocked ? t->locked : NULL, t->cfg);
	tui_message(t, 0, "searching for the smallest plan within %.2f points"
	    "%s (%d locked)", v, crt_sym(CRT_S_ELLIPSIS), nlocked);
}

void
tui_prompt_open(struct tui *t, int kind, int col, const char *label,
    const char *init)
{
	struct tui_prompt *pr = &t->prompt;

	pr->kind = kind;
	pr->col = col;
	snprintf(pr->label, sizeof pr->label, "%s", label);
	/* the current value, selected: typing replaces it, Backspace and
	 * the arrows edit it */
	tui_line_set(&pr->line, init, 1);
	t->msg[0] = '\0';
}

static void
open_value_prompt(struct tui *t)
{
	const char *forms[TUI_NCOLS] = {
		"N, sN (spatial), eF (energy) or off",
		"sparsity F, threshold F (Fs: in std), channels F, or off",
		"N:M or off",
		"2..8 [asym] [tensor] [mse], fp16, bf16 or off",
		"8 [pP: percentile] or off",
	};
	char label[160], init[64];

	tui_setting_text(&t->cfg[t->sel], &t->L[t->sel].prefs, t->col, init,
	    sizeof init);
	snprintf(label, sizeof label, "%s of %s (%s): ", tui_col_name(t->col),
	    t->L[t->sel].l->name, forms[t->col]);
	tui_prompt_open(t, TUI_P_VALUE, t->col, label, init);
}

/* ---- history ---------------------------------------------------------- */

static void
history_add(struct tui *t, struct tui_result *r)
{
	int i;

	for (i = 0; i < t->nhist; i++)
		if (all_equal(t->hist[i].res.cfg, r->cfg, t->n)) {
			free(r->cfg);
			r->cfg = NULL;
			return;
		}
	if (t->nhist == TUI_HISTORY_MAX) {
		/* drop the oldest, but keep the baseline (the first) */
		free(t->hist[1].res.cfg);
		memmove(&t->hist[1], &t->hist[2], (size_t)(t->nhist - 2) *
		    sizeof *t->hist);
		t->nhist--;
		if (t->hsel >= 1)
			t->hsel--;
	}
	t->hist = xreallocarray(t->hist, (size_t)t->nhist + 1, sizeof *t->hist);
	t->hist[t->nhist].res = *r;
	t->nhist++;
	r->cfg = NULL;
}

/* The history point before or after hsel in order of size. */
static void
history_move(struct tui *t, int dir)
{
	int i, best = -1;
	double x0, y0;

	if (t->nhist == 0)
		return;
	if (t->hsel < 0 || t->hsel >= t->nhist) {
		t->hsel = t->nhist - 1;
		return;
	}
	x0 = (double)t->hist[t->hsel].res.totals.bytes;
	y0 = t->hist[t->hsel].res.accuracy;
	for (i = 0; i < t->nhist; i++) {
		double x = (double)t->hist[i].res.totals.bytes;
		double y = t->hist[i].res.accuracy;
		int after = x > x0 || (x == x0 && (y > y0 || (y == y0 &&
		    i > t->hsel)));
		int before = x < x0 || (x == x0 && (y < y0 || (y == y0 &&
		    i < t->hsel)));

		if (i == t->hsel || (dir > 0 ? !after : !before))
			continue;
		if (best < 0) {
			best = i;
			continue;
		}
		{
			double bx = (double)t->hist[best].res.totals.bytes;
			double by = t->hist[best].res.accuracy;
			int closer = dir > 0 ?
			    (x < bx || (x == bx && (y < by || (y == by && i < best)))) :
			    (x > bx || (x == bx && (y > by || (y == by && i > best))));

			if (closer)
				best = i;
		}
	}
	if (best >= 0)
		t->hsel = best;
}

static void
history_recall(struct tui *t)
{
	char label[128];

	if (t->hsel < 0 || t->hsel >= t->nhist) {
		tui_message(t, 1, "no point picked; left and right pick one");
		return;
	}
	snprintf(label, sizeof label, "recall evaluation #%d", t->hsel + 1);
	t->msg[0] = '\0';
	if (commit(t, t->hist[t->hsel].res.cfg, label) == 0)
		tui_message(t, 0, "recalled evaluation #%d (u undoes)",
		    t->hsel + 1);
}

/* ---- the worker's messages ------------------------------------------- */

void
tui_handle_msg(struct tui *t, struct tui_msg *m)
{
	struct tui_layer *L;

	switch (m->type) {
	case TUI_M_LAYER:
		L = &t->L[m->layer];
		if (wh_layer_cfg_equal(&m->info->cfg, &t->cfg[m->layer])) {
			free(L->info);
			L->info = m->info;
			m->info = NULL;
		}
		break;
	case TUI_M_PROGRESS:
		if (m->baseline) {
			t->bprog.on = 1;
			t->bprog.done = m->done;
			t->bprog.total = m->total;
			t->bprog.correct = m->correct;
		} else if (m->gen == t->gen) {
			/* a baseline run in progress was cancelled for this */
			t->bprog.on = 0;
			t->prog.on = 1;
			t->prog.done = m->done;
			t->prog.total = m->total;
			t->prog.correct = m->correct;
		}
		break;
	case TUI_M_RESULT:
		if (m->res.baseline) {
			t->have_base = 1;
			t->base = m->res;
			t->base.cfg = NULL;
			t->bprog.on = 0;
		}
		/* a result is current when it is of this generation, or of
		 * exactly these settings (the baseline after undoing all) */
		if ((!m->res.baseline && m->gen == t->gen) ||
		    all_equal(m->res.cfg, t->cfg, t->n)) {
			t->cur = m->res;
			t->cur.cfg = NULL;
			t->have_cur = 1;
			t->cur_fresh = 1;
			t->cur_remembered = 0;
			t->prog.on = 0;
		}
		if (t->sens != NULL && t->cur_fresh && t->have_base)
			tui_sens_pause(t->sens, 0);
		history_add(t, &m->res);
		break;
	case TUI_M_SVALS:
		L = &t->L[m->layer];
		if (m->text != NULL) {
			free(L->sv_err);
			L->sv_err = m->text;
			m->text = NULL;
		} else if (m->spatial) {
			free(L->sv_sp);
			L->sv_sp = m->sv;
			L->nsv_sp = m->k;
			m->sv = NULL;
		} else {
			free(L->sv);
			L->sv = m->sv;
			L->nsv = m->k;
			m->sv = NULL;
		}
		break;
	case TUI_M_ERROR:
		if (m->gen == t->gen || m->gen == 0) {
			snprintf(t->eval_err, sizeof t->eval_err, "%s", m->text);
			t->prog.on = 0;
			if (t->sens != NULL)
				tui_sens_pause(t->sens, 0);
		}
		break;
	case TUI_M_EXPORT:
		t->exporting = 0;
		if (m->ok)
			tui_message(t, 0, "exported %s", m->text);
		else
			tui_message(t, 1, "export failed: %s", m->text);
		break;
	}
}

/* ---- the sensitivity thread's messages --------------------------------- */

void
tui_handle_sens(struct tui *t, struct tui_sens_msg *m)
{
	struct tui_result r;

	switch (m->type) {
	case TUI_S_CELL:
		if (m->layer < t->st.nlayers && m->setting < t->st.nsettings)
			*wh_sens_cell(&t->st, m->layer, m->setting) = m->cell;
		break;
	case TUI_S_TABLE:
		if (t->sens_on && t->msg[0] == '\0')
			tui_message(t, 0, "the sensitivity table is complete");
		break;
	case TUI_S_NOTE:
		tui_message(t, 0, "%s", m->text);
		break;
	case TUI_S_POINT:
		/* a verified plan joins the history, as an evaluation does */
		memset(&r, 0, sizeof r);
		if (t->have_base)
			r.totals = t->base.totals;
		r.samples = m->point.samples;
		r.correct = m->point.correct;
		r.accuracy = m->point.m.accuracy;
		r.precision = m->point.m.precision_macro;
		r.recall = m->point.m.recall_macro;
		r.f1 = m->point.m.f1_macro;
		r.totals.bytes = m->point.bytes;
		r.totals.macs_sparse = m->point.macs;
		r.totals.ratio = r.totals.orig_bytes && m->point.bytes ?
		    (double)r.totals.orig_bytes / (double)m->point.bytes :
		    m->point.ratio;
		r.start_layer = -1;
		r.cfg = m->point.cfgs;
		m->point.cfgs = NULL;
		history_add(t, &r);
		free(r.cfg);	/* when it was there already */
		t->spoints = xreallocarray(t->spoints, (size_t)t->nspoints + 1,
		    sizeof *t->spoints);
		t->spoints[t->nspoints++] = t->nhist - 1;
		break;
	case TUI_S_SEARCHED:
		t->searching = 0;
		if (m->chosen >= 0 && m->chosen < t->nspoints) {
			t->hsel = t->spoints[m->chosen];
			t->focus = TUI_FOCUS_HISTORY;
		}
		tui_message(t, m->chosen < 0, "%s", m->text);
		break;
	case TUI_S_ERROR:
		tui_message(t, 1, "%s", m->text);
		break;
	}
}

/* Enter on the heat map: the cell's setting for its layer. */
static void
sens_apply(struct tui *t)
{
	struct wh_layer_cfg *all;
	char label[160];

	if (t->st.nsettings == 0 || t->n == 0)
		return;
	all = cfg_copy(t);
	all[t->sel] = t->st.settings[t->scol].cfg;
	snprintf(label, sizeof label, "%s for %s (sensitivity)",
	    t->st.settings[t->scol].name, t->L[t->sel].l->name);
	if (commit(t, all, label) == 0)
		tui_message(t, 0, "%s", label);
	free(all);
}

/* ---- keys ------------------------------------------------------------- */

static void
select_layer(struct tui *t, int i)
{
	if (t->n == 0)
		return;
	if (i < 0)
		i = 0;
	if (i >= t->n)
		i = t->n - 1;
	if (i != t->sel)
		tui_worker_want_svals(t->w, i);
	t->sel = i;
}

void
tui_key(struct tui *t, int code)
{
	enum tui_action a = tui_key_action(code);
	int page = t->table_h > 1 ? t->table_h - 1 : 1;
	char *name;

	if (code == KEY_RESIZE)
		return;
	if (t->help) {
		/* Tab, the arrows and the page keys turn the page; any other
		 * key closes the help */
		if (a == TUI_A_HISTORY || a == TUI_A_RIGHT || a == TUI_A_LEFT ||
		    a == TUI_A_PGDN || a == TUI_A_PGUP)
			t->help = t->help == 1 ? 2 : 1;
		else
			t->help = 0;
		return;
	}
	if (a != TUI_A_QUIT)
		t->quit_armed = 0;
	if (a != TUI_A_NONE)
		t->msg[0] = '\0';
	if (t->focus == TUI_FOCUS_HISTORY) {
		switch (a) {
		case TUI_A_LEFT:
		case TUI_A_RIGHT:
			history_move(t, a == TUI_A_RIGHT ? 1 : -1);
			return;
		case TUI_A_EDIT:
			history_recall(t);
			return;
		case TUI_A_HISTORY:
		case TUI_A_CANCEL:
			t->focus = TUI_FOCUS_TABLE;
			return;
		default:
			break;
		}
	}
	if (t->sens_on && t->focus == TUI_FOCUS_TABLE) {
		switch (a) {
		case TUI_A_LEFT:
			if (t->scol > 0)
				t->scol--;
			return;
		case TUI_A_RIGHT:
			if (t->scol < t->st.nsettings - 1)
				t->scol++;
			return;
		case TUI_A_EDIT:
			sens_apply(t);
			return;
		case TUI_A_CANCEL:
			t->sens_on = 0;
			return;
		default:
			break;
		}
	}
	switch (a) {
	case TUI_A_NONE:
		if (code < 0x80 && code >= ' ')
			tui_message(t, 1, "'%c' does nothing here; ? lists the "
			    "keys", code);
		break;
	case TUI_A_DOWN:
		select_layer(t, t->sel + 1);
		break;
	case TUI_A_UP:
		select_layer(t, t->sel - 1);
		break;
	case TUI_A_PGDN:
		select_layer(t, t->sel + page);
		break;
	case TUI_A_PGUP:
		select_layer(t, t->sel - page);
		break;
	case TUI_A_TOP:
		select_layer(t, 0);
		break;
	case TUI_A_BOTTOM:
		select_layer(t, t->n - 1);
		break;
	case TUI_A_RIGHT:
		if (t->col < TUI_NCOLS - 1)
			t->col++;
		break;
	case TUI_A_LEFT:
		if (t->col > 0)
			t->col--;
		break;
	case TUI_A_INC:
	case TUI_A_DEC:
	case TUI_A_INC_BIG:
	case TUI_A_DEC_BIG:
	case TUI_A_TOGGLE:
	case TUI_A_PRUNE_MODE:
	case TUI_A_LR_MODE:
		if (t->n > 0)
			edit(t, a);
		break;
	case TUI_A_EDIT:
		if (t->n > 0)
			open_value_prompt(t);
		break;
	case TUI_A_APPLY_ALL:
	case TUI_A_APPLY_KIND:
		if (t->n > 0)
			apply_all(t, a == TUI_A_APPLY_KIND);
		break;
	case TUI_A_RESET:
		if (t->n > 0) {
			struct wh_layer_cfg *all = cfg_copy(t);
			char label[200];

			wh_layer_cfg_init(&all[t->sel]);
			snprintf(label, sizeof label, "reset %s",
			    t->L[t->sel].l->name);
			if (commit(t, all, label) == 0)
				tui_message(t, 0, "%s", label);
			free(all);
		}
		break;
	case TUI_A_UNDO:
	case TUI_A_REDO:
		undo_redo(t, a == TUI_A_REDO);
		break;
	case TUI_A_SAVE:
		tui_prompt_open(t, TUI_P_SAVE, 0, "save the plan to: ",
		    t->default_plan);
		break;
	case TUI_A_OPEN:
		tui_prompt_open(t, TUI_P_OPEN, 0, "open the plan: ",
		    t->default_plan);
		break;
	case TUI_A_EXPORT:
		if (t->exporting) {
			tui_message(t, 1, "an export is under way");
			break;
		}
		name = default_name(t->o->model_path, ".whittled.onnx");
		tui_prompt_open(t, TUI_P_EXPORT, 0, "export to (.onnx or "
		    ".safetensors): ", name);
		free(name);
		break;
	case TUI_A_LOG:
		t->logscale = !t->logscale;
		tui_message(t, 0, "histogram counts: %s", t->logscale ?
		    "log" : "linear");
		break;
	case TUI_A_SENS:
		t->sens_on = !t->sens_on;
		if (t->sens_on)
			tui_message(t, 0, "sensitivity: h/l pick a setting, Enter "
			    "applies it to the layer, S or Esc returns");
		break;
	case TUI_A_SEARCH:
		if (t->searching) {
			tui_message(t, 1, "a search is under way");
			break;
		}
		tui_prompt_open(t, TUI_P_SEARCH, 0, "search: the most accuracy "
		    "to lose, in points: ", "0.5");
		break;
	case TUI_A_LOCK:
		if (t->n == 0)
			break;
		t->locked[t->sel] = !t->locked[t->sel];
		tui_message(t, 0, "%s %s: a search %s", t->L[t->sel].l->name,
		    t->locked[t->sel] ? "locked" : "unlocked",
		    t->locked[t->sel] ? "keeps its settings" : "may change it");
		break;
	case TUI_A_HISTORY:
		t->focus = TUI_FOCUS_HISTORY;
		if (t->hsel < 0 && t->nhist > 0)
			t->hsel = t->nhist - 1;
		tui_message(t, 0, "history: left/right pick a point, Enter "
		    "recalls it, Tab returns");
		break;
	case TUI_A_HELP:
		t->help = 1;
		break;
	case TUI_A_REDRAW:
		clearok(curscr, TRUE);
		break;
	case TUI_A_CANCEL:
		break;
	case TUI_A_QUIT:
		if (tui_dirty(t) && !t->quit_armed) {
			t->quit_armed = 1;
			tui_message(t, 1, "unsaved changes %s press q again to "
			    "quit", crt_sym(CRT_S_DASH));
			break;
		}
		t->done = 1;
		break;
	case TUI_A_COUNT:
		break;
	}
}

void
tui_mouse(struct tui *t)
{
	MEVENT ev;

	if (getmouse(&ev) != OK)
		return;
	if (ev.bstate & BUTTON4_PRESSED) {
		select_layer(t, t->sel - 1);
		return;
	}
#ifdef BUTTON5_PRESSED
	if (ev.bstate & BUTTON5_PRESSED) {
		select_layer(t, t->sel + 1);
		return;
	}
#endif
	if (ev.y >= t->table_y && ev.y < t->table_y + t->table_h &&
	    t->top + ev.y - t->table_y < t->n) {
		t->focus = TUI_FOCUS_TABLE;
		t->help = 0;
		select_layer(t, t->top + ev.y - t->table_y);
	}
}
