/* test-tui-edit.c - the workbench's setting rules (src/tui/edit.c) and
 * its small numeric helpers (src/tui/calc.c) */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "../../src/tui/calc.h"
#include "../../src/tui/edit.h"
#include "whittle/stats.h"

static float wg[128 * 200], wc[8 * 3 * 3 * 3];

static void
fill(float *w, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		w[i] = 0.1f + 2 * cosf((float)i);
}

static void
gemm_layer(struct wh_layer *l, int64_t out, int64_t in, const float *w)
{
	memset(l, 0, sizeof *l);
	l->name = (char *)"fc";
	l->kind = WH_LAYER_GEMM;
	l->out = out;
	l->in = in;
	l->cin = l->kh = l->kw = 1;
	l->group = 1;
	l->out_h = l->out_w = 1;
	l->rows = 1;
	l->w = w;
	l->macs = (uint64_t)(out * in);
	l->max_rank = (int)(out < in ? out : in);
}

static void
conv_layer(struct wh_layer *l, int64_t out, int64_t cin, int64_t k,
    const float *w)
{
	memset(l, 0, sizeof *l);
	l->name = (char *)"conv";
	l->kind = WH_LAYER_CONV;
	l->out = out;
	l->cin = cin;
	l->kh = l->kw = k;
	l->in = cin * k * k;
	l->group = 1;
	l->out_h = l->out_w = 4;
	l->rows = 1;
	l->w = w;
	l->macs = (uint64_t)(out * l->in * 16);
	l->max_rank = (int)(out < l->in ? out : l->in);
}

static struct wh_layer gl, cl;
static struct tui_lctx gx, cx;
static char msg[256];

static int
step(struct wh_layer_cfg *c, struct tui_prefs *p, const struct tui_lctx *x,
    int col, int dir, int coarse)
{
	return tui_step(c, p, x, col, dir, coarse, msg, sizeof msg);
}

static int
parse(struct wh_layer_cfg *c, struct tui_prefs *p, const struct tui_lctx *x,
    int col, const char *s)
{
	return tui_parse_setting(c, p, x, col, s, msg, sizeof msg);
}

