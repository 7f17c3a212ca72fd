/* knapsack.c - exact multiple-choice knapsack by dynamic programming */
#include <stdlib.h>
#include <string.h>

#include "whittle/knapsack.h"
#include "whittle/util.h"

#define NONE UINT64_MAX

/* a better than b: lower cost, then lower weight */
static int
better(uint64_t ac, int64_t aw, uint64_t bc, int64_t bw)
{
	return ac < bc || (ac == bc && aw < bw);
}

int
wh_mck_solve(const struct wh_mck_item *const *items, const int *nitems,
    int ngroups, int64_t cap, int *choice, uint64_t *cost, int64_t *weight)
{
	size_t W, g, w;
	uint64_t *best, *next;
	int64_t *bw, *nw;
	int *pick;		/* (ngroups, cap + 1): the option taken */
	int r = 1, k;

	if (cap < 0 || cap > WH_MCK_MAX_CAP)
		return -1;
	W = (size_t)cap + 1;
	best = xmalloc(W * sizeof *best);
	next = xmalloc(W * sizeof *next);
	bw = xmalloc(W * sizeof *bw);
	nw = xmalloc(W * sizeof *nw);
	pick = xmalloc((ngroups ? (size_t)ngroups : 1) * W * sizeof *pick);
	/* best[w]: the least cost of the groups so far with weight at most
	 * w (bw its weight); with no group, 0 */
	for (w = 0; w < W; w++) {
		best[w] = 0;
		bw[w] = 0;
	}
	for (g = 0; g < (size_t)ngroups; g++) {
		for (w = 0; w < W; w++) {
			next[w] = NONE;
			nw[w] = 0;
			pick[g * W + w] = -1;
			for (k = 0; k < nitems[g]; k++) {
				const struct wh_mck_item *it = &items[g][k];
				uint64_t c;

				if (it->weight < 0 || (size_t)it->weight > w ||
				    best[w - it->weight] == NONE)
					continue;
				c = best[w - it->weight] + it->cost;
				if (next[w] == NONE || better(c, bw[w -
				    it->weight] + it->weight, next[w], nw[w])) {
					next[w] = c;
					nw[w] = bw[w - it->weight] + it->weight;
					pick[g * W + w] = k;
				}
			}
		}
		memcpy(best, next, W * sizeof *best);
		memcpy(bw, nw, W * sizeof *bw);
	}
	if (best[W - 1] != NONE) {
		size_t left = W - 1;

		*cost = best[W - 1];
		*weight = bw[W - 1];
		for (g = ngroups; g-- > 0;) {
			k = pick[g * W + left];
			choice[g] = k;
			left -= (size_t)items[g][k].weight;
		}
		r = 0;
	}
	free(best);
	free(next);
	free(bw);
	free(nw);
	free(pick);
	return r;
}

int
wh_mck_brute(const struct wh_mck_item *const *items, const int *nitems,
    int ngroups, int64_t cap, int *choice, uint64_t *cost, int64_t *weight)
{
	int *cur = xcalloc(ngroups ? ngroups : 1, sizeof *cur), g, found = 0;

	for (;;) {
		uint64_t c = 0;
		int64_t w = 0;

		for (g = 0; g < ngroups; g++) {
			c += items[g][cur[g]].cost;
			w += items[g][cur[g]].weight;
		}
		if (w <= cap && (!found || better(c, w, *cost, *weight))) {
			found = 1;
			*cost = c;
			*weight = w;
			memcpy(choice, cur, ngroups * sizeof *cur);
		}
		for (g = ngroups - 1; g >= 0; g--) {
			if (++cur[g] < nitems[g])
				break;
			cur[g] = 0;
		}
		if (g < 0)
			break;
	}
	free(cur);
	return found ? 0 : 1;
}
