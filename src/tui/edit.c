/* edit.c - the setting columns: steps, toggles, mode cycles, typed values */
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calc.h"
#include "edit.h"
#include "whittle/stats.h"

static const char *col_names[TUI_NCOLS] = { "rank", "prune", "N:M", "bits",
	"act" };

/* N:M patterns from dense to sparse. */
static const int nm_ladder[][2] = { { 3, 4 }, { 2, 4 }, { 1, 4 }, { 1, 8 },
	{ 1, 16 } };
#define NM_RUNGS ((int)(sizeof nm_ladder / sizeof nm_ladder[0]))

static int
fail(char *msg, size_t msz, const char *fmt, ...)
{
	va_list ap;

	if (msg != NULL && msz > 0) {
		va_start(ap, fmt);
		vsnprintf(msg, msz, fmt, ap);
		va_end(ap);
	}
	return -1;
}

#define say fail

void
tui_prefs_init(struct tui_prefs *p)
{
	memset(p, 0, sizeof *p);
	p->lr_mode = WH_LR_RANK;
	p->prune_mode = WH_PRUNE_SPARSITY;
	wh_layer_cfg_init(&p->last);
}

const char *
tui_col_name(int col)
{
	return col >= 0 && col < TUI_NCOLS ? col_names[col] : "?";
}

int
tui_col_on(const struct wh_layer_cfg *c, int col)
{
	switch (col) {
	case TUI_COL_RANK:
		return c->lr_mode != WH_LR_NONE;
	case TUI_COL_PRUNE:
		return c->prune_mode != WH_PRUNE_NONE;
	case TUI_COL_NM:
		return c->nm_n > 0 && c->nm_m > 0;
	case TUI_COL_BITS:
		return c->qtype != WH_Q_NONE;
	case TUI_COL_ACT:
		return c->act_bits != 0;
	}
	return 0;
}

int
tui_lr_mode(const struct wh_layer_cfg *c)
{
	if (c->lr_mode == WH_LR_RANK && c->spatial)
		return TUI_LR_SPATIAL;
	return c->lr_mode;
}

/* Copies the column's fields from src to dst as they are. */
static void
col_copy(struct wh_layer_cfg *dst, const struct wh_layer_cfg *src, int col)
{
	switch (col) {
	case TUI_COL_RANK:
		dst->lr_mode = src->lr_mode;
		dst->rank = src->rank;
		dst->energy = src->energy;
		dst->spatial = src->spatial;
		break;
	case TUI_COL_PRUNE:
		dst->prune_mode = src->prune_mode;
		dst->threshold = src->threshold;
		dst->sparsity = src->sparsity;
		dst->channel_norm = src->channel_norm;
		break;
	case TUI_COL_NM:
		dst->nm_n = src->nm_n;
		dst->nm_m = src->nm_m;
		break;
	case TUI_COL_BITS:
		dst->qtype = src->qtype;
		dst->bits = src->bits;
		dst->symmetric = src->symmetric;
		dst->per_channel = src->per_channel;
		dst->clip = src->clip;
		break;
	case TUI_COL_ACT:
		dst->act_bits = src->act_bits;
		dst->act_calib = src->act_calib;
		dst->act_percentile = src->act_percentile;
		break;
	}
}

/* Sets the column's fields as wh_layer_cfg_init does (off). */
static void
col_off(struct wh_layer_cfg *c, int col)
{
	struct wh_layer_cfg d;

	wh_layer_cfg_init(&d);
	col_copy(c, &d, col);
}

void
tui_cfg_normalize(struct wh_layer_cfg *c)
{
	struct wh_layer_cfg d;

	wh_layer_cfg_init(&d);
	if (c->lr_mode == WH_LR_NONE)
		col_off(c, TUI_COL_RANK);
	else if (c->lr_mode == WH_LR_RANK)
		c->energy = d.energy;
	else if (c->lr_mode == WH_LR_ENERGY)
		c->rank = d.rank;
	switch (c->prune_mode) {
	case WH_PRUNE_NONE:
		col_off(c, TUI_COL_PRUNE);
		break;
	case WH_PRUNE_THRESHOLD:
		c->sparsity = d.sparsity;
		c->channel_norm = d.channel_norm;
		break;
	case WH_PRUNE_SPARSITY:
		c->threshold = d.threshold;
		c->channel_norm = d.channel_norm;
		break;
	case WH_PRUNE_CHANNEL:
		c->threshold = d.threshold;
		break;
	}
	if (c->nm_n <= 0 || c->nm_m <= 0)
		col_off(c, TUI_COL_NM);
	if (c->qtype != WH_Q_INT) {
		int q = c->qtype;

		col_off(c, TUI_COL_BITS);
		c->qtype = q;
	}
	if (c->act_bits == 0)
		col_off(c, TUI_COL_ACT);
	else if (c->act_calib == WH_ACT_MINMAX)
		c->act_percentile = d.act_percentile;
}

#define normalize tui_cfg_normalize

