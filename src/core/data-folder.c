/* data-folder.c - image folders in torchvision's ImageFolder layout,
 * decoded, resized and cropped on demand */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "data-int.h"
#include "whittle/data.h"
#include "whittle/image.h"
#include "whittle/util.h"

/* One image file, compressed: far above any photograph. */
#define IMAGE_MAX_BYTES	((size_t)256 << 20)
/* Class folders and files below one: bounds on what a listing holds. */
#define MAX_CLASSES	65536
#define MAX_FILES	((size_t)1 << 26)

/* Samples [0, n) once read: their bytes, and whether each is there yet. */
struct wh_folder_cache {
	size_t n;
	unsigned char *px;		/* n * c * h * w */
	atomic_uchar *have;		/* n flags: 0 empty, 1 writing, 2 there */
};

struct strv {
	char **v;
	size_t n, cap;
};

static void
strv_add(struct strv *s, char *p)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 16;
		s->v = xreallocarray(s->v, s->cap, sizeof *s->v);
	}
	s->v[s->n++] = p;
}

static void
strv_free(struct strv *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	memset(s, 0, sizeof *s);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int
has_ext(const char *name, const char *ext)
{
	size_t n = strlen(name), e = strlen(ext);

	return n > e && strcasecmp(name + n - e, ext) == 0;
}

/*
 * Lists the names in dir (not . and .., not hidden), sorted, split into
 * folders and other entries.
 */
static int
list_dir(const char *dir, struct strv *dirs, struct strv *files, char **err)
{
	struct dirent *de;
	DIR *dp;
	char *p;

	if ((dp = opendir(dir)) == NULL)
		return wh_error(err, "%s: %s", dir, strerror(errno));
	while ((de = readdir(dp)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		p = xasprintf("%s/%s", dir, de->d_name);
		if (is_dir(p))
			strv_add(dirs, xstrdup(de->d_name));
		else if (files != NULL)
			strv_add(files, xstrdup(de->d_name));
		free(p);
		if ((files != NULL && files->n > MAX_FILES) ||
		    dirs->n > MAX_FILES) {
			closedir(dp);
			return wh_error(err, "%s: more than %zu entries", dir,
			    MAX_FILES);
		}
	}
	closedir(dp);
	if (dirs->n > 1)
		qsort(dirs->v, dirs->n, sizeof *dirs->v, cmp_str);
	if (files != NULL && files->n > 1)
		qsort(files->v, files->n, sizeof *files->v, cmp_str);
	return 0;
}

/* Every folder under (and including) dir, as paths, depth first. */
static int
walk(const char *dir, struct strv *out, int depth, char **err)
{
	struct strv sub = { 0 };
	size_t i;
	int r = 0;

	if (depth > 64)
		return wh_error(err, "%s: folders nested more than 64 deep",
		    dir);
	strv_add(out, xstrdup(dir));
	if (list_dir(dir, &sub, NULL, err) != 0) {
		strv_free(&sub);
		return -1;
	}
	for (i = 0; i < sub.n && r == 0; i++) {
		char *p = xasprintf("%s/%s", dir, sub.v[i]);

		r = walk(p, out, depth + 1, err);
		free(p);
	}
	strv_free(&sub);
	return r;
}

/*
 * Adds the images of one class, in torchvision's order: the folders of
 * sorted(os.walk(class_dir)), by path, and the sorted file names in each.
 */
static int
add_class(const char *cdir, int label, struct strv *files, int32_t **labels,
    size_t *nlab, size_t *cap, char **err)
{
	struct strv dirs = { 0 };
	size_t i, j, before = files->n;

	if (walk(cdir, &dirs, 0, err) != 0)
		goto fail;
	if (dirs.n > 1)
		qsort(dirs.v, dirs.n, sizeof *dirs.v, cmp_str);
	for (i = 0; i < dirs.n; i++) {
		struct strv sub = { 0 }, names = { 0 };

		if (list_dir(dirs.v[i], &sub, &names, err) != 0) {
			strv_free(&sub);
			strv_free(&names);
			goto fail;
		}
		for (j = 0; j < names.n; j++) {
			char *p = xasprintf("%s/%s", dirs.v[i], names.v[j]);

			if (!has_ext(names.v[j], ".png") &&
			    !has_ext(names.v[j], ".jpg") &&
			    !has_ext(names.v[j], ".jpeg")) {
				wh_error(err, "%s: not a PNG or JPEG image "
				    "(.png, .jpg or .jpeg) in class folder "
				    "%s", p, WH_QNAME(cdir));
				free(p);
				strv_free(&sub);
				strv_free(&names);
				goto fail;
			}
			strv_add(files, p);
			if (*nlab == *cap) {
				*cap = *cap ? *cap * 2 : 1024;
				*labels = xreallocarray(*labels, *cap,
				    sizeof **labels);
			}
			(*labels)[(*nlab)++] = label;
			if (files->n > MAX_FILES) {
				wh_error(err, "%s: more than %zu images", cdir,
				    MAX_FILES);
				strv_free(&sub);
				strv_free(&names);
				goto fail;
			}
		}
		strv_free(&sub);
		strv_free(&names);
	}
	strv_free(&dirs);
	if (files->n == before)
		return wh_error(err, "%s: class folder holds no images", cdir);
	return 0;

fail:
	strv_free(&dirs);
	return -1;
}

/*
 * One sample through the transforms: decode, resize, crop.  img holds
 * the result; its size is checked by the caller.
 */
static int
load_one(const char *path, const struct wh_image_pre *ip,
    struct wh_image *img, char **err)
{
	unsigned char *buf;
	size_t len;
	struct wh_image t;

	memset(img, 0, sizeof *img);
	if (wh_read_file(path, 0, IMAGE_MAX_BYTES, &buf, &len, err) != 0)
		return -1;
	if (wh_image_decode(buf, len, ip->channels, path, img, err) != 0) {
		free(buf);
		return -1;
	}
	free(buf);
	if (ip->resize > 0) {
		wh_image_resize_short(img, ip->resize, &t);
		wh_image_release(img);
		*img = t;
	}
	if (ip->crop_w > 0 && ip->crop_h > 0) {
		if (!ip->pad && (img->w < ip->crop_w || img->h < ip->crop_h)) {
			wh_error(err, "%s: is %dx%d after the preprocessing, "
			    "smaller than the %dx%d input; give --resize (or "
			    "--crop to pad with zeros)", path, img->h, img->w,
			    ip->crop_h, ip->crop_w);
			wh_image_release(img);
			return -1;
		}
		wh_image_center_crop(img, ip->crop_w, ip->crop_h, &t);
		wh_image_release(img);
		*img = t;
	}
	return 0;
}

struct wh_dataset *
wh_data_open_folder(const char *dir, int max_class,
    const struct wh_image_pre *ip, char **err)
{
	struct strv classes = { 0 }, files = { 0 };
	struct wh_dataset *d;
	struct wh_image first;
	int32_t *labels = NULL;
	size_t nlab = 0, cap = 0, i;
	struct wh_image_pre pre = { 0 };

	if (ip != NULL)
		pre = *ip;
	if (pre.resize < 0 || pre.crop_w < 0 || pre.crop_h < 0 ||
	    (pre.channels != 0 && pre.channels != 1 && pre.channels != 3)) {
		wh_error(err, "%s: bad image preprocessing (resize %d, crop "
		    "%dx%d, %d channels)", dir, pre.resize, pre.crop_h,
		    pre.crop_w, pre.channels);
		return NULL;
	}
	if (list_dir(dir, &classes, NULL, err) != 0)
		goto fail;
	if (classes.n == 0) {
		wh_error(err, "%s: no class folders (an image folder holds one "
		    "subfolder of images per class)", dir);
		goto fail;
	}
	if (classes.n > MAX_CLASSES || (max_class > 0 &&
	    classes.n > (size_t)max_class)) {
		wh_error(err, "%s: %zu class folders, the model has %d classes",
		    dir, classes.n, max_class);
		goto fail;
	}
	for (i = 0; i < classes.n; i++) {
		char *cdir = xasprintf("%s/%s", dir, classes.v[i]);
		int r = add_class(cdir, (int)i, &files, &labels, &nlab, &cap,
		    err);

		free(cdir);
		if (r != 0)
			goto fail;
	}

	/* The first image settles the shape the rest must come to. */
	if (load_one(files.v[0], &pre, &first, err) != 0)
		goto fail;
	d = xcalloc(1, sizeof *d);
	d->images_path = xstrdup(dir);
	d->labels_path = xstrdup(dir);
	d->n = files.n;
	d->c = first.c;
	d->h = first.h;
	d->w = first.w;
	d->sample_ndim = 3;
	d->labels = labels;
	d->nclasses = (int)classes.n;
	d->files = files.v;
	d->classes = classes.v;
	d->img = pre;
	d->img.channels = first.c;
	wh_image_release(&first);
	{
		size_t ss = wh_data_sample_size(d), keep;

		keep = WH_FOLDER_CACHE_BYTES / (ss ? ss : 1);
		if (keep > d->n)
			keep = d->n;
		if (keep > 0) {
			d->cache = xcalloc(1, sizeof *d->cache);
			d->cache->n = keep;
			d->cache->px = xmalloc(keep * ss);
			d->cache->have = xcalloc(keep, sizeof *d->cache->have);
		}
	}
	return d;

fail:
	strv_free(&classes);
	strv_free(&files);
	free(labels);
	return NULL;
}

int
wh_data_read(const struct wh_dataset *d, size_t start, size_t count,
    const struct wh_preproc *pre, int scale_set, float *out, char **err)
{
	size_t ss = wh_data_sample_size(d), s;
	struct wh_dataset one;
	struct wh_image img;

	if (d->files == NULL) {
		wh_data_batch(d, start, count, pre, scale_set, out);
		return 0;
	}
	if (start > d->n || count > d->n - start)
		return wh_error(err, "%s: samples %zu..%zu are beyond the %zu "
		    "in the set", d->images_path, start, start + count, d->n);
	/* Each image as a set of one, so the arithmetic is wh_data_batch's. */
	memset(&one, 0, sizeof one);
	one.n = 1;
	one.c = d->c;
	one.h = d->h;
	one.w = d->w;
	for (s = 0; s < count; s++) {
		const char *path = d->files[start + s];
		size_t i, hw = (size_t)d->h * (size_t)d->w, k = start + s;
		struct wh_folder_cache *fc = d->cache;
		int ch;

		if (fc != NULL && k < fc->n && atomic_load_explicit(&fc->have[k],
		    memory_order_acquire) == 2) {
			one.u8 = fc->px + k * ss;
			wh_data_batch(&one, 0, 1, pre, scale_set, out + s * ss);
			continue;
		}
		if (load_one(path, &d->img, &img, err) != 0)
			return -1;
		if (img.w != d->w || img.h != d->h || img.c != d->c) {
			wh_error(err, "%s: is %dx%d after the preprocessing, the "
			    "first image (%s) %dx%d; give --crop (or --resize "
			    "and --crop) to bring them to one size", path,
			    img.h, img.w, d->files[0], d->h, d->w);
			wh_image_release(&img);
			return -1;
		}
		/* (h, w, c) -> (c, h, w) */
		one.u8 = xmalloc(ss);
		for (ch = 0; ch < d->c; ch++)
			for (i = 0; i < hw; i++)
				one.u8[(size_t)ch * hw + i] =
				    img.px[i * (size_t)d->c + (size_t)ch];
		wh_image_release(&img);
		wh_data_batch(&one, 0, 1, pre, scale_set, out + s * ss);
		if (fc != NULL && k < fc->n) {
			unsigned char empty = 0;

			/* one thread writes a sample, the others skip it */
			if (atomic_compare_exchange_strong(&fc->have[k], &empty,
			    1)) {
				memcpy(fc->px + k * ss, one.u8, ss);
				atomic_store_explicit(&fc->have[k], 2,
				    memory_order_release);
			}
		}
		free(one.u8);
	}
	return 0;
}

void
wh_folder_cache_free(struct wh_folder_cache *fc)
{
	if (fc == NULL)
		return;
	free(fc->px);
	free(fc->have);
	free(fc);
}

/* A positive integer of at most 65536 from metadata. */
static int
meta_int(const char *v, int *out)
{
	char *end;
	long x;

	errno = 0;
	x = strtol(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0' || x < 1 || x > 65536)
		return -1;
	*out = (int)x;
	return 0;
}

/* "224" or "224x192" (height x width). */
int
wh_image_parse_size(const char *s, int *h, int *w)
{
	const char *x = strchr(s, 'x');
	char *a;
	int r;

	if (x == NULL)
		x = strchr(s, 'X');
	if (x == NULL) {
		if (meta_int(s, h) != 0)
			return -1;
		*w = *h;
		return 0;
	}
	a = xstrndup(s, (size_t)(x - s));
	r = meta_int(a, h) != 0 || meta_int(x + 1, w) != 0 ? -1 : 0;
	free(a);
	return r;
}

int
wh_image_pre_from_model(const struct wh_model *m, struct wh_image_pre *ip,
    char **err)
{
	const char *v;
	int h, w;

	if ((v = wh_model_meta(m, "whittle.input.resize")) != NULL) {
		if (meta_int(v, &ip->resize) != 0)
			return wh_error(err, "%s: metadata 'whittle.input.resize' "
			    "is %s, expected a length in pixels (1 to 65536)",
			    m->path, WH_QNAME(v));
	}
	if ((v = wh_model_meta(m, "whittle.input.crop")) != NULL) {
		if (wh_image_parse_size(v, &h, &w) != 0)
			return wh_error(err, "%s: metadata 'whittle.input.crop' "
			    "is %s, expected H or HxW in pixels", m->path, WH_QNAME(v));
		ip->crop_h = h;
		ip->crop_w = w;
	}
	if ((v = wh_model_meta(m, "whittle.input.channels")) != NULL) {
		if (strcmp(v, "1") == 0)
			ip->channels = 1;
		else if (strcmp(v, "3") == 0)
			ip->channels = 3;
		else
			return wh_error(err, "%s: metadata "
			    "'whittle.input.channels' is %s, expected 1 (gray) "
			    "or 3 (RGB)", m->path, WH_QNAME(v));
	}
	return 0;
}
