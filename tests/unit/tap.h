/* tap.h - a minimal Test Anything Protocol emitter for the unit tests */
#ifndef WHITTLE_TAP_H
#define WHITTLE_TAP_H

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static int tap_n, tap_failed;

static inline int
tap_ok(int cond, const char *fmt, ...)
{
	va_list ap;

	tap_n++;
	if (!cond)
		tap_failed++;
	printf("%s %d - ", cond ? "ok" : "not ok", tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	return cond;
}

/* Prints a diagnostic line (ignored by the harness, kept in the log). */
static inline void
tap_diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

static inline void
tap_skip(const char *why)
{
	tap_n++;
	printf("ok %d # SKIP %s\n", tap_n, why);
}

/* Ends the run: prints the plan and returns the exit status for main(). */
static inline int
tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#define ok(cond, ...) tap_ok(!!(cond), __VA_ARGS__)
#define ok_near(a, b, tol, ...) \
	tap_ok(fabs((double)(a) - (double)(b)) <= (tol), __VA_ARGS__)

/* The source and build directories, for fixtures and programs. */
static inline const char *
tap_srcdir(void)
{
	const char *s = getenv("srcdir");
	return s ? s : ".";
}

#endif
