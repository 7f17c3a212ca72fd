/* crt.c - curses set-up and tear-down, colours, symbols, signals, mouse
 *
 * As in htop's CRT.c, everything that touches the terminal as a whole
 * lives here: initscr (newterm) and endwin are called nowhere else.
 */
#include <curses.h>
#include <errno.h>
#include <fcntl.h>
#include <langinfo.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>
#include <wchar.h>

#include "crt.h"
#include "whittle/util.h"

struct crt_info crt;

static SCREEN *screen;
static volatile sig_atomic_t crt_active;
static int sigpipe[2] = { -1, -1 };
static int attrs[CRT_NROLES];

static const char *syms_utf8[CRT_NSYMS] = {
	"\xe2\x80\xa6",		/* … */
	"\xe2\x80\x94",		/* — */
	"\xc2\xb1",		/* ± */
	"\xe2\x96\x88",		/* █ */
	"\xe2\x96\x91",		/* ░ */
	"\xe2\x86\x92",		/* → */
	"\xcf\x83",		/* σ */
	"\xe2\x94\x80",		/* ─ */
	"\xe2\x96\xbc",		/* ▼ */
	"\xe2\x96\xb2",		/* ▲ */
};
static const char *syms_ascii[CRT_NSYMS] = {
	"...", "-", "+-", "#", ".", "->", "std", "-", "v", "^",
};

static void
on_signal(int sig)
{
	int saved = errno;
	unsigned char b = (unsigned char)sig;

	if (write(sigpipe[1], &b, 1) < 0) {
		/* the pipe is full: the loop is behind anyway */
	}
	errno = saved;
}

static void
signals_init(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGWINCH };
	struct sigaction sa;
	size_t i;

	if (sigpipe[0] < 0 && pipe(sigpipe) == 0)
		for (i = 0; i < 2; i++) {
			fcntl(sigpipe[i], F_SETFL, fcntl(sigpipe[i], F_GETFL) |
			    O_NONBLOCK);
			fcntl(sigpipe[i], F_SETFD, FD_CLOEXEC);
		}
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	for (i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		sigaction(sigs[i], &sa, NULL);
	/* a closed terminal must not kill us before we restore it */
	signal(SIGPIPE, SIG_IGN);
}

int
crt_signal_fd(void)
{
	return sigpipe[0];
}

int
crt_take_signal(void)
{
	unsigned char b;

	if (read(sigpipe[0], &b, 1) == 1)
		return b;
	return 0;
}

static void
colors_init(void)
{
	const char *nc = getenv("NO_COLOR");
	int i;

	for (i = 0; i < CRT_NROLES; i++)
		attrs[i] = A_NORMAL;
	/* attributes only: monochrome terminals and NO_COLOR */
	attrs[CRT_TITLE] = A_BOLD;
	attrs[CRT_HEADER] = A_BOLD;
	attrs[CRT_HEADER_FOCUS] = A_BOLD | A_UNDERLINE;
	attrs[CRT_SEL] = A_REVERSE;
	attrs[CRT_FOCUS] = A_BOLD | A_UNDERLINE;
	attrs[CRT_DIM] = A_DIM;
	attrs[CRT_GOOD] = A_BOLD;
	attrs[CRT_BAD] = A_BOLD | A_UNDERLINE;
	attrs[CRT_NEW] = A_BOLD;
	attrs[CRT_MARK] = A_BOLD;
	attrs[CRT_AXIS] = A_DIM;
	attrs[CRT_FRONT] = A_BOLD;
	attrs[CRT_BAR] = A_REVERSE;
	attrs[CRT_HINT] = A_REVERSE;
	attrs[CRT_PROMPT] = A_BOLD;
	crt.color = 0;
	if ((nc != NULL && nc[0] != '\0') || !has_colors() ||
	    start_color() == ERR || COLORS < 8)
		return;
	use_default_colors();
	crt.color = 1;
	init_pair(1, COLOR_CYAN, -1);
	init_pair(2, COLOR_YELLOW, -1);
	init_pair(3, COLOR_RED, -1);
	init_pair(4, COLOR_BLUE, -1);
	init_pair(5, COLOR_GREEN, -1);
	init_pair(6, COLOR_BLACK, COLOR_CYAN);
	init_pair(7, COLOR_BLACK, COLOR_YELLOW);
	init_pair(8, COLOR_WHITE, COLOR_BLUE);
	init_pair(9, COLOR_MAGENTA, -1);
	attrs[CRT_TITLE] = A_BOLD | COLOR_PAIR(1);
	attrs[CRT_HEADER_FOCUS] = A_BOLD | A_UNDERLINE | COLOR_PAIR(2);
	attrs[CRT_SEL] = COLOR_PAIR(6);
	attrs[CRT_FOCUS] = A_BOLD | COLOR_PAIR(7);
	attrs[CRT_GOOD] = COLOR_PAIR(5);
	attrs[CRT_BAD] = A_BOLD | COLOR_PAIR(3);
	attrs[CRT_ORIG] = COLOR_PAIR(1);
	attrs[CRT_NEW] = A_BOLD | COLOR_PAIR(2);
	attrs[CRT_MARK] = A_BOLD | COLOR_PAIR(3);
	attrs[CRT_AXIS] = COLOR_PAIR(4);
	attrs[CRT_FRONT] = A_BOLD | COLOR_PAIR(5);
	attrs[CRT_BAR] = COLOR_PAIR(6);
	attrs[CRT_HINT] = COLOR_PAIR(8);
	attrs[CRT_PROMPT] = A_BOLD | COLOR_PAIR(2);
}

