/* test-tui-worker.c - the workbench's background threads (src/tui/worker.c)
 * without a terminal: snapshots posted faster than they can be evaluated,
 * every result checked against the snapshot of its generation.  Built
 * with -fsanitize=thread by tests/tui/tsan.sh. */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "../../src/tui/worker.h"
#include "whittle/data.h"
#include "whittle/stats.h"
#include "whittle/util.h"

#define GENS 60

static struct wh_layer_cfg snap[GENS + 1][16];

int
main(void)
{
	char *model_path, *images = NULL, *labels = NULL, *err = NULL;
	char xpath[256];
	struct wh_model *m;
	struct wh_graph *g;
	struct wh_dataset *d;
	struct wh_state *s;
	struct wh_eval_opts eo = { 0 };
	struct tui_worker *w;
	double lo[16], hi[16];
	int n, i, gen, results = 0, wrong = 0, base = 0, layers = 0, svals = 0;
	int exported = -1, last_ok = 0, stale_late = 0;
	unsigned long last_gen = 0;
	double t0;

	model_path = xasprintf("%s/share/models/fashion-cnn.onnx", tap_srcdir());
	if ((m = wh_model_load(model_path, &err)) == NULL ||
	    (g = wh_graph_new(m, &err)) == NULL) {
		ok(0, "the demo model loads: %s", err);
		return tap_done();
	}
	if (wh_data_find_default("fashion-mnist", &images, &labels, &err) != 0 ||
	    (d = wh_data_load(images, labels, 10, &err)) == NULL) {
		tap_skip("the Fashion-MNIST test split is not installed");
		return tap_done();
	}
	n = wh_graph_nlayers(g);
	eo.threads = 2;
	eo.cache_bytes = (size_t)256 << 20;
	s = wh_state_new(g, d, &m->pre, 0, &eo, &err);
	ok(s != NULL && n == 4, "a state for the demo's 4 layers");
	for (i = 0; i < n; i++) {
		const struct wh_layer *l = wh_graph_layer(g, i);

		tui_hist_range(l->w, (size_t)(l->out * l->in), &lo[i], &hi[i]);
		wh_layer_cfg_init(&snap[0][i]);
	}
	w = tui_worker_start(m, g, s, 2000, lo, hi);

	/* generations 1..GENS, a few milliseconds apart: most are dropped
	 * unseen or cancelled between batches */
	for (gen = 1; gen <= GENS; gen++) {
		memcpy(snap[gen], snap[gen - 1], sizeof snap[gen]);
		i = gen % n;
		switch (gen % 3) {
		case 0:
			snap[gen][i].qtype = WH_Q_INT;
			snap[gen][i].bits = 2 + gen % 7;
			break;
		case 1:
			snap[gen][i].prune_mode = WH_PRUNE_SPARSITY;
			snap[gen][i].sparsity = (float)(gen % 10) / 10;
			break;
		default:
			snap[gen][i].lr_mode = WH_LR_RANK;
			snap[gen][i].rank = 1 + gen % wh_graph_layer(g, i)->max_rank;
			break;
		}
		tui_worker_post(w, (unsigned long)gen, snap[gen], 1);
		if (gen % 7 == 0)
			tui_worker_want_svals(w, gen % n);
		if (gen == GENS / 2) {
			snprintf(xpath, sizeof xpath, "/tmp/whittle-worker-%d.onnx",
			    (int)getpid());
			tui_worker_export(w, snap[gen], xpath);
		}
		usleep(3000);
	}

	/* collect until the last generation's result and the baseline (at
	 * most 120 s) */
	t0 = wh_now();
	while (!(last_ok && base) && wh_now() - t0 < 120) {
		struct pollfd pf = { tui_worker_fd(w), POLLIN, 0 };
		struct tui_msg *msg, *next;

		poll(&pf, 1, 1000);
		for (msg = tui_worker_take(w); msg != NULL; msg = next) {
			next = msg->next;
			switch (msg->type) {
			case TUI_M_RESULT:
				results++;
				if (msg->res.baseline)
					base++;
				else {
					int k;

					for (k = 0; k < n; k++)
						if (!wh_layer_cfg_equal(&msg->res.cfg[k],
						    &snap[msg->gen][k]))
							wrong++;
					if (msg->gen < last_gen)
						stale_late++;
					last_gen = msg->gen;
				}
				if (msg->gen == GENS && !msg->res.baseline)
					last_ok = 1;
				break;
			case TUI_M_LAYER:
				layers++;
				break;
			case TUI_M_SVALS:
				svals += msg->sv != NULL;
				break;
			case TUI_M_EXPORT:
				exported = msg->ok;
				break;
			default:
				break;
			}
			tui_msg_free(msg);
		}
	}
	ok(last_ok, "the last generation's result arrives (%d results, %d "
	    "reports of layers)", results, layers);
	ok(wrong == 0, "every result describes exactly its generation's "
	    "settings");
	ok(stale_late == 0, "results come in the order of generations");
	ok(results < GENS, "stale snapshots are dropped or cancelled (%d "
	    "results for %d generations)", results, GENS);
	ok(exported == 1, "the export in the middle completes");
	ok(svals >= 1, "singular values arrive (%d)", svals);
	ok(base == 1, "the baseline (every layer off) follows once the worker "
	    "is idle");

	/*
	 * Settings whose result the UI has (an undo): posted with evaluate
	 * 0, the layers that change are reported and nothing is evaluated.
	 * Snapshot 2 differs from the state (snapshot GENS) in the layers
	 * it set.  After its reports, an evaluation would send progress
	 * within a batch (256 samples); none may come in 2 s.
	 */
	{
		unsigned long kg = GENS + 1;
		int klayers = 0, kruns = 0, want = 0, k;
		double t1;

		/* layers switched off are not reported (nothing to show) */
		for (k = 0; k < n; k++)
			want += !wh_layer_cfg_equal(&snap[2][k], &snap[GENS][k]) &&
			    !wh_layer_cfg_equal(&snap[2][k], &snap[0][k]);
		tui_worker_post(w, kg, snap[2], 0);
		t0 = wh_now();
		while (wh_now() - t0 < 120 && klayers < want) {
			struct pollfd pf = { tui_worker_fd(w), POLLIN, 0 };
			struct tui_msg *msg, *next;

			poll(&pf, 1, 1000);
			for (msg = tui_worker_take(w); msg != NULL; msg = next) {
				next = msg->next;
				if (msg->type == TUI_M_LAYER && msg->gen == kg)
					klayers++;
				if ((msg->type == TUI_M_PROGRESS ||
				    msg->type == TUI_M_RESULT) && msg->gen == kg)
					kruns++;
				tui_msg_free(msg);
			}
		}
		t1 = wh_now();
		while (wh_now() - t1 < 2) {
			struct pollfd pf = { tui_worker_fd(w), POLLIN, 0 };
			struct tui_msg *msg, *next;

			poll(&pf, 1, 200);
			for (msg = tui_worker_take(w); msg != NULL; msg = next) {
				next = msg->next;
				if (msg->gen == kg && (msg->type == TUI_M_PROGRESS ||
				    msg->type == TUI_M_RESULT))
					kruns++;
				tui_msg_free(msg);
			}
		}
		ok(want > 0 && klayers == want, "settings posted without an "
		    "evaluation: the %d layers that change are reported (%d)",
		    want, klayers);
		ok(kruns == 0, "and they are not evaluated again (%d progress "
		    "or result messages)", kruns);
	}
	tui_worker_stop(w);
	unlink(xpath);
	wh_data_free(d);
	wh_graph_free(g);
	wh_model_free(m);
	free(images);
	free(labels);
	free(model_path);
	return tap_done();
}
