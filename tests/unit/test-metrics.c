/* test-metrics.c - accuracy, macro averages and the confusion matrix on
 * cases worked out by hand */
#include "whittle/eval.h"
#include "tap.h"

int
main(void)
{
	static const int32_t labels[] = { 0, 0, 0, 1, 1, 2 };
	static const int32_t preds[] = { 0, 0, 1, 1, 2, 2 };
	static const uint64_t conf[] = { 2, 1, 0, 0, 1, 1, 0, 0, 1 };
	struct wh_metrics m;
	int i, same = 1;

	wh_metrics_compute(&m, preds, labels, 6, 3);
	ok(m.samples == 6 && m.correct == 4, "4 of 6 correct");
	ok_near(m.accuracy, 4.0 / 6, 1e-12, "accuracy 2/3");
	for (i = 0; i < 9; i++)
		if (m.confusion[i] != conf[i])
			same = 0;
	ok(same, "confusion matrix, rows true and columns predicted");
	/* per class (p, r, f1): (1, 2/3, .8), (.5, .5, .5), (.5, 1, 2/3) */
	ok_near(m.precision_macro, 2.0 / 3, 1e-12, "macro precision");
	ok_near(m.recall_macro, (2.0 / 3 + 0.5 + 1) / 3, 1e-12, "macro recall");
	ok_near(m.f1_macro, (0.8 + 0.5 + 2.0 / 3) / 3, 1e-12, "macro F1");
	ok_near(m.class_acc[0], 2.0 / 3, 1e-12, "class 0 accuracy");
	ok_near(m.class_acc[2], 1.0, 1e-12, "class 2 accuracy");
	wh_metrics_release(&m);

	/* a class never predicted contributes 0 precision; a prediction out of
	 * range is wrong and left out of the matrix */
	{
		static const int32_t l2[] = { 0, 1, 1, 0 };
		static const int32_t p2[] = { 0, 0, 7, 0 };

		wh_metrics_compute(&m, p2, l2, 4, 2);
		ok(m.correct == 2, "2 of 4 correct");
		ok(m.confusion[0] == 2 && m.confusion[2] == 1 &&
		    m.confusion[3] == 0, "out-of-range prediction not counted");
		ok_near(m.precision_macro, (2.0 / 3 + 0) / 2, 1e-12,
		    "never-predicted class has precision 0");
		ok_near(m.recall_macro, (1.0 + 0) / 2, 1e-12, "recall");
		wh_metrics_release(&m);
	}
	wh_metrics_compute(&m, preds, labels, 0, 3);
	ok(m.accuracy == 0 && m.f1_macro == 0, "no samples: zeros, no NaN");
	wh_metrics_release(&m);
	return tap_done();
}
