/*
 * fuzz-plan.c - the plan parser, and writing a plan back
 *
 * The bytes are a plan file.  What wh_plan_parse accepts must survive the
 * round trip: written with wh_plan_to_json and parsed again it gives the
 * same plan, and writing that gives the same text.  A difference aborts.
 * Seeds: mkseeds' plan/ and share/plans, dictionary: plan.dict.
 */
#include <stdlib.h>
#include <string.h>

#include "whittle/plan.h"
#include "fuzz.h"

static int
same_str(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return (a == NULL || a[0] == '\0') && (b == NULL || b[0] == '\0');
	return strcmp(a, b) == 0;
}

static const struct wh_plan_layer *
find(const struct wh_plan *p, const char *name)
{
	int i;

	for (i = 0; i < p->nlayers; i++)
		if (strcmp(p->layers[i].name, name) == 0)
			return &p->layers[i];
	return NULL;
}

/* Equal as plans: layers equal to the defaults may be left out. */
static int
same_plan(const struct wh_plan *a, const struct wh_plan *b)
{
	const struct wh_plan_result *ra = &a->result, *rb = &b->result;
	const struct wh_plan_layer *l;
	int i;

	if (!same_str(a->model_path, b->model_path) ||
	    strcmp(a->model_sha256, b->model_sha256) != 0 ||
	    !same_str(a->images, b->images) || !same_str(a->labels, b->labels) ||
	    strcmp(a->images_sha256, b->images_sha256) != 0 ||
	    strcmp(a->labels_sha256, b->labels_sha256) != 0 ||
	    !wh_layer_cfg_equal(&a->defaults, &b->defaults))
		return 0;
	for (i = 0; i < a->nlayers; i++) {
		l = find(b, a->layers[i].name);
		if (!wh_layer_cfg_equal(&a->layers[i].cfg,
		    l != NULL ? &l->cfg : &b->defaults))
			return 0;
	}
	for (i = 0; i < b->nlayers; i++) {
		l = find(a, b->layers[i].name);
		if (!wh_layer_cfg_equal(&b->layers[i].cfg,
		    l != NULL ? &l->cfg : &a->defaults))
			return 0;
	}
	if (ra->has != rb->has)
		return 0;
	if (ra->has && (ra->samples != rb->samples ||
	    ra->base_accuracy != rb->base_accuracy ||
	    ra->accuracy != rb->accuracy ||
	    ra->precision_macro != rb->precision_macro ||
	    ra->recall_macro != rb->recall_macro ||
	    ra->f1_macro != rb->f1_macro ||
	    ra->original_bytes != rb->original_bytes ||
	    ra->bytes != rb->bytes || ra->ratio != rb->ratio ||
	    ra->macs != rb->macs || ra->macs_sparse != rb->macs_sparse ||
	    strcmp(ra->date, rb->date) != 0 ||
	    strcmp(ra->version, rb->version) != 0))
		return 0;
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wh_plan p, q;
	char *err = NULL, *json, *again;

	if (wh_plan_parse(&p, "fuzz.json", (const char *)data, size,
	    &err) != 0) {
		if (err == NULL || err[0] == '\0')
			abort();
		free(err);
		return 0;
	}
	json = wh_plan_to_json(&p);
	if (wh_plan_parse(&q, "again.json", json, strlen(json), &err) != 0)
		abort();	/* what the writer wrote, the parser refused */
	again = wh_plan_to_json(&q);
	if (strcmp(json, again) != 0 || !same_plan(&p, &q))
		abort();
	free(again);
	free(json);
	wh_plan_release(&q);
	wh_plan_release(&p);
	return 0;
}
