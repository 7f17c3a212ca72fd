/* loop.c - the workbench's event loop: poll() the terminal, the worker's
 * pipe and the signal pipe together, handle what arrived, redraw */
#include <curses.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crt.h"
#include "keys.h"
#include "tui.h"
#include "whittle/state.h"
#include "whittle/util.h"

static void
draw(struct tui *t)
{
	struct wh_layout lo;

	erase();
	wh_layout_compute(&lo, crt.cols, crt.rows);
	if (lo.too_small) {
		char text[128], line[128];
		const char *p = text, *next;
		int y = 0, n;

		/* wrapped, so that it is whole at any size that has room */
		snprintf(text, sizeof text, "whittle needs a terminal of at "
		    "least 80x24; this one is %dx%d.", crt.cols, crt.rows);
		while (*p != '\0' && y < crt.rows) {
			n = wh_wrap(p, crt.cols, &next);
			snprintf(line, sizeof line, "%.*s", n, p);
			crt_puts(y++, 0, crt.cols, CRT_BAD, 1, line);
			p = next;
		}
		if (y < crt.rows)
			crt_puts(y, 0, crt.cols, CRT_NORMAL, 1, "q quits");
		curs_set(0);
		refresh();
		return;
	}
	tui_draw_table(t, lo.table_x, lo.table_y, lo.table_w, lo.table_h);
	tui_draw_summary(t, lo.sum_x, lo.sum_y, lo.sum_w, lo.sum_h);
	if (t->sens_on)
		tui_draw_sens(t, lo.hist_x, lo.hist_y, lo.hist_w,
		    lo.spec_y + lo.spec_h - lo.hist_y);
	else {
		tui_draw_hist(t, lo.hist_x, lo.hist_y, lo.hist_w, lo.hist_h);
		tui_draw_spectrum(t, lo.spec_x, lo.spec_y, lo.spec_w,
		    lo.spec_h);
	}
	tui_draw_history(t, lo.hist2_x, lo.hist2_y, lo.hist2_w, lo.hist2_h);
	if (t->help)
		tui_draw_help(t);
	/* last: it places the cursor when a prompt is open */
	tui_draw_bottom(t, lo.hint_y, crt.cols);
	refresh();
}

static void
read_keys(struct tui *t)
{
	wint_t wc;
	int r;

	while (!t->done && (r = get_wch(&wc)) != ERR) {
		if (r == KEY_CODE_YES && wc == KEY_RESIZE) {
			/* curses has resized already (it queues KEY_RESIZE
			 * itself when resizeterm changes the size) */
			crt_sync_size();
			continue;
		}
		if (r == KEY_CODE_YES && wc == KEY_MOUSE) {
			if (t->prompt.kind == TUI_P_NONE)
				tui_mouse(t);
			continue;
		}
		if (t->prompt.kind != TUI_P_NONE) {
			tui_prompt_key(t, (int)wc, r == KEY_CODE_YES);
			continue;
		}
		if (r != KEY_CODE_YES && wc > 0x7f) {
			tui_message(t, 1, "that key does nothing here; ? lists "
			    "the keys");
			continue;
		}
		tui_key(t, (int)wc);
	}
}

static void
read_signals(struct tui *t)
{
	int sig;

	while ((sig = crt_take_signal()) != 0) {
		if (sig == SIGWINCH) {
			crt_resize();
			continue;
		}
		/* SIGINT (Ctrl-C), SIGTERM, SIGHUP, SIGQUIT: restore the
		 * terminal and leave at once, unsaved changes or not */
		t->done = 1;
		t->exit_code = 128 + sig;
	}
}

static void
read_sens(struct tui *t)
{
	struct tui_sens_msg *m, *next;

	for (m = tui_sens_take(t->sens); m != NULL; m = next) {
		next = m->next;
		m->next = NULL;
		tui_handle_sens(t, m);
		tui_sens_msg_free(m);
	}
}

static void
read_worker(struct tui *t)
{
	struct tui_msg *m, *next;

	for (m = tui_worker_take(t->w); m != NULL; m = next) {
		next = m->next;
		tui_handle_msg(t, m);
		tui_msg_free(m);
	}
}

int
tui_run(const struct tui_opts *o)
{
	struct wh_eval_opts eo;
	struct wh_state *s;
	struct tui t;
	double *lo, *hi;
	char *err = NULL;
	int i;

	if (tui_keymap_init() != 0) {
		fprintf(stderr, "whittle: the key map binds a key twice\n");
		return WH_EXIT_INTERNAL;
	}
	memset(&eo, 0, sizeof eo);
	eo.threads = o->threads > 0 ? o->threads : wh_cpu_count();
	eo.batch = o->batch;
	eo.cache_bytes = o->cache_bytes;
	if ((s = wh_state_new(o->graph, o->data, &o->pre, o->scale_set, &eo,
	    &err)) == NULL) {
		fprintf(stderr, "whittle: %s\n", err);
		free(err);
		return WH_EXIT_INPUT;
	}
	tui_init_state(&t, o);
	if (crt_init(o->ascii, &err) != 0) {
		fprintf(stderr, "whittle: %s\n", err);
		free(err);
		wh_state_free(s);
		tui_release_state(&t);
		return WH_EXIT_USAGE;
	}
	lo = xcalloc(t.n ? (size_t)t.n : 1, sizeof *lo);
	hi = xcalloc(t.n ? (size_t)t.n : 1, sizeof *hi);
	for (i = 0; i < t.n; i++) {
		lo[i] = t.L[i].lo;
		hi[i] = t.L[i].hi;
	}
	t.w = tui_worker_start(o->model, o->graph, s, o->limit, lo, hi);
	free(lo);
	free(hi);
	tui_worker_want_svals(t.w, 0);
	/* the sensitivity thread, paused until the baseline is known */
	if (o->data != NULL && o->settings != NULL) {
		t.sens = tui_sens_start(o->graph, o->data, &o->pre, o->scale_set,
		    &eo, &t.st, o->model_path, &err);
		if (t.sens != NULL)
			tui_sens_pause(t.sens, 1);
		free(err);
		err = NULL;
	}
	tui_open_initial(&t);

	while (!t.done) {
		struct pollfd fds[4];
		int nfd = 3;

		draw(&t);
		fds[0].fd = STDIN_FILENO;
		fds[0].events = POLLIN;
		fds[1].fd = tui_worker_fd(t.w);
		fds[1].events = POLLIN;
		fds[2].fd = crt_signal_fd();
		fds[2].events = POLLIN;
		if (t.sens != NULL) {
			fds[3].fd = tui_sens_fd(t.sens);
			fds[3].events = POLLIN;
			nfd = 4;
		}
		/* no timeout: every change on screen is caused by a key, a
		 * message or a signal */
		if (poll(fds, nfd, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (fds[2].revents & POLLIN)
			read_signals(&t);
		if (fds[1].revents & POLLIN)
			read_worker(&t);
		if (nfd > 3 && (fds[3].revents & POLLIN))
			read_sens(&t);
		if (fds[0].revents & (POLLHUP | POLLERR | POLLNVAL)) {
			/* the terminal went away */
			t.done = 1;
			t.exit_code = 128 + SIGHUP;
		} else if (fds[0].revents & POLLIN)
			read_keys(&t);
	}
	crt_done();
	tui_sens_stop(t.sens);
	tui_worker_stop(t.w);
	i = t.exit_code;
	tui_release_state(&t);
	return i;
}