static double
round4(double v)
{
	return floor(v * 1e4 + 0.5) / 1e4;
}

static int
max_rank_for(const struct wh_layer *l, int mode)
{
	return wh_lowrank_max_rank(l, mode == TUI_LR_SPATIAL);
}

static int
no_lowrank(const struct wh_layer *l, int mode, char *msg, size_t msz)
{
	if (mode == TUI_LR_SPATIAL)
		return fail(msg, msz, "the spatial low-rank view needs a Conv "
		    "with group 1; 'm' picks another mode");
	return fail(msg, msz, "low-rank does not apply to layer '%s'",
	    l->name);
}

/* The rank column's value when the mode is first switched on. */
static void
lr_default(struct wh_layer_cfg *c, const struct wh_layer *l, int mode)
{
	int max = max_rank_for(l, mode);

	col_off(c, TUI_COL_RANK);
	if (mode == WH_LR_ENERGY) {
		c->lr_mode = WH_LR_ENERGY;
		c->energy = 0.95f;
		return;
	}
	c->lr_mode = WH_LR_RANK;
	c->rank = max / 4 > 0 ? max / 4 : 1;
	c->spatial = mode == TUI_LR_SPATIAL;
}

static int
step_rank(struct wh_layer_cfg *c, struct tui_prefs *p,
    const struct tui_lctx *x, int dir, int coarse, char *msg, size_t msz)
{
	int mode = tui_lr_mode(c), on = mode != WH_LR_NONE;
	int m = on ? mode : p->lr_mode, max = max_rank_for(x->l, m), r, st;
	int save;
	double e, est = coarse ? 0.05 : 0.01;

	if (max == 0)
		return no_lowrank(x->l, m, msg, msz);
	if (m == WH_LR_ENERGY) {
		if (!on) {
			if (dir > 0)
				return fail(msg, msz, "low-rank is off (all the "
				    "energy kept); '-' lowers the energy");
			e = 1 - est;
		} else {
			e = round4(c->energy + dir * est);
			if (e >= 1) {
				col_off(c, TUI_COL_RANK);
				return say(msg, msz, "low-rank off"), 0;
			}
			if (e < 0.01) {
				if (c->energy <= 0.01f)
					return fail(msg, msz, "the energy is at "
					    "its minimum 0.01");
				e = 0.01;
			}
		}
		col_off(c, TUI_COL_RANK);
		c->lr_mode = WH_LR_ENERGY;
		c->energy = (float)e;
		p->lr_mode = m;
		return 0;
	}
	st = coarse ? (max + 5) / 10 : 1;
	if (st < 1)
		st = 1;
	/* ranks above this store more than the dense layer: the steps
	 * pass over them */
	save = wh_lowrank_saving_rank(x->l, m == TUI_LR_SPATIAL);
	if (save == 0)
		return fail(msg, msz, "no rank of '%s' stores less than the "
		    "dense layer", x->l->name);
	if (!on) {
		if (dir > 0)
			return fail(msg, msz, "low-rank is off (full rank); "
			    "'-' lowers the rank");
		r = max - st < save ? max - st : save;
		if (r == save && save < max - 1)
			say(msg, msz, "rank %d: the first that stores less than "
			    "the dense layer", r);
	} else {
		r = c->rank + dir * st;
		if (r >= max || (dir > 0 && r > save)) {
			col_off(c, TUI_COL_RANK);
			return say(msg, msz, r >= max ? "low-rank off (full "
			    "rank)" : "low-rank off (full rank: a rank above "
			    "%d stores more than the dense layer)", save), 0;
		}
		if (r > save)
			r = save;
	}
	if (r < 1) {
		if (on && c->rank <= 1)
			return fail(msg, msz, "the rank is at its minimum 1");
		r = 1;
	}
	col_off(c, TUI_COL_RANK);
	c->lr_mode = WH_LR_RANK;
	c->rank = r;
	c->spatial = m == TUI_LR_SPATIAL;
	p->lr_mode = m;
	return 0;
}

static double
thr_step(const struct tui_lctx *x, int coarse)
{
	double s = x->std > 0 ? x->std : 0.1;

	return (coarse ? 0.5 : 0.1) * s;
}