static void
test_rank(void)
{
	struct wh_layer_cfg c;
	struct tui_prefs p;

	wh_layer_cfg_init(&c);
	tui_prefs_init(&p);
	ok(step(&c, &p, &gx, TUI_COL_RANK, 1, 0) == -1 && msg[0] != '\0',
	    "rank: '+' on full rank is refused with a message");
	/* (128, 200): rank r stores 328 r weights, the layer 25,600; rank
	 * 78 is the largest that stores fewer */
	ok(wh_lowrank_saving_rank(&gl, 0) == 78 && 78 * 328 < 128 * 200 &&
	    79 * 328 >= 128 * 200, "the largest rank that saves on (128, 200) "
	    "is 78 (got %d)", wh_lowrank_saving_rank(&gl, 0));
	ok(step(&c, &p, &gx, TUI_COL_RANK, -1, 0) == 0 &&
	    c.lr_mode == WH_LR_RANK && c.rank == 78,
	    "rank: '-' from off goes straight to 78, the first rank that "
	    "stores less than the dense layer (got %d)", c.rank);
	ok(step(&c, &p, &gx, TUI_COL_RANK, -1, 1) == 0 && c.rank == 65,
	    "rank: '[' takes 10%% of the maximum (13): 65 (got %d)", c.rank);
	ok(step(&c, &p, &gx, TUI_COL_RANK, 1, 1) == 0 && c.rank == 78,
	    "rank: ']' goes back to 78");
	ok(step(&c, &p, &gx, TUI_COL_RANK, 1, 0) == 0 &&
	    c.lr_mode == WH_LR_NONE && c.rank == 0,
	    "rank: '+' above 78 switches low-rank off (no rank 79..127)");
	c.lr_mode = WH_LR_RANK;
	c.rank = 100;
	ok(step(&c, &p, &gx, TUI_COL_RANK, -1, 0) == 0 && c.rank == 78,
	    "rank: '-' from a typed 100 goes down to 78");
	{
		/* /3/Conv of the demo, (32, 16, 3, 3): rank 31 of 32 stores
		 * 31 * 176 = 5,456 weights against 4,608 */
		static float w3[32 * 16 * 9];
		struct wh_layer l3;
		struct tui_lctx x3 = { 0 };

		conv_layer(&l3, 32, 16, 3, w3);
		x3.l = &l3;
		x3.std = 1;
		wh_layer_cfg_init(&c);
		ok(step(&c, &p, &x3, TUI_COL_RANK, -1, 0) == 0 && c.rank == 26 &&
		    26 * 176 < 4608 && 27 * 176 >= 4608,
		    "rank: the first '-' on a (32, 16, 3, 3) Conv gives 26/32, "
		    "not 31/32 (got %d)", c.rank);
		ok(wh_lowrank_saving_rank(&l3, 1) == 31 &&
		    wh_lowrank_max_rank(&l3, 1) == 48 && 31 * 144 < 4608 &&
		    32 * 144 >= 4608, "its spatial view (96, 48) saves up to "
		    "rank 31 of 48 (got %d)", wh_lowrank_saving_rank(&l3, 1));
	}
	{
		/* one rule: from off, '-' switches every column on (smaller),
		 * '+' is refused */
		int col, good = 1;

		for (col = 0; col < TUI_NCOLS; col++) {
			wh_layer_cfg_init(&c);
			tui_prefs_init(&p);
			if (step(&c, &p, &gx, col, 1, 0) != -1 ||
			    tui_col_on(&c, col) ||
			    step(&c, &p, &gx, col, -1, 0) != 0 ||
			    !tui_col_on(&c, col) ||
			    step(&c, &p, &gx, col, 1, 0) != 0 ||
			    tui_col_on(&c, col)) {
				good = 0;
				tap_diag("column %s breaks the rule",
				    tui_col_name(col));
			}
		}
		ok(good, "every column: '+' from off does nothing, '-' "
		    "compresses, '+' then undoes it");
		wh_layer_cfg_init(&c);
		tui_prefs_init(&p);
	}
	c.lr_mode = WH_LR_RANK;
	c.rank = 1;
	ok(step(&c, &p, &gx, TUI_COL_RANK, -1, 0) == -1 && c.rank == 1,
	    "rank: '-' at rank 1 is refused and changes nothing");
	c.rank = 5;
	ok(step(&c, &p, &gx, TUI_COL_RANK, -1, 1) == 0 && c.rank == 1,
	    "rank: a coarse step below 1 stops at 1");
}

static void
test_energy_spatial(void)
{
	struct wh_layer_cfg c;
	struct tui_prefs p;

	wh_layer_cfg_init(&c);
	tui_prefs_init(&p);
	ok(tui_cycle_lr(&c, &p, &gx, msg, sizeof msg) == 0 &&
	    p.lr_mode == WH_LR_ENERGY && c.lr_mode == WH_LR_NONE,
	    "m while off picks the energy mode without switching it on");
	ok(step(&c, &p, &gx, TUI_COL_RANK, -1, 0) == 0 &&
	    c.lr_mode == WH_LR_ENERGY && fabsf(c.energy - 0.99f) < 1e-6f,
	    "energy: '-' from off gives 0.99");
	ok(step(&c, &p, &gx, TUI_COL_RANK, -1, 1) == 0 &&
	    fabsf(c.energy - 0.94f) < 1e-6f, "energy: '[' takes 0.05: 0.94");
	ok(step(&c, &p, &gx, TUI_COL_RANK, 1, 1) == 0 &&
	    fabsf(c.energy - 0.99f) < 1e-6f && step(&c, &p, &gx,
	    TUI_COL_RANK, 1, 0) == 0 && c.lr_mode == WH_LR_NONE &&
	    c.energy == 1, "energy: up to 1 switches low-rank off");
	ok(tui_cycle_lr(&c, &p, &gx, msg, sizeof msg) == 0 &&
	    p.lr_mode == WH_LR_RANK,
	    "m on a Gemm goes from energy back to rank (no spatial view)");

	wh_layer_cfg_init(&c);
	tui_prefs_init(&p);
	c.lr_mode = WH_LR_RANK;
	c.rank = 3;
	ok(tui_cycle_lr(&c, &p, &cx, msg, sizeof msg) == 0 &&
	    c.lr_mode == WH_LR_ENERGY, "m on a Conv: rank -> energy");
	cx.rank = 3;
	ok(tui_cycle_lr(&c, &p, &cx, msg, sizeof msg) == 0 &&
	    c.lr_mode == WH_LR_RANK && c.spatial == 1 && c.rank == 3,
	    "m on a Conv: energy -> spatial, keeping the resolved rank 3");
	ok(wh_layer_cfg_check(&c, &cl, NULL) == 0, "which the core accepts");
	ok(step(&c, &p, &cx, TUI_COL_RANK, 1, 0) == 0 && c.rank == 4 &&
	    c.spatial, "spatial rank steps up to 4 (of 9)");
	ok(tui_cycle_lr(&c, &p, &cx, msg, sizeof msg) == 0 &&
	    c.spatial == 0 && c.rank == 4, "m: spatial -> rank");
	cx.rank = 0;
}

