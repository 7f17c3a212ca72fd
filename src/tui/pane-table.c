/* pane-table.c - the layer table: a row per compressible layer with its
 * shape, settings and compressed size; the selected row and the focused
 * setting column highlighted */
#include <stdio.h>
#include <string.h>

#include "crt.h"
#include "tui.h"
#include "whittle/util.h"

enum { C_NAME, C_OP, C_SHAPE, C_PARAMS, C_RANK, C_PRUNE, C_NM, C_BITS, C_ACT,
	C_SIZE, C_N };

static const char *heads[C_N] = { "layer", "op", "shape", "params", "rank",
	"prune", "N:M", "bits", "act", "size" };

/* Whether layer i's settings store more than its float32 weights (a
 * rank too high to save anything, say), by the core's count. */
static int
larger(const struct tui *t, int i)
{
	const struct tui_linfo *f = tui_info(t, i);

	return f != NULL && f->cost.bytes > t->L[i].orig.bytes;
}

/* Whether a layer carries a mark: free to compress, or locked. */
static int
any_mark(const struct tui *t)
{
	int i;

	for (i = 0; i < t->n; i++)
		if ((t->locked != NULL && t->locked[i]) ||
		    tui_sens_free_layer(t, i))
			return 1;
	return 0;
}

/* The text of cell (i, c). */
static const char *
cell(struct tui *t, int i, int c, char *buf, size_t size)
{
	const struct tui_layer *L = &t->L[i];
	const struct tui_linfo *f = tui_info(t, i);
	int pending = f == NULL && (tui_col_on(&t->cfg[i], TUI_COL_RANK) ||
	    tui_col_on(&t->cfg[i], TUI_COL_PRUNE) ||
	    tui_col_on(&t->cfg[i], TUI_COL_NM) ||
	    tui_col_on(&t->cfg[i], TUI_COL_BITS) ||
	    tui_col_on(&t->cfg[i], TUI_COL_ACT));

	switch (c) {
	case C_NAME:
		/* @ locked for the search, * free: 8x smaller at no
		 * measured cost */
		if (t->locked != NULL && t->locked[i]) {
			snprintf(buf, size, "@%s", L->l->name);
			return buf;
		}
		if (tui_sens_free_layer(t, i)) {
			snprintf(buf, size, "*%s", L->l->name);
			return buf;
		}
		return L->l->name;
	case C_OP:
		return tui_op_text(L->l, buf, size);
	case C_SHAPE:
		return L->shape;
	case C_PARAMS:
		/* the model's: a factored layer's are its factors' */
		return wh_fmt_count((double)L->orig.params, buf, size);
	case C_SIZE:
		if (pending)
			return crt_sym(CRT_S_ELLIPSIS);
		wh_fmt_bytes((double)(f != NULL ? f->cost.bytes :
		    L->orig.bytes), buf, size);
		/* flagged: the settings store more than the dense layer */
		if (larger(t, i) && strlen(buf) + 1 < size)
			strcat(buf, "!");
		return buf;
	}
	return tui_col_text(&t->cfg[i], L->l, f != NULL ? f->rank : 0,
	    c - C_RANK, buf, size);
}