/* dir: +1 prunes more (a higher sparsity or threshold), -1 less */
static int
step_prune(struct wh_layer_cfg *c, struct tui_prefs *p,
    const struct tui_lctx *x, int dir, int coarse, char *msg, size_t msz)
{
	int on = c->prune_mode != WH_PRUNE_NONE;
	int m = on ? c->prune_mode : p->prune_mode, norm;
	double v, st;

	if (m == WH_PRUNE_THRESHOLD) {
		st = thr_step(x, coarse);
		if (!on) {
			if (dir < 0)
				return fail(msg, msz, "pruning is off; '-' "
				    "prunes (raises the threshold)");
			v = st;
		} else {
			v = c->threshold + dir * st;
			if (v <= thr_step(x, 0) * 0.5) {
				col_off(c, TUI_COL_PRUNE);
				return say(msg, msz, "pruning off"), 0;
			}
		}
		col_off(c, TUI_COL_PRUNE);
		c->prune_mode = m;
		c->threshold = (float)v;
		return 0;
	}
	st = coarse ? 0.20 : 0.05;
	if (!on) {
		if (dir < 0)
			return fail(msg, msz, "pruning is off; '-' prunes "
			    "(raises the sparsity)");
		v = st;
	} else {
		v = round4(c->sparsity + dir * st);
		if (v <= 0) {
			col_off(c, TUI_COL_PRUNE);
			return say(msg, msz, "pruning off"), 0;
		}
		if (v > 1) {
			if (c->sparsity >= 1)
				return fail(msg, msz, "the sparsity is at its "
				    "maximum 1");
			v = 1;
		}
	}
	norm = on && c->prune_mode == WH_PRUNE_CHANNEL ? c->channel_norm : 2;
	col_off(c, TUI_COL_PRUNE);
	c->prune_mode = m;
	c->sparsity = (float)v;
	c->channel_norm = norm;
	return 0;
}

/* dir: +1 sparser, -1 denser */
static int
step_nm(struct wh_layer_cfg *c, int dir, int coarse, char *msg, size_t msz)
{
	int k, i, moved = 0;

	for (k = 0; k < (coarse ? 2 : 1); k++) {
		int on = c->nm_n > 0 && c->nm_m > 0, pick = -2;
		double d = on ? (double)c->nm_n / c->nm_m : 1;

		if (dir > 0) {
			for (i = 0; i < NM_RUNGS; i++)
				if ((double)nm_ladder[i][0] / nm_ladder[i][1] <
				    d - 1e-12) {
					pick = i;
					break;
				}
		} else {
			for (i = NM_RUNGS - 1; i >= 0; i--)
				if ((double)nm_ladder[i][0] / nm_ladder[i][1] >
				    d + 1e-12) {
					pick = i;
					break;
				}
			if (pick == -2 && on)
				pick = -1;
		}
		if (pick == -2)
			break;
		if (pick == -1)
			col_off(c, TUI_COL_NM);
		else {
			c->nm_n = nm_ladder[pick][0];
			c->nm_m = nm_ladder[pick][1];
		}
		moved = 1;
	}
	if (!moved)
		return fail(msg, msz, dir > 0 ? "N:M is at its sparsest 1:16" :
		    "N:M is off; '-' prunes 1 of every 4 (3:4)");
	return 0;
}

/* Bit width rungs: 0..6 int 2..8, 7 fp16 (or bf16), 8 off. */
static int
bits_rung(const struct wh_layer_cfg *c)
{
	if (c->qtype == WH_Q_NONE)
		return 8;
	if (c->qtype != WH_Q_INT)
		return 7;
	return c->bits - 2;
}

static void
set_int(struct wh_layer_cfg *c, const struct tui_prefs *p, int bits)
{
	if (c->qtype != WH_Q_INT) {
		struct wh_layer_cfg d;

		wh_layer_cfg_init(&d);
		if ((p->has_last & (1u << TUI_COL_BITS)) &&
		    p->last.qtype == WH_Q_INT)
			d = p->last;
		c->symmetric = d.symmetric;
		c->per_channel = d.per_channel;
		c->clip = d.clip;
	}
	c->qtype = WH_Q_INT;
	c->bits = bits;
}

static int
step_bits(struct wh_layer_cfg *c, struct tui_prefs *p, int dir, int coarse,
    char *msg, size_t msz)
{
	int cur = bits_rung(c), r = cur + dir * (coarse ? 2 : 1);

	if (r > 8) {
		if (cur == 8)
			return fail(msg, msz, "the weights are float32 already; "
			    "'-' quantizes them");
		r = 8;
	}
	if (r < 0) {
		if (cur == 0)
			return fail(msg, msz, "2 bits is the least");
		r = 0;
	}
	if (r == 8)
		col_off(c, TUI_COL_BITS);
	else if (r == 7) {
		col_off(c, TUI_COL_BITS);
		c->qtype = WH_Q_FP16;
	} else
		set_int(c, p, r + 2);
	return 0;
}

static int
step_act(struct wh_layer_cfg *c, struct tui_prefs *p, int dir, char *msg,
    size_t msz)
{
	if (dir > 0) {
		if (c->act_bits == 0)
			return fail(msg, msz, "the activations are float32 "
			    "already; '-' quantizes them to 8 bits");
		col_off(c, TUI_COL_ACT);
		return 0;
	}
	if (c->act_bits != 0)
		return fail(msg, msz, "8 bits is the only activation width");
	if (p->has_last & (1u << TUI_COL_ACT))
		col_copy(c, &p->last, TUI_COL_ACT);
	c->act_bits = 8;
	return 0;
}