static void
test_prune(void)
{
	struct wh_layer_cfg c;
	struct tui_prefs p;
	double sd = gx.std;
	int i;

	wh_layer_cfg_init(&c);
	tui_prefs_init(&p);
	ok(step(&c, &p, &gx, TUI_COL_PRUNE, 1, 0) == -1,
	    "prune: '+' while off is refused");
	ok(step(&c, &p, &gx, TUI_COL_PRUNE, -1, 0) == 0 &&
	    c.prune_mode == WH_PRUNE_SPARSITY && fabsf(c.sparsity - 0.05f) < 1e-6f,
	    "sparsity: '-' from off prunes 0.05 (smaller, as '-' on every "
	    "column)");
	ok(step(&c, &p, &gx, TUI_COL_PRUNE, -1, 1) == 0 &&
	    fabsf(c.sparsity - 0.25f) < 1e-6f, "sparsity: '[' adds 0.20");
	for (i = 0; i < 5; i++)
		step(&c, &p, &gx, TUI_COL_PRUNE, 1, 0);
	ok(c.prune_mode == WH_PRUNE_NONE && c.sparsity == 0,
	    "sparsity: five '+' from 0.25 switch pruning off");
	c.prune_mode = WH_PRUNE_SPARSITY;
	c.sparsity = 1;
	ok(step(&c, &p, &gx, TUI_COL_PRUNE, -1, 0) == -1,
	    "sparsity: '-' at 1 is refused");

	wh_layer_cfg_init(&c);
	ok(tui_cycle_prune(&c, &p, &gx, msg, sizeof msg) == 0 &&
	    p.prune_mode == WH_PRUNE_THRESHOLD && c.prune_mode == WH_PRUNE_NONE,
	    "t while off picks the threshold mode");
	ok(step(&c, &p, &gx, TUI_COL_PRUNE, -1, 0) == 0 &&
	    c.prune_mode == WH_PRUNE_THRESHOLD &&
	    fabs(c.threshold - 0.1 * sd) < 1e-6,
	    "threshold: '-' from off gives 0.1 std (%g)", (double)c.threshold);
	ok(step(&c, &p, &gx, TUI_COL_PRUNE, -1, 1) == 0 &&
	    fabs(c.threshold - 0.6 * sd) < 1e-5, "threshold: '[' adds 0.5 std");
	for (i = 0; i < 6; i++)
		step(&c, &p, &gx, TUI_COL_PRUNE, 1, 0);
	ok(c.prune_mode == WH_PRUNE_NONE && c.threshold == 0,
	    "threshold: six '+' from 0.6 std switch pruning off");

	/* sparsity 0.5 -> a threshold under which half the weights lie */
	wh_layer_cfg_init(&c);
	tui_prefs_init(&p);
	c.prune_mode = WH_PRUNE_SPARSITY;
	c.sparsity = 0.5f;
	ok(tui_cycle_prune(&c, &p, &gx, msg, sizeof msg) == 0 &&
	    c.prune_mode == WH_PRUNE_THRESHOLD &&
	    tui_frac_below(wg, 128 * 200, c.threshold) == 0.5,
	    "t: sparsity 0.5 becomes a threshold with exactly half below (%g)",
	    tui_frac_below(wg, 128 * 200, c.threshold));
	ok(tui_cycle_prune(&c, &p, &gx, msg, sizeof msg) == 0 &&
	    c.prune_mode == WH_PRUNE_CHANNEL && fabsf(c.sparsity - 0.5f) < 1e-6f,
	    "t: threshold -> channels 0.5");
	ok(wh_layer_cfg_check(&c, &gl, NULL) == 0 && c.channel_norm == 2,
	    "channels: a valid setting with the L2 norm");
}

