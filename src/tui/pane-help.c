/* pane-help.c - the help overlay: every key of the key map */
#include <stdio.h>
#include <string.h>

#include "crt.h"
#include "keys.h"
#include "tui.h"

void
tui_draw_help(struct tui *t)
{
	int rows = tui_nkeydefs, kw = 0, hw = 0, ncol, per, cw, bw, bh, bx, by;
	int i, r;

	(void)t;
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
	bw = ncol * cw + (ncol - 1) * 3 + 4;
	if (bw > crt.cols)
		bw = crt.cols;
	cw = (bw - 4 - (ncol - 1) * 3) / ncol;
	bh = per + 4;
	if (bh > crt.rows - 1)
		bh = crt.rows - 1;
	bx = (crt.cols - bw) / 2;
	by = (crt.rows - 1 - bh) / 2;
	crt_clear(by, bx, bh, bw);
	crt_title(by, bx, bw, "keys (any key closes)", 1);
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
