/* test-tui-sens.c - the workbench's sensitivity thread: it fills the
 * table with what the core measures directly, and runs a search */
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/tui/sens.h"
#include "fixtures.h"
#include "tap.h"
#include "whittle/graph.h"
#include "whittle/model.h"
#include "whittle/util.h"

/* Waits (at most a few minutes, never for a measurement of speed) for a
 * message of type want, handing the others to seen(). */
static struct tui_sens_msg *
wait_for(struct tui_sens *s, enum tui_sens_type want, struct wh_sens_table *t,
    int *npoints)
{
	int rounds;

	for (rounds = 0; rounds < 3000; rounds++) {
		struct pollfd p = { tui_sens_fd(s), POLLIN, 0 };
		struct tui_sens_msg *m, *found = NULL;

		poll(&p, 1, 100);
		for (m = tui_sens_take(s); m != NULL;) {
			struct tui_sens_msg *next = m->next;

			if (m->type == TUI_S_CELL && m->setting < t->nsettings)
				*wh_sens_cell(t, m->layer, m->setting) = m->cell;
			if (m->type == TUI_S_POINT)
				(*npoints)++;
			m->next = NULL;
			if (m->type == want && found == NULL)
				found = m;
			else
				tui_sens_msg_free(m);
			m = next;
		}
		if (found != NULL)
			return found;
	}
	return NULL;
}

int
main(void)
{
	char *images, *labels, *path = fx_model("fashion-cnn"), *err = NULL;
	struct wh_model *m;
	struct wh_graph *g;
	struct wh_dataset *d;
	struct wh_eval_opts eo = { 256, 2, (size_t)1 << 30 };
	struct wh_sens_setting *set;
	struct wh_sens_table ui, direct;
	struct wh_sens_opts so;
	struct wh_state *st;
	struct tui_sens *s;
	struct tui_sens_msg *msg;
	int n, i, same = 1, npoints = 0;

	if (!fx_have_fashion(&images, &labels)) {
		tap_skip("Fashion-MNIST is not installed");
		return tap_done();
	}
	m = wh_model_load(path, &err);
	g = wh_graph_new(m, &err);
	d = wh_data_load(images, labels, 10, &err);
	n = wh_sens_settings("int8,int3,sp80,e0.9", &set, NULL);
	wh_sens_table_init(&ui, g, set, n);
	wh_sens_table_init(&direct, g, set, n);
	st = wh_state_new(g, d, &m->pre, 0, &eo, &err);
	memset(&so, 0, sizeof so);
	wh_sens_rule_default(&so.rule);
	wh_sens_measure(st, &direct, &so, NULL);
	wh_state_free(st);
	s = tui_sens_start(g, d, &m->pre, 0, &eo, &ui, NULL, &err);
	ok(s != NULL, "the thread starts");
	msg = wait_for(s, TUI_S_TABLE, &ui, &npoints);
	ok(msg != NULL, "it completes the table");
	tui_sens_msg_free(msg);
	for (i = 0; i < ui.nlayers * ui.nsettings; i++) {
		const struct wh_sens_cell *a = &ui.cells[i], *b = &direct.cells[i];

		if (a->status != b->status || a->samples != b->samples ||
		    a->correct != b->correct || a->kl != b->kl)
			same = 0;
	}
	ok(same, "every cell it posted equals the core's own measurement");

	tui_sens_pause(s, 1);
	tui_sens_search(s, 0.5, NULL, NULL);
	tui_sens_pause(s, 0);
	msg = wait_for(s, TUI_S_SEARCHED, &ui, &npoints);
	ok(msg != NULL && msg->chosen >= 0 && msg->chosen < npoints,
	    "a search posts %d verified plans and chooses one: %s", npoints,
	    msg && msg->text ? msg->text : "(none)");
	tui_sens_msg_free(msg);
	tui_sens_stop(s);
	wh_sens_table_release(&ui);
	wh_sens_table_release(&direct);
	free(set);
	wh_data_free(d);
	wh_graph_free(g);
	wh_model_free(m);
	free(images);
	free(labels);
	free(path);
	return tap_done();
}