static void
test_bits_nm_act(void)
{
	struct wh_layer_cfg c;
	struct tui_prefs p;
	int i, ok8 = 1;

	wh_layer_cfg_init(&c);
	tui_prefs_init(&p);
	ok(step(&c, &p, &gx, TUI_COL_BITS, 1, 0) == -1,
	    "bits: '+' on float32 is refused");
	ok(step(&c, &p, &gx, TUI_COL_BITS, -1, 0) == 0 && c.qtype == WH_Q_FP16,
	    "bits: '-' from float32 gives fp16");
	ok(step(&c, &p, &gx, TUI_COL_BITS, -1, 0) == 0 && c.qtype == WH_Q_INT &&
	    c.bits == 8 && c.symmetric && c.per_channel,
	    "bits: then int8, symmetric per channel");
	for (i = 7; i >= 2; i--)
		if (step(&c, &p, &gx, TUI_COL_BITS, -1, 0) != 0 || c.bits != i)
			ok8 = 0;
	ok(ok8, "bits: '-' steps 8 -> 7 -> ... -> 2");
	ok(step(&c, &p, &gx, TUI_COL_BITS, -1, 0) == -1 && c.bits == 2,
	    "bits: 2 is the least");
	ok(step(&c, &p, &gx, TUI_COL_BITS, 1, 1) == 0 && c.bits == 4,
	    "bits: ']' adds two rungs: 4");
	c.bits = 8;
	ok(step(&c, &p, &gx, TUI_COL_BITS, 1, 0) == 0 && c.qtype == WH_Q_FP16 &&
	    step(&c, &p, &gx, TUI_COL_BITS, 1, 0) == 0 && c.qtype == WH_Q_NONE,
	    "bits: '+' from 8 gives fp16, then float32");

	wh_layer_cfg_init(&c);
	ok(step(&c, &p, &gx, TUI_COL_NM, 1, 0) == -1,
	    "N:M: '+' while off is refused");
	ok(step(&c, &p, &gx, TUI_COL_NM, -1, 0) == 0 && c.nm_n == 3 &&
	    c.nm_m == 4, "N:M: '-' from off gives 3:4");
	ok(step(&c, &p, &gx, TUI_COL_NM, -1, 0) == 0 && c.nm_n == 2 &&
	    c.nm_m == 4, "N:M: then 2:4");
	ok(step(&c, &p, &gx, TUI_COL_NM, -1, 1) == 0 && c.nm_n == 1 &&
	    c.nm_m == 8, "N:M: '[' skips to 1:8");
	ok(step(&c, &p, &gx, TUI_COL_NM, -1, 0) == 0 && c.nm_m == 16 &&
	    step(&c, &p, &gx, TUI_COL_NM, -1, 0) == -1, "N:M: 1:16 is the end");
	c.nm_n = 5;
	c.nm_m = 8;
	ok(step(&c, &p, &gx, TUI_COL_NM, 1, 0) == 0 && c.nm_n == 3 &&
	    c.nm_m == 4, "N:M: '+' from a typed 5:8 goes to the denser 3:4");
	ok(step(&c, &p, &gx, TUI_COL_NM, 1, 0) == 0 && c.nm_n == 0 &&
	    c.nm_m == 0, "N:M: '+' from 3:4 switches it off");

	ok(step(&c, &p, &gx, TUI_COL_ACT, -1, 0) == 0 && c.act_bits == 8,
	    "act: '-' gives 8 bits");
	ok(step(&c, &p, &gx, TUI_COL_ACT, -1, 0) == -1, "act: 8 is the least");
	ok(step(&c, &p, &gx, TUI_COL_ACT, 1, 0) == 0 && c.act_bits == 0,
	    "act: '+' switches it off");
}

