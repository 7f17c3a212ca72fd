/* metrics.c - accuracy, macro precision/recall/F1 and the confusion matrix */
#include <stdlib.h>
#include <string.h>

#include "whittle/eval.h"
#include "whittle/util.h"

/*
 * Macro averages follow the usual definition (scikit-learn's): the mean
 * over classes of per-class precision, recall and F1, where a class that is
 * never predicted (or never present) contributes 0 to that average.
 * Predictions or labels outside [0, nclasses) count as wrong and are left
 * out of the confusion matrix.
 */
void
wh_metrics_compute(struct wh_metrics *m, const int32_t *preds,
    const int32_t *labels, size_t n, int nclasses)
{
	size_t i;
	int c, k;
	double p = 0, r = 0, f = 0;

	memset(m, 0, sizeof *m);
	m->samples = n;
	m->nclasses = nclasses;
	m->confusion = xcalloc((size_t)nclasses * nclasses + 1,
	    sizeof *m->confusion);
	m->class_acc = xcalloc((size_t)nclasses + 1, sizeof *m->class_acc);
	for (i = 0; i < n; i++) {
		if (preds[i] == labels[i])
			m->correct++;
		if (labels[i] >= 0 && labels[i] < nclasses && preds[i] >= 0 &&
		    preds[i] < nclasses)
			m->confusion[(size_t)labels[i] * nclasses + preds[i]]++;
	}
	m->accuracy = n ? (double)m->correct / (double)n : 0;
	for (c = 0; c < nclasses; c++) {
		uint64_t tp = m->confusion[(size_t)c * nclasses + c];
		uint64_t row = 0, col = 0;
		double pc, rc;

		for (k = 0; k < nclasses; k++) {
			row += m->confusion[(size_t)c * nclasses + k];
			col += m->confusion[(size_t)k * nclasses + c];
		}
		pc = col ? (double)tp / (double)col : 0;
		rc = row ? (double)tp / (double)row : 0;
		m->class_acc[c] = rc;
		p += pc;
		r += rc;
		f += pc + rc > 0 ? 2 * pc * rc / (pc + rc) : 0;
	}
	if (nclasses > 0) {
		m->precision_macro = p / nclasses;
		m->recall_macro = r / nclasses;
		m->f1_macro = f / nclasses;
	}
}

void
wh_metrics_release(struct wh_metrics *m)
{
	free(m->confusion);
	free(m->class_acc);
	m->confusion = NULL;
	m->class_acc = NULL;
}
