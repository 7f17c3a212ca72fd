/* export-format.c - which file format an output name asks for, one rule
 * for 'whittle apply -o' and the workbench's export */
#include <string.h>

#include "whittle/export.h"
#include "whittle/util.h"

static int
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && strcmp(s + n - k, suffix) == 0;
}

int
wh_export_format(const char *path, char **err)
{
	if (ends_with(path, ".onnx"))
		return WH_EXPORT_ONNX;
	if (ends_with(path, ".safetensors"))
		return WH_EXPORT_SAFETENSORS;
	if (err != NULL)
		*err = xasprintf("'%.200s%s' must end in .onnx or .safetensors",
		    path, strlen(path) > 200 ? "..." : "");
	return -1;
}