void
tui_draw_table(struct tui *t, int x, int y, int w, int h)
{
	int width[C_N], show[C_N], i, c, total, rows, r, cx;
	char buf[64], title[256];
	int dirty = tui_dirty(t);
	const char *base = strrchr(t->o->model_path, '/');

	base = base != NULL ? base + 1 : t->o->model_path;
	for (i = 0, c = 0; i < t->n; i++)
		c |= larger(t, i);
	snprintf(title, sizeof title, "%s: %d layer%s%s", base, t->n,
	    t->n == 1 ? "" : "s", dirty ? " [modified]" : "");
	/* what a flagged size means, where it fits */
	if (c && crt_width(title) + 30 <= w)
		snprintf(title + strlen(title), sizeof title - strlen(title),
		    " (size!: more than float32)");
	crt_title(y, x, w, title, t->focus == TUI_FOCUS_TABLE);
	if (h < 3)
		return;

	/* each column as wide as its widest cell */
	for (c = 0; c < C_N; c++) {
		width[c] = crt_width(heads[c]);
		for (i = 0; i < t->n; i++) {
			int cw = crt_width(cell(t, i, c, buf, sizeof buf));

			if (cw > width[c])
				width[c] = cw;
		}
		show[c] = 1;
	}
	if (width[C_SIZE] < 9)
		width[C_SIZE] = 9;
	if (width[C_NAME] > 24)
		width[C_NAME] = 24;
	/* drop what matters least until the rest fits; then squeeze names */
	for (;;) {
		total = -1;
		for (c = 0; c < C_N; c++)
			if (show[c])
				total += width[c] + 1;
		if (total <= w)
			break;
		if (show[C_SHAPE])
			show[C_SHAPE] = 0;
		else if (show[C_PARAMS])
			show[C_PARAMS] = 0;
		else if (show[C_OP])
			show[C_OP] = 0;
		else if (width[C_NAME] > 8)
			width[C_NAME]--;
		else
			break;
	}
	if (total < w)
		width[C_NAME] += w - total;

	/* the header */
	cx = x;
	for (c = 0; c < C_N; c++) {
		int focus = c - C_RANK == t->col && t->focus == TUI_FOCUS_TABLE;

		if (!show[c])
			continue;
		crt_puts(y + 1, cx, width[c] + 1, focus ? CRT_HEADER_FOCUS :
		    CRT_HEADER, 1, c == C_NAME && any_mark(t) ?
		    "layer *free @lock" : heads[c]);
		cx += width[c] + 1;
	}

	/* the rows, scrolled to keep the selection in view */
	rows = h - 2;
	if (t->sel < t->top)
		t->top = t->sel;
	if (t->sel >= t->top + rows)
		t->top = t->sel - rows + 1;
	if (t->top > t->n - rows)
		t->top = t->n - rows > 0 ? t->n - rows : 0;
	t->table_y = y + 2;
	t->table_h = rows;
	for (r = 0; r < rows; r++) {
		i = t->top + r;
		if (i >= t->n) {
			crt_puts(y + 2 + r, x, w, CRT_NORMAL, 1, "");
			continue;
		}
		cx = x;
		for (c = 0; c < C_N; c++) {
			enum crt_role role = CRT_NORMAL;
			const char *s;
			int right = c == C_PARAMS || c == C_SIZE, pad;

			if (!show[c])
				continue;
			if (i == t->sel)
				role = c - C_RANK == t->col &&
				    t->focus == TUI_FOCUS_TABLE ? CRT_FOCUS : CRT_SEL;
			else if (c >= C_RANK && c <= C_ACT &&
			    !tui_col_on(&t->cfg[i], c - C_RANK))
				role = CRT_DIM;
			else if (c == C_SIZE && larger(t, i))
				role = CRT_BAD;
			s = cell(t, i, c, buf, sizeof buf);
			pad = right ? width[c] - crt_width(s) : 0;
			if (pad > 0)
				crt_puts(y + 2 + r, cx, pad, i == t->sel ?
				    role : CRT_NORMAL, 1, "");
			crt_puts(y + 2 + r, cx + (pad > 0 ? pad : 0),
			    width[c] - (pad > 0 ? pad : 0), role, 1, s);
			if (c != C_SIZE)
				crt_puts(y + 2 + r, cx + width[c], 1,
				    i == t->sel ? CRT_SEL : CRT_NORMAL, 1, "");
			cx += width[c] + 1;
		}
		if (cx < x + w)
			crt_puts(y + 2 + r, cx, x + w - cx, i == t->sel ?
			    CRT_SEL : CRT_NORMAL, 1, "");
	}
	if (t->n > rows) {
		snprintf(buf, sizeof buf, " %d-%d of %d ", t->top + 1,
		    t->top + rows < t->n ? t->top + rows : t->n, t->n);
		crt_puts(y, x + w - crt_width(buf) - 1, crt_width(buf), CRT_AXIS,
		    0, buf);
	}
}
