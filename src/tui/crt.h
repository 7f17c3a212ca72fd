/* crt.h - the terminal: the only place that starts and ends curses, and
 * that knows about colours, symbols, signals, the mouse and resizing */
#ifndef WHITTLE_TUI_CRT_H
#define WHITTLE_TUI_CRT_H

#include "plot.h"

/* What a piece of text is; crt_attr turns it into colours or, on a
 * monochrome terminal or with NO_COLOR, into attributes only. */
enum crt_role {
	CRT_NORMAL,
	CRT_TITLE,		/* pane titles */
	CRT_HEADER,		/* table header */
	CRT_HEADER_FOCUS,	/* the header of the focused setting column */
	CRT_SEL,		/* the selected row */
	CRT_FOCUS,		/* the focused cell of the selected row */
	CRT_DIM,		/* stale or secondary text */
	CRT_GOOD,
	CRT_BAD,		/* accuracy down more than a point, errors */
	CRT_ORIG,		/* plot: original weights */
	CRT_NEW,		/* plot: compressed weights */
	CRT_MARK,		/* plot: markers */
	CRT_AXIS,		/* plot: axes and labels */
	CRT_FRONT,		/* plot: the Pareto front */
	CRT_BAR,		/* the done part of a progress bar */
	CRT_HINT,		/* the key hint bar */
	CRT_PROMPT,		/* the prompt line */
	CRT_NROLES
};

/* Symbols that have an ASCII fallback. */
enum crt_sym {
	CRT_S_ELLIPSIS,		/* ... */
	CRT_S_DASH,		/* an em dash */
	CRT_S_PLUSMINUS,
	CRT_S_BAR_FULL,
	CRT_S_BAR_EMPTY,
	CRT_S_ARROW,		/* -> */
	CRT_S_SIGMA,
	CRT_S_HLINE,
	CRT_S_DOWN,		/* a fall in accuracy */
	CRT_S_UP,
	CRT_NSYMS
};

struct crt_info {
	int ascii;		/* no UTF-8 symbols: --ascii or a non-UTF-8 locale */
	int color;		/* colours in use */
	int rows, cols;
};
extern struct crt_info crt;

/*
 * Starts curses on the terminal (stdin and stdout, which must be
 * terminals), installs the signal handlers (SIGINT, SIGTERM, SIGHUP,
 * SIGQUIT and SIGWINCH write their number to a self-pipe) and the fatal
 * hook.  ascii forces ASCII symbols.  -1 and a message when the terminal
 * cannot be used.
 */
int crt_init(int ascii, char **err);

/* Restores the terminal.  Safe to call more than once, and from the
 * fatal hook on any thread (the program is about to abort then). */
void crt_done(void);

/* Readable when a signal arrived; crt_take_signal() returns the next
 * one's number, or 0. */
int crt_signal_fd(void);
int crt_take_signal(void);

/* Adopts the terminal's new size after SIGWINCH (resizeterm, which
 * queues a KEY_RESIZE); crt_sync_size only reads the size curses has,
 * for KEY_RESIZE. */
void crt_resize(void);
void crt_sync_size(void);

/* The curses attributes of a role. */
int crt_attr(enum crt_role r);
const char *crt_sym(enum crt_sym s);

/*
 * Draws s at (y, x) in role r, clipped to w display columns; pads with
 * spaces to w when pad is set.  UTF-8 aware.  Returns the columns drawn.
 */
int crt_puts(int y, int x, int w, enum crt_role r, int pad, const char *s);
int crt_printf(int y, int x, int w, enum crt_role r, int pad,
    const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* The display width of a UTF-8 string. */
int crt_width(const char *s);

/*
 * A caption with colour keys: s is UTF-8 text in which the bytes \001,
 * \002, \003 and \004 stand for a key glyph in the colour of the
 * original values, the compressed ones, the marker (the current point)
 * and the Pareto front: a block, a block, a bullet and a line (#, #, O
 * and - in ASCII), one column each.  Clipped to w and padded.
 */
#define CRT_K_ORIG "\001"
#define CRT_K_NEW "\002"
#define CRT_K_MARK "\003"
#define CRT_K_FRONT "\004"
/* the spectrum's curves: blocks in the colours of \001 and \002, but '*'
 * and '.' in ASCII, as the curves are drawn */
#define CRT_K_SPEC "\005"
#define CRT_K_ENERGY "\006"
void crt_legend(int y, int x, int w, const char *s);

/* Copies a plot's cells to the screen at (y, x), coloured by class. */
void crt_put_plot(int y, int x, const struct wh_plot *p);

/* Clears the rectangle. */
void crt_clear(int y, int x, int h, int w);

/* A pane's title row: "── title ─────" across w columns (bold when the
 * pane has the focus). */
void crt_title(int y, int x, int w, const char *title, int focus);

#endif
