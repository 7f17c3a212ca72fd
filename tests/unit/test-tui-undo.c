/* test-tui-undo.c - the workbench's undo history (src/tui/undo.c) */
#include <string.h>

#include "tap.h"
#include "../../src/tui/undo.h"

#define N 3

static void
make(struct wh_layer_cfg *c, int rank)
{
	int i;

	for (i = 0; i < N; i++) {
		wh_layer_cfg_init(&c[i]);
		if (rank > 0) {
			c[i].lr_mode = WH_LR_RANK;
			c[i].rank = rank + i;
		}
	}
}

static int
same(const struct wh_layer_cfg *a, const struct wh_layer_cfg *b)
{
	int i;

	for (i = 0; i < N; i++)
		if (!wh_layer_cfg_equal(&a[i], &b[i]))
			return 0;
	return 1;
}

int
main(void)
{
	struct wh_layer_cfg s0[N], s1[N], s2[N], s3[N];
	const struct wh_layer_cfg *c;
	struct tui_undo u;
	const char *label = NULL;
	int i, good;

	make(s0, 0);
	make(s1, 10);
	make(s2, 20);
	make(s3, 30);
	tui_undo_init(&u, N, s0);
	ok(tui_undo_undo(&u, &label) == NULL, "nothing to undo at the start");
	ok(tui_undo_redo(&u, &label) == NULL, "nothing to redo at the start");
	tui_undo_push(&u, s1, "one");
	tui_undo_push(&u, s2, "two");
	c = tui_undo_undo(&u, &label);
	ok(c != NULL && same(c, s1) && strcmp(label, "two") == 0,
	    "undo returns the settings before 'two', naming it");
	c = tui_undo_undo(&u, &label);
	ok(c != NULL && same(c, s0) && strcmp(label, "one") == 0,
	    "undo again: the start");
	ok(tui_undo_undo(&u, &label) == NULL, "and no further");
	c = tui_undo_redo(&u, &label);
	ok(c != NULL && same(c, s1) && strcmp(label, "one") == 0, "redo 'one'");
	tui_undo_push(&u, s3, "three");
	ok(tui_undo_redo(&u, &label) == NULL,
	    "a new change drops what could be redone");
	c = tui_undo_undo(&u, &label);
	ok(c != NULL && same(c, s1) && strcmp(label, "three") == 0,
	    "undo 'three' goes back to 'one'");
	s1[0].rank = 99;
	ok(same(c, s1) == 0, "snapshots are copies, not the caller's arrays");
	tui_undo_release(&u);

	/* the oldest snapshots go past TUI_UNDO_MAX */
	make(s0, 0);
	tui_undo_init(&u, N, s0);
	for (i = 1; i <= TUI_UNDO_MAX + 10; i++) {
		make(s1, i);
		tui_undo_push(&u, s1, "step");
	}
	ok(u.count == TUI_UNDO_MAX, "the history holds at most %d snapshots",
	    TUI_UNDO_MAX);
	good = 1;
	for (i = TUI_UNDO_MAX + 9; i >= 11; i--) {
		c = tui_undo_undo(&u, &label);
		make(s1, i);
		if (c == NULL || !same(c, s1))
			good = 0;
	}
	ok(good && tui_undo_undo(&u, &label) == NULL,
	    "and undoes in order down to the oldest kept");
	tui_undo_release(&u);
	return tap_done();
}