static void
test_toggle_copy(void)
{
	struct wh_layer_cfg c, d, e;
	struct tui_prefs p;

	wh_layer_cfg_init(&c);
	tui_prefs_init(&p);
	c.lr_mode = WH_LR_RANK;
	c.rank = 37;
	ok(tui_toggle(&c, &p, &gx, TUI_COL_RANK, msg, sizeof msg) == 0 &&
	    c.lr_mode == WH_LR_NONE, "space switches rank 37 off");
	ok(tui_toggle(&c, &p, &gx, TUI_COL_RANK, msg, sizeof msg) == 0 &&
	    c.lr_mode == WH_LR_RANK && c.rank == 37,
	    "space again brings rank 37 back");
	wh_layer_cfg_init(&c);
	ok(tui_toggle(&c, &p, &gx, TUI_COL_BITS, msg, sizeof msg) == 0 &&
	    c.qtype == WH_Q_INT && c.bits == 8, "space on bits: int8");
	ok(tui_toggle(&c, &p, &gx, TUI_COL_PRUNE, msg, sizeof msg) == 0 &&
	    c.prune_mode == WH_PRUNE_SPARSITY && c.sparsity == 0.5f,
	    "space on prune: sparsity 0.5");

	/* apply to all: a rank above the other layer's maximum is lowered */
	wh_layer_cfg_init(&c);
	wh_layer_cfg_init(&d);
	c.lr_mode = WH_LR_RANK;
	c.rank = 100;
	ok(tui_copy_col(&d, &c, TUI_COL_RANK, &cl) == 0 && d.rank == 8,
	    "copy: rank 100 to a layer of maximum 8 gives 8");
	c.rank = 4;
	c.spatial = 1;
	e = d;
	ok(tui_copy_col(&d, &c, TUI_COL_RANK, &gl) == -1 &&
	    wh_layer_cfg_equal(&d, &e), "copy: spatial to a Gemm is refused");
}

static void
test_parse(void)
{
	struct wh_layer_cfg c, keep;
	struct tui_prefs p;

	wh_layer_cfg_init(&c);
	tui_prefs_init(&p);
	ok(parse(&c, &p, &gx, TUI_COL_RANK, "12") == 0 &&
	    c.lr_mode == WH_LR_RANK && c.rank == 12, "rank '12'");
	ok(parse(&c, &p, &gx, TUI_COL_RANK, "e0.9") == 0 &&
	    c.lr_mode == WH_LR_ENERGY && c.energy == 0.9f, "rank 'e0.9': energy");
	ok(parse(&c, &p, &gx, TUI_COL_RANK, "95%") == 0 &&
	    c.energy == 0.95f, "rank '95%%': energy 0.95");
	ok(parse(&c, &p, &cx, TUI_COL_RANK, "s5") == 0 && c.spatial &&
	    c.rank == 5, "rank 's5' on a Conv: spatial 5");
	keep = c;
	ok(parse(&c, &p, &gx, TUI_COL_RANK, "s5") == -1 && msg[0] != '\0' &&
	    wh_layer_cfg_equal(&c, &keep),
	    "rank 's5' on a Gemm: an error, nothing changes");
	ok(parse(&c, &p, &gx, TUI_COL_RANK, "zebra") == -1 &&
	    wh_layer_cfg_equal(&c, &keep), "rank 'zebra': an error");
	ok(parse(&c, &p, &gx, TUI_COL_RANK, "1.5") == -1, "energy 1.5: an error");
	ok(parse(&c, &p, &gx, TUI_COL_RANK, "off") == 0 &&
	    c.lr_mode == WH_LR_NONE, "rank 'off'");

	ok(parse(&c, &p, &gx, TUI_COL_PRUNE, "0.5") == 0 &&
	    c.prune_mode == WH_PRUNE_SPARSITY && c.sparsity == 0.5f,
	    "prune '0.5': sparsity");
	ok(parse(&c, &p, &gx, TUI_COL_PRUNE, "threshold 0.02") == 0 &&
	    c.prune_mode == WH_PRUNE_THRESHOLD && c.threshold == 0.02f &&
	    c.sparsity == 0, "prune 'threshold 0.02' (sparsity reset)");
	ok(parse(&c, &p, &gx, TUI_COL_PRUNE, "1.5s") == 0 &&
	    fabs(c.threshold - 1.5 * gx.std) < 1e-6, "prune '1.5s': 1.5 std");
	ok(parse(&c, &p, &gx, TUI_COL_PRUNE, "channels 25% l1") == 0 &&
	    c.prune_mode == WH_PRUNE_CHANNEL && c.sparsity == 0.25f &&
	    c.channel_norm == 1, "prune 'channels 25%% l1'");
	ok(parse(&c, &p, &gx, TUI_COL_PRUNE, "150%") == -1 &&
	    c.prune_mode == WH_PRUNE_CHANNEL, "prune '150%%': an error");

	ok(parse(&c, &p, &gx, TUI_COL_BITS, "4 asym tensor mse") == 0 &&
	    c.qtype == WH_Q_INT && c.bits == 4 && !c.symmetric &&
	    !c.per_channel && c.clip == WH_CLIP_MSE, "bits '4 asym tensor mse'");
	ok(parse(&c, &p, &gx, TUI_COL_BITS, "bf16") == 0 &&
	    c.qtype == WH_Q_BF16 && c.symmetric == 1, "bits 'bf16'");
	ok(parse(&c, &p, &gx, TUI_COL_BITS, "9") == -1, "bits '9': an error");
	ok(parse(&c, &p, &gx, TUI_COL_NM, "2:4") == 0 && c.nm_n == 2 &&
	    c.nm_m == 4, "N:M '2:4'");
	ok(parse(&c, &p, &gx, TUI_COL_NM, "4:2") == -1, "N:M '4:2': an error");
	ok(parse(&c, &p, &gx, TUI_COL_ACT, "8 p99.9") == 0 && c.act_bits == 8 &&
	    c.act_calib == WH_ACT_PERCENTILE && c.act_percentile == 99.9f,
	    "act '8 p99.9'");
	ok(parse(&c, &p, &gx, TUI_COL_ACT, "8 p40") == -1, "act '8 p40': an error");
}

