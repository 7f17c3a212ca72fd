/* knapsack.h - the multiple-choice knapsack: one option per group, least
 * total cost within a budget of total weight */
#ifndef WHITTLE_KNAPSACK_H
#define WHITTLE_KNAPSACK_H

#include <stdint.h>

/* An option: its cost (bytes or MACs) and weight (accuracy lost, in whole
 * samples of the validation set; never negative). */
struct wh_mck_item {
	uint64_t cost;
	int64_t weight;
};

/* The largest weight budget the solver takes (its table is groups x this). */
#define WH_MCK_MAX_CAP 200000

/*
 * Exact dynamic programming over the weight: groups g < ngroups with
 * nitems[g] >= 1 options items[g][0 .. nitems[g]).  Chooses one option per
 * group so that the total weight is at most cap and the total cost is the
 * least possible, and of equal costs the least weight; choice: (ngroups)
 * receives one choice that attains both.  Returns 0 with *cost and *weight the
 * totals, 1 when no choice fits within cap, -1 when cap is negative or
 * above WH_MCK_MAX_CAP.  O(ngroups x cap x options).
 */
int wh_mck_solve(const struct wh_mck_item *const *items, const int *nitems,
    int ngroups, int64_t cap, int *choice, uint64_t *cost, int64_t *weight);

/* The same by enumerating every combination, for tests (small inputs). */
int wh_mck_brute(const struct wh_mck_item *const *items, const int *nitems,
    int ngroups, int64_t cap, int *choice, uint64_t *cost, int64_t *weight);

#endif