int
crt_init(int ascii, char **err)
{
	const char *cs = nl_langinfo(CODESET);

	crt.ascii = ascii || cs == NULL || (strcmp(cs, "UTF-8") != 0 &&
	    strcmp(cs, "utf8") != 0);
	/* our SIGWINCH handler goes in first, so curses does not install
	 * its own: the loop learns of resizes from the self-pipe */
	signals_init();
	if ((screen = newterm(NULL, stdout, stdin)) == NULL) {
		const char *t = getenv("TERM");

		return wh_error(err, "cannot use the terminal '%s' (check TERM)",
		    t != NULL ? t : "");
	}
	set_term(screen);
	crt_active = 1;
	wh_set_fatal_hook(crt_done);
	/* cbreak, not raw: Ctrl-C and Ctrl-\ stay signals */
	cbreak();
	noecho();
	nonl();
	intrflush(stdscr, FALSE);
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	set_escdelay(25);
	curs_set(0);
	mousemask(BUTTON1_PRESSED | BUTTON1_CLICKED | BUTTON4_PRESSED
#ifdef BUTTON5_PRESSED
	    | BUTTON5_PRESSED
#endif
	    , NULL);
	mouseinterval(0);
	colors_init();
	getmaxyx(stdscr, crt.rows, crt.cols);
	return 0;
}

void
crt_done(void)
{
	if (!crt_active)
		return;
	crt_active = 0;
	mousemask(0, NULL);
	curs_set(1);
	endwin();
	fflush(stdout);
}

void
crt_resize(void)
{
	struct winsize ws;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 &&
	    ws.ws_col > 0)
		resizeterm(ws.ws_row, ws.ws_col);
	getmaxyx(stdscr, crt.rows, crt.cols);
	clearok(curscr, TRUE);
}

void
crt_sync_size(void)
{
	getmaxyx(stdscr, crt.rows, crt.cols);
}

int
crt_attr(enum crt_role r)
{
	return (int)r < CRT_NROLES ? attrs[r] : (int)A_NORMAL;
}

const char *
crt_sym(enum crt_sym s)
{
	if (s < 0 || s >= CRT_NSYMS)
		return "?";
	return crt.ascii ? syms_ascii[s] : syms_utf8[s];
}

int
crt_width(const char *s)
{
	mbstate_t st;
	wchar_t wc;
	size_t k;
	int w = 0, cw;

	memset(&st, 0, sizeof st);
	while (*s) {
		k = mbrtowc(&wc, s, MB_CUR_MAX, &st);
		if (k == (size_t)-1 || k == (size_t)-2) {
			memset(&st, 0, sizeof st);
			s++;
			w++;
			continue;
		}
		cw = wcwidth(wc);
		w += cw > 0 ? cw : 0;
		s += k;
	}
	return w;
}

