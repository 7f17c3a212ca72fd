/* undo.c - whole-model snapshots of the layer settings */
#include <stdlib.h>
#include <string.h>

#include "undo.h"
#include "whittle/util.h"

static void
entry_set(struct tui_undo *u, struct tui_undo_entry *e,
    const struct wh_layer_cfg *cfg, const char *label)
{
	e->cfg = xreallocarray(NULL, u->n ? (size_t)u->n : 1, sizeof *e->cfg);
	memcpy(e->cfg, cfg, (size_t)u->n * sizeof *e->cfg);
	e->label = xstrdup(label != NULL ? label : "");
}

static void
entry_free(struct tui_undo_entry *e)
{
	free(e->cfg);
	free(e->label);
	e->cfg = NULL;
	e->label = NULL;
}

void
tui_undo_init(struct tui_undo *u, int n, const struct wh_layer_cfg *cfg)
{
	memset(u, 0, sizeof *u);
	u->n = n;
	u->cap = 16;
	u->e = xcalloc((size_t)u->cap, sizeof *u->e);
	entry_set(u, &u->e[0], cfg, "start");
	u->count = 1;
}

void
tui_undo_release(struct tui_undo *u)
{
	int i;

	for (i = 0; i < u->count; i++)
		entry_free(&u->e[i]);
	free(u->e);
	memset(u, 0, sizeof *u);
}

void
tui_undo_push(struct tui_undo *u, const struct wh_layer_cfg *cfg,
    const char *label)
{
	int i;

	for (i = u->pos + 1; i < u->count; i++)
		entry_free(&u->e[i]);
	u->count = u->pos + 1;
	if (u->count == TUI_UNDO_MAX) {
		entry_free(&u->e[0]);
		memmove(&u->e[0], &u->e[1], (size_t)(u->count - 1) *
		    sizeof *u->e);
		u->count--;
		u->pos--;
	}
	if (u->count == u->cap) {
		u->cap *= 2;
		u->e = xreallocarray(u->e, (size_t)u->cap, sizeof *u->e);
	}
	entry_set(u, &u->e[u->count], cfg, label);
	u->pos = u->count++;
}

const struct wh_layer_cfg *
tui_undo_undo(struct tui_undo *u, const char **label)
{
	if (u->pos == 0)
		return NULL;
	if (label != NULL)
		*label = u->e[u->pos].label;
	u->pos--;
	return u->e[u->pos].cfg;
}

const struct wh_layer_cfg *
tui_undo_redo(struct tui_undo *u, const char **label)
{
	if (u->pos + 1 >= u->count)
		return NULL;
	u->pos++;
	if (label != NULL)
		*label = u->e[u->pos].label;
	return u->e[u->pos].cfg;
}
