/* edit.h - the workbench's setting columns: steps, toggles, mode cycles,
 * typed values and their short forms.  Pure functions of a layer's
 * settings (no curses, no threads), so every rule is unit-tested. */
#ifndef WHITTLE_TUI_EDIT_H
#define WHITTLE_TUI_EDIT_H

#include <stddef.h>

#include "whittle/compress.h"
#include "whittle/graph.h"

/* The setting columns of the layer table, left to right. */
enum { TUI_COL_RANK, TUI_COL_PRUNE, TUI_COL_NM, TUI_COL_BITS, TUI_COL_ACT,
	TUI_NCOLS };

/* The low-rank modes `m` cycles through: WH_LR_RANK, WH_LR_ENERGY, and
 * this one, a rank on the spatial view of a Conv (cfg: WH_LR_RANK with
 * spatial 1). */
#define TUI_LR_SPATIAL 3

/*
 * What the workbench remembers about a layer besides its settings: the
 * mode a transform takes when switched on, and each transform's last
 * values while it was on (space switches it off and back on).
 */
struct tui_prefs {
	int lr_mode;		/* WH_LR_RANK, WH_LR_ENERGY or TUI_LR_SPATIAL */
	int prune_mode;		/* WH_PRUNE_SPARSITY, _THRESHOLD or _CHANNEL */
	struct wh_layer_cfg last;	/* the fields of each column, as last on */
	unsigned has_last;	/* bit (1 << col): last holds that column */
};

/*
 * What the rules need to know of a layer.  w: (out, in) the original
 * weights (read-only; for the magnitude quantiles of a prune mode switch),
 * std their standard deviation (the threshold step is 0.1 std, coarse
 * 0.5 std), sv: (nsv) its singular values or NULL while unknown, rank the
 * rank the current settings resolved to (0 when unknown).
 */
struct tui_lctx {
	const struct wh_layer *l;
	double std;
	const float *sv;
	int nsv;
	int rank;
};

/* Fills p with the defaults: rank mode, sparsity mode, nothing remembered. */
void tui_prefs_init(struct tui_prefs *p);

/* "rank", "prune", "N:M", "bits", "act" */
const char *tui_col_name(int col);

/* 1 when the column's transform is on in c. */
int tui_col_on(const struct wh_layer_cfg *c, int col);

/* The low-rank mode of c as the table shows it (WH_LR_NONE when off). */
int tui_lr_mode(const struct wh_layer_cfg *c);

/* Resets the fields the chosen modes do not use to their defaults (as
 * wh_layer_cfg_init sets them), so equal effects compare equal. */
void tui_cfg_normalize(struct wh_layer_cfg *c);

/*
 * The value steps, one rule for every column: dir -1 ('-') makes the
 * layer smaller, more compressed (a lower rank or energy, a higher
 * sparsity or threshold, a sparser N:M, fewer bits, 8-bit activations),
 * dir +1 ('+') less; coarse takes the big step.  The steps: rank 1 / 10%
 * of the maximum, energy 0.01 / 0.05, sparsity and channel fraction
 * 0.05 / 0.20, threshold 0.1 / 0.5 std, bits 2..8, then fp16, then off
 * (coarse: two rungs), N:M through off, 3:4, 2:4, 1:4, 1:8, 1:16
 * (coarse: two), act off / 8.  A transform that is off counts as its
 * identity end (rank and energy at the top, pruning at 0, 32-bit floats)
 * and is switched on by a step away from it; a step back onto that end
 * switches it off.  Rank steps pass over the ranks that store more than
 * the dense layer (above wh_lowrank_saving_rank): the first '-' from full
 * rank goes to the largest rank that saves, a '+' above it switches
 * low-rank off.
 *
 * Returns 0 when c changed; -1 with a message in msg (of size msz) when
 * the step is not possible (at a limit, or the transform does not apply).
 */
