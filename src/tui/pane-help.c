/* pane-help.c - the help overlay: page 1 every key of the key map, page 2
 * what the table's columns show and the values the prompt takes */
#include <stdio.h>
#include <string.h>

#include "crt.h"
#include "keys.h"
#include "tui.h"

/* Page 2: a line starting with '#' is a heading. */
static const char *const page2[] = {
	"#the columns of the table",
	"op     the ONNX operator (Conv g32: a convolution of 32 groups)",
	"rank   low-rank by SVD: kept/full (s: of the spatial view, e.95 r12:",
	"       energy 0.95 kept by rank 12)",
	"prune  sp 50%: sparsity, th .05: |w| threshold, ch 25%: output channels",
	"N:M    2:4 keeps 2 of every 4 weights",
	"bits   int8..int2 per channel (u: asymmetric, /t: per tensor), fp16, bf16",
	"act    a8: layer inputs quantized to 8 bits (a8p: percentile calibration)",
	"size   as stored; size! stores more than float32 (a rank too high)",
	"#values to type (Enter or :)",
	"rank   30, s12 (spatial), e0.9 or 90% (energy kept), off",
	"prune  sparsity 0.5 or 50%, threshold 0.05, 1.5s (in std), channels 0.25",
	"       [l1|l2], a bare number in the current mode, off",
	"N:M    2:4, off",
	"bits   2..8 with any of sym asym channel tensor minmax mse (4 mse),",
	"       fp16, bf16, off",
	"act    8, 8 p99.99 (calibrated on that percentile), off",
	"#editing the prompt",
	"typing replaces the value offered; Backspace, Delete, Left, Right, Home",
	"and End edit it; C-u clears, C-w cuts a word, C-k the rest; Esc cancels",
};
#define NPAGE2 ((int)(sizeof page2 / sizeof page2[0]))

/* The box: w x h centred above the hint bar. */
static void
box(int w, int h, int *bx, int *by, int *bw, int *bh)
{
	*bw = w > crt.cols ? crt.cols : w;
	*bh = h > crt.rows - 1 ? crt.rows - 1 : h;
	*bx = (crt.cols - *bw) / 2;
	*by = (crt.rows - 1 - *bh) / 2;
	/* a blank margin around it where there is room, so that the screen
	 * under it does not run into its text */
	{
		int x0 = *bx > 0 ? *bx - 1 : 0, y0 = *by > 0 ? *by - 1 : 0;
		int x1 = *bx + *bw < crt.cols ? *bx + *bw + 1 : crt.cols;
		int y1 = *by + *bh < crt.rows - 1 ? *by + *bh + 1 : crt.rows - 1;

		crt_clear(y0, x0, y1 - y0, x1 - x0);
	}
}

static void
draw_keys(void)
{
	int rows = tui_nkeydefs, kw = 0, hw = 0, ncol, per, cw, bw, bh, bx, by;
	int i, r;

	for (i = 0; i < tui_nkeydefs; i++) {
		int a = crt_width(tui_keydefs[i].keys);
		int b = crt_width(tui_keydefs[i].help);

		kw = a > kw ? a : kw;
		hw = b > hw ? b : hw;
	}
	/* one column when it fits in the height, else two */
	ncol = rows + 4 <= crt.rows - 1 ? 1 : 2;
	per = (rows + ncol - 1) / ncol;
	cw = kw + 2 + hw;
	box(ncol * cw + (ncol - 1) * 3 + 4, per + 4, &bx, &by, &bw, &bh);
	cw = (bw - 4 - (ncol - 1) * 3) / ncol;
	crt_title(by, bx, bw, "keys, page 1 of 2 (Tab: the columns and values; "
	    "any other key closes)", 1);
	for (i = 0; i < tui_nkeydefs; i++) {
		int col = i / per, x = bx + 2 + col * (cw + 3);

		r = by + 2 + i % per;
		if (r >= by + bh - 1)
			continue;
		crt_puts(r, x, kw, CRT_HEADER, 1, tui_keydefs[i].keys);
		crt_puts(r, x + kw + 2, cw - kw - 2, CRT_NORMAL, 1,
		    tui_keydefs[i].help);
	}
	crt_title(by + bh - 1, bx, bw, "see whittle(1), KEYS", 0);
}

static void
draw_values(void)
{
	int w = 0, i, bx, by, bw, bh, r;

	for (i = 0; i < NPAGE2; i++)
		if (crt_width(page2[i]) > w)
			w = crt_width(page2[i]);
	box(w + 4, NPAGE2 + 2, &bx, &by, &bw, &bh);
	crt_title(by, bx, bw, "page 2 of 2 (Tab: the keys; any other key "
	    "closes)", 1);
	for (i = 0, r = by + 1; i < NPAGE2 && r < by + bh - 1; i++, r++) {
		if (page2[i][0] == '#')
			crt_puts(r, bx + 2, bw - 4, CRT_HEADER, 1, page2[i] + 1);
		else
			crt_puts(r, bx + 2, bw - 4, CRT_NORMAL, 1, page2[i]);
	}
	crt_title(by + bh - 1, bx, bw, "see whittle(1), KEYS", 0);
}

void
tui_draw_help(struct tui *t)
{
	if (t->help == 2)
		draw_values();
	else
		draw_keys();
}