/* What the prompt offers reads back as the same settings. */
static void
test_roundtrip(void)
{
	const char *vals[][2] = {
		{ "0", "17" }, { "0", "e0.93" }, { "1", "sparsity 0.35" },
		{ "1", "threshold 0.125" }, { "1", "channels 0.25 l1" },
		{ "2", "1:8" }, { "3", "3 asym tensor" }, { "3", "fp16" },
		{ "3", "6 mse" }, { "4", "8 p99.5" }, { "4", "8" },
	};
	size_t i;
	int good = 1;

	for (i = 0; i < sizeof vals / sizeof vals[0]; i++) {
		struct wh_layer_cfg c, d;
		struct tui_prefs p;
		char buf[128];
		int col = vals[i][0][0] - '0';

		wh_layer_cfg_init(&c);
		tui_prefs_init(&p);
		if (parse(&c, &p, &gx, col, vals[i][1]) != 0) {
			good = 0;
			tap_diag("'%s' does not parse: %s", vals[i][1], msg);
			continue;
		}
		tui_setting_text(&c, &p, col, buf, sizeof buf);
		wh_layer_cfg_init(&d);
		if (parse(&d, &p, &gx, col, buf) != 0 ||
		    !wh_layer_cfg_equal(&c, &d)) {
			good = 0;
			tap_diag("'%s' -> '%s' reads back differently", vals[i][1],
			    buf);
		}
	}
	ok(good, "every setting's prompt text reads back the same");
}

static void
test_text(void)
{
	struct wh_layer_cfg c;
	char buf[64];

	wh_layer_cfg_init(&c);
	ok(strcmp(tui_col_text(&c, &gl, 0, TUI_COL_BITS, buf, sizeof buf),
	    "-") == 0, "an off column reads '-'");
	c.lr_mode = WH_LR_RANK;
	c.rank = 20;
	ok(strcmp(tui_col_text(&c, &gl, 0, TUI_COL_RANK, buf, sizeof buf),
	    "20/128") == 0, "rank reads '20/128'");
	c.lr_mode = WH_LR_ENERGY;
	c.energy = 0.95f;
	ok(strcmp(tui_col_text(&c, &gl, 12, TUI_COL_RANK, buf, sizeof buf),
	    "e.95 r12") == 0, "energy reads 'e.95 r12' (%s)", buf);
	c.prune_mode = WH_PRUNE_SPARSITY;
	c.sparsity = 0.5f;
	ok(strcmp(tui_col_text(&c, &gl, 0, TUI_COL_PRUNE, buf, sizeof buf),
	    "sp 50%") == 0, "sparsity reads 'sp 50%%'");
	c.qtype = WH_Q_INT;
	c.bits = 4;
	c.symmetric = 0;
	ok(strcmp(tui_col_text(&c, &gl, 0, TUI_COL_BITS, buf, sizeof buf),
	    "uint4") == 0, "asymmetric 4 bits read 'uint4'");
}

