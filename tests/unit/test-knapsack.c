/* test-knapsack.c - the exact multiple-choice knapsack against brute force */
#include <stdint.h>
#include <stdlib.h>

#include "tap.h"
#include "whittle/knapsack.h"

static uint32_t rng = 12345;

static uint32_t
next(void)
{
	rng = rng * 1664525u + 1013904223u;
	return rng >> 8;
}

int
main(void)
{
	struct wh_mck_item store[6][5];
	const struct wh_mck_item *items[6];
	int nitems[6], c1[6], c2[6], trial, g, k, same = 0, feas = 0, bad = 0;
	int infeasible_agree = 0, ninfeasible = 0;
	uint64_t cost1, cost2;
	int64_t w1, w2;

	for (trial = 0; trial < 2000; trial++) {
		int ng = 1 + (int)(next() % 6);
		int64_t cap = (int64_t)(next() % 40);

		for (g = 0; g < ng; g++) {
			nitems[g] = 1 + (int)(next() % 5);
			for (k = 0; k < nitems[g]; k++) {
				store[g][k].cost = next() % 1000;
				/* some groups have no weightless option */
				store[g][k].weight = (int64_t)(next() % 15);
			}
			items[g] = store[g];
		}
		int r1 = wh_mck_solve(items, nitems, ng, cap, c1, &cost1, &w1);
		int r2 = wh_mck_brute(items, nitems, ng, cap, c2, &cost2, &w2);

		if (r2 != 0) {
			ninfeasible++;
			infeasible_agree += r1 == 1;
			continue;
		}
		feas++;
		if (r1 == 0 && cost1 == cost2 && w1 == w2) {
			uint64_t cs = 0;
			int64_t ws = 0;

			same++;
			for (g = 0; g < ng; g++) {
				cs += items[g][c1[g]].cost;
				ws += items[g][c1[g]].weight;
			}
			if (cs != cost1 || ws != w1 || ws > cap)
				bad++;
		}
	}
	ok(same == feas, "the optimum equals brute force on %d of %d feasible "
	    "random instances", same, feas);
	ok(bad == 0, "every choice adds up to the reported cost and weight, "
	    "within the cap");
	ok(ninfeasible > 0 && infeasible_agree == ninfeasible,
	    "all %d infeasible instances are reported as such", ninfeasible);
	ok(wh_mck_solve(items, nitems, 1, -1, c1, &cost1, &w1) == -1,
	    "a negative cap is refused");
	ok(wh_mck_solve(items, nitems, 1, WH_MCK_MAX_CAP + 1, c1, &cost1,
	    &w1) == -1, "a cap above the table's limit is refused");
	/* a case a greedy choice gets wrong: the cheapest option of the
	 * first group uses the whole budget */
	{
		struct wh_mck_item a[2] = { { 100, 0 }, { 10, 5 } };
		struct wh_mck_item b[2] = { { 100, 0 }, { 40, 3 } };
		struct wh_mck_item c[2] = { { 100, 0 }, { 45, 2 } };
		const struct wh_mck_item *its[3] = { a, b, c };
		int n3[3] = { 2, 2, 2 };

		ok(wh_mck_solve(its, n3, 3, 5, c1, &cost1, &w1) == 0 &&
		    cost1 == 185 && w1 == 5 && c1[0] == 0 && c1[1] == 1 &&
		    c1[2] == 1, "the exact choice beats taking the cheapest "
		    "option first (cost %llu)", (unsigned long long)cost1);
	}
	return tap_done();
}