int
tui_step(struct wh_layer_cfg *c, struct tui_prefs *p,
    const struct tui_lctx *x, int col, int dir, int coarse, char *msg,
    size_t msz)
{
	struct wh_layer_cfg n = *c;
	int r;

	if (msg != NULL && msz > 0)
		msg[0] = '\0';
	switch (col) {
	case TUI_COL_RANK:
		r = step_rank(&n, p, x, dir, coarse, msg, msz);
		break;
	/* '-' (dir -1) makes every column smaller: pruning and N:M count
	 * the other way round from rank and bits */
	case TUI_COL_PRUNE:
		r = step_prune(&n, p, x, -dir, coarse, msg, msz);
		break;
	case TUI_COL_NM:
		r = step_nm(&n, -dir, coarse, msg, msz);
		break;
	case TUI_COL_BITS:
		r = step_bits(&n, p, dir, coarse, msg, msz);
		break;
	case TUI_COL_ACT:
		r = step_act(&n, p, dir, msg, msz);
		break;
	default:
		return fail(msg, msz, "no such column");
	}
	if (r == 0) {
		normalize(&n);
		*c = n;
	}
	return r;
}

int
tui_toggle(struct wh_layer_cfg *c, struct tui_prefs *p,
    const struct tui_lctx *x, int col, char *msg, size_t msz)
{
	struct wh_layer_cfg n = *c;
	unsigned bit = 1u << col;

	if (msg != NULL && msz > 0)
		msg[0] = '\0';
	if (tui_col_on(c, col)) {
		col_copy(&p->last, c, col);
		p->has_last |= bit;
		if (col == TUI_COL_RANK)
			p->lr_mode = tui_lr_mode(c);
		if (col == TUI_COL_PRUNE)
			p->prune_mode = c->prune_mode;
		col_off(&n, col);
		*c = n;
		say(msg, msz, "%s off", tui_col_name(col));
		return 0;
	}
	switch (col) {
	case TUI_COL_RANK:
		if (max_rank_for(x->l, p->lr_mode) == 0)
			return no_lowrank(x->l, p->lr_mode, msg, msz);
		if ((p->has_last & bit) && tui_lr_mode(&p->last) == p->lr_mode &&
		    (p->last.lr_mode == WH_LR_ENERGY || p->last.rank <=
		    max_rank_for(x->l, p->lr_mode)))
			col_copy(&n, &p->last, col);
		else
			lr_default(&n, x->l, p->lr_mode);
		break;
	case TUI_COL_PRUNE:
		if ((p->has_last & bit) && p->last.prune_mode == p->prune_mode)
			col_copy(&n, &p->last, col);
		else {
			n.prune_mode = p->prune_mode;
			if (p->prune_mode == WH_PRUNE_THRESHOLD)
				n.threshold = (float)(5 * thr_step(x, 0));
			else
				n.sparsity = p->prune_mode == WH_PRUNE_CHANNEL ?
				    0.25f : 0.5f;
		}
		break;
	case TUI_COL_NM:
		if (p->has_last & bit)
			col_copy(&n, &p->last, col);
		else {
			n.nm_n = 2;
			n.nm_m = 4;
		}
		break;
	case TUI_COL_BITS:
		if (p->has_last & bit)
			col_copy(&n, &p->last, col);
		else
			set_int(&n, p, 8);
		break;
	case TUI_COL_ACT:
		if (p->has_last & bit)
			col_copy(&n, &p->last, col);
		n.act_bits = 8;
		break;
	default:
		return fail(msg, msz, "no such column");
	}
	normalize(&n);
	*c = n;
	say(msg, msz, "%s on", tui_col_name(col));
	return 0;
}

static const char *
prune_name(int m)
{
	switch (m) {
	case WH_PRUNE_THRESHOLD:
		return "threshold";
	case WH_PRUNE_CHANNEL:
		return "channels";
	case WH_PRUNE_SPARSITY:
		return "sparsity";
	}
	return "off";
}

static const char *
lr_name(int m)
{
	switch (m) {
	case WH_LR_RANK:
		return "rank";
	case WH_LR_ENERGY:
		return "energy";
	case TUI_LR_SPATIAL:
		return "spatial rank";
	}
	return "off";
}

int
tui_cycle_prune(struct wh_layer_cfg *c, struct tui_prefs *p,
    const struct tui_lctx *x, char *msg, size_t msz)
{
	const struct wh_layer *l = x->l;
	size_t n = (size_t)(l->out * l->in), k;
	int cur = c->prune_mode != WH_PRUNE_NONE ? c->prune_mode : p->prune_mode;
	int next = cur == WH_PRUNE_SPARSITY ? WH_PRUNE_THRESHOLD :
	    cur == WH_PRUNE_THRESHOLD ? WH_PRUNE_CHANNEL : WH_PRUNE_SPARSITY;
	double f;

	p->prune_mode = next;
	if (c->prune_mode == WH_PRUNE_NONE) {
		say(msg, msz, "prune mode: %s (space switches pruning on)",
		    prune_name(next));
		return 0;
	}
	f = c->prune_mode == WH_PRUNE_THRESHOLD ?
	    tui_frac_below(l->w, n, c->threshold) : c->sparsity;
	col_off(c, TUI_COL_PRUNE);
	c->prune_mode = next;
	if (next == WH_PRUNE_THRESHOLD) {
		k = (size_t)floor(f * (double)n + 0.5);
		if (k >= n)
			c->threshold = nextafterf(tui_mag_select(l->w, n, n - 1),
			    INFINITY);
		else
			c->threshold = tui_mag_select(l->w, n, k);
		say(msg, msz, "prune mode: threshold %.4g (about %.0f%% of "
		    "the weights below it)", (double)c->threshold, 100 * f);
	} else {
		c->sparsity = (float)(floor(f * 100 + 0.5) / 100);
		say(msg, msz, "prune mode: %s %.2f", prune_name(next),
		    (double)c->sparsity);
	}
	normalize(c);
	return 0;
}