int tui_step(struct wh_layer_cfg *c, struct tui_prefs *p,
    const struct tui_lctx *x, int col, int dir, int coarse, char *msg,
    size_t msz);

/* Space: switches the column's transform off (remembering its values in
 * p) or on (with the remembered values, else the defaults).  0 or -1 as
 * tui_step. */
int tui_toggle(struct wh_layer_cfg *c, struct tui_prefs *p,
    const struct tui_lctx *x, int col, char *msg, size_t msz);

/*
 * `t`: the next prune mode (sparsity -> threshold -> channels ->
 * sparsity).  When pruning is on it keeps about the same fraction of
 * zeros: a threshold becomes the magnitude quantile of its fraction.
 * Otherwise only the preferred mode changes.  Always 0; msg says what
 * happened.
 */
int tui_cycle_prune(struct wh_layer_cfg *c, struct tui_prefs *p,
    const struct tui_lctx *x, char *msg, size_t msz);

/* `m`: the next low-rank mode (rank -> energy -> spatial for a Conv ->
 * rank), converting the value when on.  0, or -1 when low-rank does not
 * apply to the layer. */
int tui_cycle_lr(struct wh_layer_cfg *c, struct tui_prefs *p,
    const struct tui_lctx *x, char *msg, size_t msz);

/*
 * A typed value for the column (see whittle(1), KEYS):
 *   rank:  off | N | rN | eF | F% | sN       (F: a fraction; a plain
 *          number with a '.' is an energy)
 *   prune: off | F | F% | Fs (threshold in units of std) |
 *          sparsity F | threshold F | channels F [l1|l2]
 *   N:M:   off | N:M
 *   bits:  off | 32 | 16 | fp16 | bf16 | 2..8 [sym|asym] [channel|tensor]
 *          [minmax|mse]
 *   act:   off | 8 [minmax | pP]
 * Returns 0 and the new settings in c, or -1 and a message in msg; c is
 * unchanged then.  Ranges that need the layer (a rank above the maximum)
 * are left to wh_layer_cfg_check.
 */
int tui_parse_setting(struct wh_layer_cfg *c, struct tui_prefs *p,
    const struct tui_lctx *x, int col, const char *text, char *msg,
    size_t msz);

/* The current value of the column as the prompt offers it for editing,
 * in the syntax tui_parse_setting reads back. */
const char *tui_setting_text(const struct wh_layer_cfg *c,
    const struct tui_prefs *p, int col, char *buf, size_t size);

/*
 * Copies the column's fields from src to dst for layer dl ("apply to
 * all"): a rank above dl's maximum is lowered to it.  0, or -1 when the
 * setting cannot apply to dl (low-rank on a layer without, spatial on a
 * non-Conv); dst is unchanged then.
 */
int tui_copy_col(struct wh_layer_cfg *dst, const struct wh_layer_cfg *src,
    int col, const struct wh_layer *dl);

/* The column's short form for the table, at most 11 columns wide:
 * "12/128", "e.95 r12", "s4/48", "sp 50%", "th .052", "ch 25%", "2:4",
 * "int4", "fp16", "a8"; "-" when off.  rank: the resolved rank for the
 * energy mode (0 when unknown). */
const char *tui_col_text(const struct wh_layer_cfg *c,
    const struct wh_layer *l, int rank, int col, char *buf, size_t size);

/* The operator for the table's op column: "Gemm", "MatMul", "Conv", or
 * for a grouped convolution its groups, "Conv g32".  Returns buf or a
 * constant string. */
const char *tui_op_text(const struct wh_layer *l, char *buf, size_t size);

/* A longer description of the quantization for the histogram's title:
 * "int4 symmetric per-channel min/max". */
const char *tui_quant_text(const struct wh_layer_cfg *c, char *buf,
    size_t size);
/* Shorter forms of it: short 0 "int4 sym. per-channel mse", 1 "int4". */
const char *tui_quant_text_short(const struct wh_layer_cfg *c, int shorter,
    char *buf, size_t size);

#endif
