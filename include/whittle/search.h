/* search.h - the smallest model within an accuracy budget, chosen from the
 * sensitivity table and verified by full evaluations */
#ifndef WHITTLE_SEARCH_H
#define WHITTLE_SEARCH_H

#include <stdint.h>

#include "whittle/sensitivity.h"

enum { WH_OBJ_SIZE, WH_OBJ_MACS };
/* Methods a search may use (a bit set). */
enum { WH_METHOD_QUANT = 1, WH_METHOD_PRUNE = 2, WH_METHOD_LOWRANK = 4,
	WH_METHOD_ACT = 8 };
#define WH_METHODS_DEFAULT (WH_METHOD_QUANT | WH_METHOD_PRUNE | \
	WH_METHOD_LOWRANK)

/* "quant,prune,lowrank,act" -> bits; -1 and a message on an unknown word. */
int wh_search_methods(const char *list, unsigned *methods, char **err);
/* The methods a setting uses. */
unsigned wh_setting_methods(const struct wh_layer_cfg *c);

struct wh_search_opts {
	double max_drop;	/* points of accuracy the plan may lose */
	int objective;		/* WH_OBJ_SIZE or WH_OBJ_MACS */
	double target_ratio;	/* > 0: the least drop reaching this ratio
				 * (bytes or MACs) instead */
	unsigned methods;
	const unsigned char *locked;	/* (nlayers) 1: keep locked_cfg, or NULL */
	const struct wh_layer_cfg *locked_cfg;	/* (nlayers) */
	int combine;		/* also measure two-part settings (default 1) */
	struct wh_sens_rule rule;
	wh_sens_progress_fn progress;	/* measuring */
	void (*note)(void *arg, const char *what);	/* each verification */
	int (*yield)(void *arg);	/* between batches, see wh_sens_opts */
	void *arg;
};
void wh_search_opts_default(struct wh_search_opts *o);

/* A verified configuration. */
struct wh_search_point {
	struct wh_layer_cfg *cfgs;	/* (nlayers) */
	int64_t predicted;		/* the table's sum of losses, samples */
	uint64_t correct, samples;	/* measured */
	double drop;			/* measured, points */
	uint64_t bytes, macs;		/* the state's totals */
	double ratio;			/* original / objective value */
	int on_front;			/* not dominated by another point */
	int step;			/* back-off steps from the knapsack's
					 * choice; -1: another budget's optimum */
	int round;			/* 0: the table's knapsack; k: the k-th
					 * knapsack around a verified plan */
	struct wh_metrics m;		/* the verification's metrics */
};

struct wh_search_result {
	int chosen;			/* index in points, or -1 */
	struct wh_search_point *points;
	int npoints;
	unsigned evaluations;		/* full verifications run */
	unsigned backoffs;		/* back-off steps taken, every round's */
	double passes;			/* full-pass equivalents, measuring included */
	char table_sha256[65];		/* of the table the choice was made from */
};
void wh_search_result_release(struct wh_search_result *r);

/*
 * Measures what t still lacks (the single settings, then, with combine,
 * two-part settings of the layers' affordable singles), solves the
 * multiple-choice knapsack exactly, verifies the choice by a full
 * evaluation and backs off the choices that cost the most accuracy per
 * byte until a verified plan is within the budget (verifying the chain of
 * back-off steps by galloping and bisection, not step by step); then, in
 * up to three rounds, measures each layer's further settings again next to
 * the verified plan and repeats knapsack and back-off within what it
 * leaves of the budget; then verifies the optima of a few other budgets
 * for the front.  The state's layers must be
 * off; on return they hold the chosen plan.  Returns 0, 1 when no plan
 * fits (r->chosen -1), 2 when cancelled by yield, -1 and a message.
 */
int wh_search_run(struct wh_state *st, struct wh_sens_table *t,
    const struct wh_search_opts *o, struct wh_search_result *r, char **err);

#endif