int
tui_cycle_lr(struct wh_layer_cfg *c, struct tui_prefs *p,
    const struct tui_lctx *x, char *msg, size_t msz)
{
	const struct wh_layer *l = x->l;
	int spatial_ok = wh_lowrank_max_rank(l, 1) > 0;
	int cur = tui_lr_mode(c), on = cur != WH_LR_NONE, next, r, max;
	double e;

	if (l->max_rank == 0)
		return no_lowrank(l, WH_LR_RANK, msg, msz);
	if (!on)
		cur = p->lr_mode;
	next = cur == WH_LR_RANK ? WH_LR_ENERGY :
	    cur == WH_LR_ENERGY && spatial_ok ? TUI_LR_SPATIAL : WH_LR_RANK;
	p->lr_mode = next;
	if (!on) {
		say(msg, msz, "low-rank mode: %s (space switches it on)",
		    lr_name(next));
		return 0;
	}
	r = cur == WH_LR_ENERGY ? x->rank : c->rank;
	col_off(c, TUI_COL_RANK);
	if (next == WH_LR_ENERGY) {
		e = 0.95;
		if (x->sv != NULL && r > 0 && cur == WH_LR_RANK)
			e = floor(wh_energy_kept(x->sv, x->nsv, r) * 1e4) / 1e4;
		if (e < 0.01)
			e = 0.01;
		c->lr_mode = WH_LR_ENERGY;
		c->energy = (float)e;
		say(msg, msz, "low-rank mode: energy %.4g", e);
	} else {
		max = max_rank_for(l, next);
		c->lr_mode = WH_LR_RANK;
		c->spatial = next == TUI_LR_SPATIAL;
		c->rank = r > 0 ? (r < max ? r : max) : (max / 4 > 0 ? max / 4 : 1);
		say(msg, msz, "low-rank mode: %s %d", lr_name(next), c->rank);
	}
	normalize(c);
	return 0;
}

/* ---- typed values ------------------------------------------------------ */

#define MAXW 6