static void
test_op_quant_text(void)
{
	struct wh_layer l = cl;
	struct wh_layer_cfg c;
	char b[64];

	ok(strcmp(tui_op_text(&gl, b, sizeof b), "Gemm") == 0 &&
	    strcmp(tui_op_text(&cl, b, sizeof b), "Conv") == 0,
	    "op: Gemm, Conv");
	l.group = 4;
	ok(strcmp(tui_op_text(&l, b, sizeof b), "Conv g4") == 0,
	    "op: a grouped Conv says its groups, not 'ConvG': '%s'", b);
	wh_layer_cfg_init(&c);
	c.qtype = WH_Q_INT;
	c.bits = 4;
	c.symmetric = 1;
	c.per_channel = 1;
	c.clip = WH_CLIP_MSE;
	ok(strcmp(tui_quant_text(&c, b, sizeof b),
	    "int4 symmetric per-channel mse") == 0 &&
	    strcmp(tui_quant_text_short(&c, 0, b, sizeof b),
	    "int4 sym. per-channel mse") == 0 &&
	    strcmp(tui_quant_text_short(&c, 1, b, sizeof b), "int4") == 0,
	    "quantization in three lengths, each whole");
}

static void
test_calc(void)
{
	uint64_t fine[TUI_NBINS], out[97], sum = 0, lo = UINT64_MAX, hi = 0;
	char buf[32];
	double a, b;
	int i;

	for (i = 0; i < TUI_NBINS; i++)
		fine[i] = 10;
	tui_rebin(fine, TUI_NBINS, out, 97);
	for (i = 0; i < 97; i++) {
		sum += out[i];
		lo = out[i] < lo ? out[i] : lo;
		hi = out[i] > hi ? out[i] : hi;
	}
	ok(hi - lo <= 1, "rebin: a flat histogram stays flat at 97 columns "
	    "(%llu..%llu)", (unsigned long long)lo, (unsigned long long)hi);
	ok(sum >= 20480 - 97 && sum <= 20480 + 97, "rebin keeps the total");
	memset(fine, 0, sizeof fine);
	fine[TUI_NBINS / 2] = 1000;
	tui_rebin(fine, TUI_NBINS, out, 64);
	ok(out[32] == 1000, "rebin: a spike lands whole in its column");

	ok(strcmp(tui_thousands(3072, buf, sizeof buf), "3,072") == 0 &&
	    strcmp(tui_thousands(10000, buf, sizeof buf), "10,000") == 0 &&
	    strcmp(tui_thousands(999, buf, sizeof buf), "999") == 0 &&
	    strcmp(tui_thousands(1234567, buf, sizeof buf), "1,234,567") == 0,
	    "thousands separators");
	tui_hist_range(wg, 128 * 200, &a, &b);
	ok(a == -b && b > 2.09 && b < 2.2, "histogram range: symmetric, "
	    "just past the largest magnitude (%g)", b);
	{
		float w[5] = { -3, 1, -2, 0.5f, 4 };

		ok(tui_mag_select(w, 5, 0) == 0.5f && tui_mag_select(w, 5, 2) == 2 &&
		    tui_mag_select(w, 5, 4) == 4, "magnitude order statistics");
		ok(tui_frac_below(w, 5, 2.5f) == 0.6, "fraction below 2.5: 0.6");
	}
}

int
main(void)
{
	struct wh_wstats st;

	fill(wg, sizeof wg / sizeof wg[0]);
	fill(wc, sizeof wc / sizeof wc[0]);
	gemm_layer(&gl, 128, 200, wg);
	conv_layer(&cl, 8, 3, 3, wc);
	wh_wstats_compute(wg, 128 * 200, &st);
	gx.l = &gl;
	gx.std = st.std;
	cx.l = &cl;
	cx.std = 1;

	test_rank();
	test_energy_spatial();
	test_prune();
	test_bits_nm_act();
	test_toggle_copy();
	test_parse();
	test_roundtrip();
	test_text();
	test_calc();
	test_op_quant_text();
	return tap_done();
}