int
crt_puts(int y, int x, int w, enum crt_role r, int pad, const char *s)
{
	wchar_t buf[512];
	mbstate_t st;
	wchar_t wc;
	size_t k;
	int n = 0, col = 0, cw;

	if (w <= 0 || y < 0 || y >= crt.rows || x >= crt.cols)
		return 0;
	if (x + w > crt.cols)
		w = crt.cols - x;
	memset(&st, 0, sizeof st);
	while (*s && n < (int)(sizeof buf / sizeof buf[0]) - 1) {
		k = mbrtowc(&wc, s, MB_CUR_MAX, &st);
		if (k == (size_t)-1 || k == (size_t)-2) {
			memset(&st, 0, sizeof st);
			wc = '?';
			k = 1;
		}
		cw = wcwidth(wc);
		if (cw < 0)
			cw = 1, wc = '?';
		if (col + cw > w)
			break;
		buf[n++] = wc;
		col += cw;
		s += k;
	}
	while (pad && col < w && n < (int)(sizeof buf / sizeof buf[0]) - 1) {
		buf[n++] = L' ';
		col++;
	}
	buf[n] = L'\0';
	attrset(crt_attr(r));
	mvaddnwstr(y, x, buf, n);
	attrset(A_NORMAL);
	return col;
}

int
crt_printf(int y, int x, int w, enum crt_role r, int pad, const char *fmt,
    ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	return crt_puts(y, x, w, r, pad, buf);
}

static enum crt_role
plot_role(int c)
{
	switch (c) {
	case WH_PC_ORIG:
		return CRT_ORIG;
	case WH_PC_NEW:
		return CRT_NEW;
	case WH_PC_MARK:
		return CRT_MARK;
	case WH_PC_AXIS:
		return CRT_AXIS;
	case WH_PC_FRONT:
		return CRT_FRONT;
	}
	return CRT_NORMAL;
}

void
crt_put_plot(int y, int x, const struct wh_plot *p)
{
	int r, c;

	for (r = 0; r < p->h; r++)
		for (c = 0; c < p->w; c++) {
			const char *cell = p->cell[r * p->w + c];

			crt_puts(y + r, x + c, 1, plot_role(p->color[r * p->w + c]),
			    1, cell[0] ? cell : " ");
		}
}

void
crt_clear(int y, int x, int h, int w)
{
	int r;

	for (r = 0; r < h; r++)
		crt_puts(y + r, x, w, CRT_NORMAL, 1, "");
}

void
crt_title(int y, int x, int w, const char *title, int focus)
{
	int c = 0, i;

	c += crt_puts(y, x, w, CRT_AXIS, 0, crt_sym(CRT_S_HLINE));
	c += crt_puts(y, x + c, w - c, CRT_NORMAL, 0, " ");
	c += crt_puts(y, x + c, w - c, focus ? CRT_HEADER_FOCUS : CRT_TITLE, 0,
	    title);
	c += crt_puts(y, x + c, w - c, CRT_NORMAL, 0, " ");
	for (i = c; i < w; i++)
		crt_puts(y, x + i, 1, CRT_AXIS, 0, crt_sym(CRT_S_HLINE));
}

void
crt_legend(int y, int x, int w, const char *s)
{
	char run[512];
	int c = 0, n;

	while (*s != '\0' && c < w) {
		if (*s >= 1 && *s <= 6) {
			static const enum crt_role role[] = { CRT_ORIG, CRT_NEW,
				CRT_MARK, CRT_FRONT, CRT_ORIG, CRT_NEW };
			const char *g = *s == 3 ? (crt.ascii ? "O" :
			    "\xe2\x97\x8f") : *s == 4 ? crt_sym(CRT_S_HLINE) :
			    crt.ascii && *s == 5 ? "*" : crt.ascii && *s == 6 ?
			    "." : crt_sym(CRT_S_BAR_FULL);

			c += crt_puts(y, x + c, w - c, role[*s - 1], 0, g);
			s++;
			continue;
		}
		for (n = 0; s[n] != '\0' && !(s[n] >= 1 && s[n] <= 6) &&
		    n < (int)sizeof run - 1; n++)
			run[n] = s[n];
		run[n] = '\0';
		s += n;
		c += crt_puts(y, x + c, w - c, CRT_NORMAL, 0, run);
	}
	if (c < w)
		crt_puts(y, x + c, w - c, CRT_NORMAL, 1, "");
}