/* Splits a lower-cased copy of s into at most MAXW words. */
static int
words(const char *s, char *buf, size_t size, char **w)
{
	int n = 0;
	char *p;

	snprintf(buf, size, "%s", s);
	for (p = buf; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	for (p = strtok(buf, " \t,"); p != NULL && n < MAXW;
	    p = strtok(NULL, " \t,"))
		w[n++] = p;
	return n;
}

static int
is_off_word(const char *w)
{
	return strcmp(w, "off") == 0 || strcmp(w, "none") == 0 ||
	    strcmp(w, "0") == 0 || strcmp(w, "-") == 0;
}

/* A number with an optional suffix: '%' (divided by 100) or 's' / "σ"
 * (kept in *suffix).  -1 when it is not one. */
static int
number(const char *w, double *v, char *suffix)
{
	char *end;

	*suffix = '\0';
	*v = strtod(w, &end);
	if (end == w || !isfinite(*v))
		return -1;
	if (strcmp(end, "%") == 0) {
		*v /= 100;
		*suffix = '%';
	} else if (strcmp(end, "s") == 0 || strcmp(end, "\xcf\x83") == 0)
		*suffix = 's';
	else if (*end != '\0')
		return -1;
	return 0;
}

static int
integer(const char *w, int *v)
{
	char *end;
	long l = strtol(w, &end, 10);

	if (end == w || *end != '\0' || l < -1000000000L || l > 1000000000L)
		return -1;
	*v = (int)l;
	return 0;
}

static int
parse_rank(struct wh_layer_cfg *c, struct tui_prefs *p, const char *w,
    char *msg, size_t msz)
{
	int mode = tui_lr_mode(c) != WH_LR_NONE ? tui_lr_mode(c) : p->lr_mode;
	int r;
	double v;
	char suf;

	if (w[0] == 'r' || w[0] == 's') {
		mode = w[0] == 's' ? TUI_LR_SPATIAL : WH_LR_RANK;
		w++;
	} else if (w[0] == 'e') {
		mode = WH_LR_ENERGY;
		w++;
	} else if (strchr(w, '.') != NULL || strchr(w, '%') != NULL)
		mode = WH_LR_ENERGY;
	else if (mode == WH_LR_ENERGY)
		mode = WH_LR_RANK;
	col_off(c, TUI_COL_RANK);
	if (mode == WH_LR_ENERGY) {
		if (number(w, &v, &suf) != 0 || suf == 's' || !(v > 0 && v <= 1))
			return fail(msg, msz, "the energy '%s' must be a fraction "
			    "in (0, 1] or a percentage", w);
		c->lr_mode = WH_LR_ENERGY;
		c->energy = (float)v;
	} else {
		if (integer(w, &r) != 0 || r < 1)
			return fail(msg, msz, "the rank '%s' must be a whole "
			    "number of at least 1", w);
		c->lr_mode = WH_LR_RANK;
		c->rank = r;
		c->spatial = mode == TUI_LR_SPATIAL;
	}
	p->lr_mode = mode;
	return 0;
}

static int
parse_prune(struct wh_layer_cfg *c, struct tui_prefs *p,
    const struct tui_lctx *x, char **w, int nw, char *msg, size_t msz)
{
	int m = c->prune_mode != WH_PRUNE_NONE ? c->prune_mode : p->prune_mode;
	int i = 0, norm = c->prune_mode == WH_PRUNE_CHANNEL ? c->channel_norm : 2;
	double v;
	char suf;

	if (strncmp(w[0], "sp", 2) == 0)
		m = WH_PRUNE_SPARSITY, i = 1;
	else if (strncmp(w[0], "th", 2) == 0)
		m = WH_PRUNE_THRESHOLD, i = 1;
	else if (strncmp(w[0], "ch", 2) == 0)
		m = WH_PRUNE_CHANNEL, i = 1;
	if (i >= nw)
		return fail(msg, msz, "a value must follow '%s'", w[0]);
	if (number(w[i], &v, &suf) != 0)
		return fail(msg, msz, "'%s' is not a number", w[i]);
	for (i++; i < nw; i++) {
		if (strcmp(w[i], "l1") == 0)
			norm = 1;
		else if (strcmp(w[i], "l2") == 0)
			norm = 2;
		else
			return fail(msg, msz, "'%s' is not l1 or l2", w[i]);
	}
	if (suf == 's') {
		m = WH_PRUNE_THRESHOLD;
		v *= x->std;
	} else if (suf == '%' && m == WH_PRUNE_THRESHOLD)
		m = WH_PRUNE_SPARSITY;
	col_off(c, TUI_COL_PRUNE);
	if (m == WH_PRUNE_THRESHOLD) {
		if (!(v >= 0))
			return fail(msg, msz, "the threshold must be at least 0");
		c->threshold = (float)v;
	} else {
		if (!(v >= 0 && v <= 1))
			return fail(msg, msz, "the %s must be in [0, 1] (or 0%% "
			    "to 100%%)", m == WH_PRUNE_CHANNEL ?
			    "channel fraction" : "sparsity");
		c->sparsity = (float)v;
		c->channel_norm = norm;
	}
	c->prune_mode = m;
	p->prune_mode = m;
	if (v == 0)
		col_off(c, TUI_COL_PRUNE);
	return 0;
}

static int
parse_bits(struct wh_layer_cfg *c, const struct tui_prefs *p, char **w,
    int nw, char *msg, size_t msz)
{
	int b, i;

	if (strcmp(w[0], "32") == 0 || strcmp(w[0], "float") == 0 ||
	    strcmp(w[0], "fp32") == 0) {
		col_off(c, TUI_COL_BITS);
		return nw > 1 ? fail(msg, msz, "'%s' takes no options", w[0]) : 0;
	}
	if (strcmp(w[0], "16") == 0 || strcmp(w[0], "fp16") == 0 ||
	    strcmp(w[0], "half") == 0 || strcmp(w[0], "bf16") == 0) {
		col_off(c, TUI_COL_BITS);
		c->qtype = strcmp(w[0], "bf16") == 0 ? WH_Q_BF16 : WH_Q_FP16;
		return nw > 1 ? fail(msg, msz, "'%s' takes no options", w[0]) : 0;
	}
	if (strncmp(w[0], "int", 3) == 0)
		w[0] += 3;
	if (integer(w[0], &b) != 0 || b < 2 || b > 8)
		return fail(msg, msz, "bits '%s': give 2 to 8, 16 (fp16), bf16 "
		    "or off", w[0]);
	set_int(c, p, b);
	for (i = 1; i < nw; i++) {
		if (strncmp(w[i], "sym", 3) == 0)
			c->symmetric = 1;
		else if (strncmp(w[i], "asym", 4) == 0)
			c->symmetric = 0;
		else if (strcmp(w[i], "channel") == 0 ||
		    strcmp(w[i], "per-channel") == 0)
			c->per_channel = 1;
		else if (strcmp(w[i], "tensor") == 0 ||
		    strcmp(w[i], "per-tensor") == 0)
			c->per_channel = 0;
		else if (strcmp(w[i], "minmax") == 0)
			c->clip = WH_CLIP_MINMAX;
		else if (strcmp(w[i], "mse") == 0)
			c->clip = WH_CLIP_MSE;
		else
			return fail(msg, msz, "'%s' is none of sym, asym, channel, "
			    "tensor, minmax, mse", w[i]);
	}
	return 0;
}

static int
parse_act(struct wh_layer_cfg *c, char **w, int nw, char *msg, size_t msz)
{
	double v;
	char suf;

	if (strcmp(w[0], "8") != 0 && strcmp(w[0], "a8") != 0)
		return fail(msg, msz, "activations: give 8 or off");
	col_off(c, TUI_COL_ACT);
	c->act_bits = 8;
	if (nw < 2 || strcmp(w[1], "minmax") == 0)
		return nw > 2 ? fail(msg, msz, "too many words") : 0;
	if (w[1][0] != 'p' || number(w[1] + 1, &v, &suf) != 0 || suf != '\0' ||
	    !(v > 50 && v <= 100))
		return fail(msg, msz, "'%s': give minmax or pP, a percentile "
		    "P in (50, 100] such as p99.99", w[1]);
	c->act_calib = WH_ACT_PERCENTILE;
	c->act_percentile = (float)v;
	return nw > 2 ? fail(msg, msz, "too many words") : 0;
}

int
tui_parse_setting(struct wh_layer_cfg *c, struct tui_prefs *p,
    const struct tui_lctx *x, int col, const char *text, char *msg,
    size_t msz)
{
	struct wh_layer_cfg n = *c;
	struct tui_prefs np = *p;
	char buf[256], *w[MAXW];
	int nw = words(text, buf, sizeof buf, w), r = 0, a, b;
	char extra;

	if (msg != NULL && msz > 0)
		msg[0] = '\0';
	if (nw == 0)
		return fail(msg, msz, "no value given");
	if (nw == 1 && is_off_word(w[0]))
		col_off(&n, col);
	else
		switch (col) {
		case TUI_COL_RANK:
			r = nw > 1 ? fail(msg, msz, "one value, please") :
			    parse_rank(&n, &np, w[0], msg, msz);
			if (r == 0 && max_rank_for(x->l, tui_lr_mode(&n)) == 0)
				r = no_lowrank(x->l, tui_lr_mode(&n), msg, msz);
			break;
		case TUI_COL_PRUNE:
			r = parse_prune(&n, &np, x, w, nw, msg, msz);
			break;
		case TUI_COL_NM:
			if (nw > 1 || sscanf(w[0], "%d:%d%c", &a, &b, &extra) != 2 ||
			    !(a > 0 && a < b && b <= WH_NM_MAX))
				r = fail(msg, msz, "N:M '%s': give N:M with 0 < N "
				    "< M <= %d, or off", text, WH_NM_MAX);
			else {
				n.nm_n = a;
				n.nm_m = b;
			}
			break;
		case TUI_COL_BITS:
			r = parse_bits(&n, &np, w, nw, msg, msz);
			break;
		case TUI_COL_ACT:
			r = parse_act(&n, w, nw, msg, msz);
			break;
		default:
			r = fail(msg, msz, "no such column");
		}
	if (r != 0)
		return -1;
	normalize(&n);
	*c = n;
	*p = np;
	return 0;
}

const char *
tui_setting_text(const struct wh_layer_cfg *c, const struct tui_prefs *p,
    int col, char *buf, size_t size)
{
	(void)p;
	snprintf(buf, size, "off");
	if (!tui_col_on(c, col))
		return buf;
	switch (col) {
	case TUI_COL_RANK:
		if (c->lr_mode == WH_LR_ENERGY)
			snprintf(buf, size, "e%g", (double)c->energy);
		else
			snprintf(buf, size, "%s%d", c->spatial ? "s" : "", c->rank);
		break;
	case TUI_COL_PRUNE:
		if (c->prune_mode == WH_PRUNE_THRESHOLD)
			snprintf(buf, size, "threshold %g", (double)c->threshold);
		else
			snprintf(buf, size, "%s %g%s", prune_name(c->prune_mode),
			    (double)c->sparsity,
			    c->prune_mode == WH_PRUNE_CHANNEL &&
			    c->channel_norm == 1 ? " l1" : "");
		break;
	case TUI_COL_NM:
		snprintf(buf, size, "%d:%d", c->nm_n, c->nm_m);
		break;
	case TUI_COL_BITS:
		if (c->qtype == WH_Q_FP16)
			snprintf(buf, size, "fp16");
		else if (c->qtype == WH_Q_BF16)
			snprintf(buf, size, "bf16");
		else
			snprintf(buf, size, "%d%s%s%s", c->bits,
			    c->symmetric ? "" : " asym",
			    c->per_channel ? "" : " tensor",
			    c->clip == WH_CLIP_MSE ? " mse" : "");
		break;
	case TUI_COL_ACT:
		if (c->act_calib == WH_ACT_PERCENTILE)
			snprintf(buf, size, "8 p%g", (double)c->act_percentile);
		else
			snprintf(buf, size, "8");
		break;
	}
	return buf;
}

int
tui_copy_col(struct wh_layer_cfg *dst, const struct wh_layer_cfg *src,
    int col, const struct wh_layer *dl)
{
	struct wh_layer_cfg n = *dst;
	int max;

	col_copy(&n, src, col);
	if (col == TUI_COL_RANK && n.lr_mode != WH_LR_NONE) {
		max = wh_lowrank_max_rank(dl, n.spatial);
		if (max == 0)
			return -1;
		if (n.lr_mode == WH_LR_RANK && n.rank > max)
			n.rank = max;
	}
	normalize(&n);
	*dst = n;
	return 0;
}

static void
trim_zero(char *s)
{
	/* "0.95" -> ".95" */
	char *p = strstr(s, "0.");

	if (p != NULL && (p == s || !isdigit((unsigned char)p[-1])))
		memmove(p, p + 1, strlen(p + 1) + 1);
}

static const char *
pct(double f, char *buf, size_t size)
{
	double v = 100 * f;

	if (fabs(v - floor(v + 0.5)) < 1e-6)
		snprintf(buf, size, "%.0f%%", v);
	else
		snprintf(buf, size, "%.1f%%", v);
	return buf;
}

const char *
tui_col_text(const struct wh_layer_cfg *c, const struct wh_layer *l,
    int rank, int col, char *buf, size_t size)
{
	char t[32];

	snprintf(buf, size, "-");
	if (!tui_col_on(c, col))
		return buf;
	switch (col) {
	case TUI_COL_RANK:
		if (c->lr_mode == WH_LR_ENERGY) {
			snprintf(t, sizeof t, "e%.3g", (double)c->energy);
			trim_zero(t);
			if (rank > 0)
				snprintf(buf, size, "%s r%d", t, rank);
			else
				snprintf(buf, size, "%s", t);
		} else
			snprintf(buf, size, "%s%d/%d", c->spatial ? "s" : "",
			    c->rank, wh_lowrank_max_rank(l, c->spatial));
		break;
	case TUI_COL_PRUNE:
		if (c->prune_mode == WH_PRUNE_THRESHOLD) {
			snprintf(t, sizeof t, "%.2g", (double)c->threshold);
			trim_zero(t);
			snprintf(buf, size, "th %s", t);
		} else
			snprintf(buf, size, "%s %s", c->prune_mode ==
			    WH_PRUNE_CHANNEL ? "ch" : "sp",
			    pct(c->sparsity, t, sizeof t));
		break;
	case TUI_COL_NM:
		snprintf(buf, size, "%d:%d", c->nm_n, c->nm_m);
		break;
	case TUI_COL_BITS:
		if (c->qtype == WH_Q_FP16)
			snprintf(buf, size, "fp16");
		else if (c->qtype == WH_Q_BF16)
			snprintf(buf, size, "bf16");
		else
			snprintf(buf, size, "%sint%d%s", c->symmetric ? "" : "u",
			    c->bits, c->per_channel ? "" : "/t");
		break;
	case TUI_COL_ACT:
		snprintf(buf, size, "a8%s",
		    c->act_calib == WH_ACT_PERCENTILE ? "p" : "");
		break;
	}
	return buf;
}

const char *
tui_quant_text(const struct wh_layer_cfg *c, char *buf, size_t size)
{
	if (c->qtype == WH_Q_FP16)
		snprintf(buf, size, "fp16");
	else if (c->qtype == WH_Q_BF16)
		snprintf(buf, size, "bf16");
	else if (c->qtype == WH_Q_INT)
		snprintf(buf, size, "int%d %s per-%s %s", c->bits,
		    c->symmetric ? "symmetric" : "asymmetric",
		    c->per_channel ? "channel" : "tensor",
		    c->clip == WH_CLIP_MSE ? "mse" : "min/max");
	else
		snprintf(buf, size, "float32");
	return buf;
}

const char *
tui_quant_text_short(const struct wh_layer_cfg *c, int shorter, char *buf,
    size_t size)
{
	if (c->qtype != WH_Q_INT)
		return tui_quant_text(c, buf, size);
	if (shorter)
		snprintf(buf, size, "int%d", c->bits);
	else
		snprintf(buf, size, "int%d %s per-%s%s", c->bits,
		    c->symmetric ? "sym." : "asym.",
		    c->per_channel ? "channel" : "tensor",
		    c->clip == WH_CLIP_MSE ? " mse" : "");
	return buf;
}

const char *
tui_op_text(const struct wh_layer *l, char *buf, size_t size)
{
	switch (l->kind) {
	case WH_LAYER_GEMM:
		return "Gemm";
	case WH_LAYER_MATMUL:
		return "MatMul";
	case WH_LAYER_CONV:
		if (l->group <= 1)
			return "Conv";
		snprintf(buf, size, "Conv g%lld", (long long)l->group);
		return buf;
	}
	return "?";
}
