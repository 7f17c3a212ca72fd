/*
 * mkbad.c - writes broken model and data files for tests/cli/bad-input.sh
 *
 *   mkbad DIR
 *
 * Writes a small valid model (Flatten then Gemm 784 -> 10) and valid data,
 * then one file per defect, and prints one line per case:
 *   ROLE<TAB>FILE<TAB>EXPECTED-SUBSTRING
 * where ROLE says which argument the file takes (model, images or labels).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "onnx.pb-c.h"

static const char *dir;

static char *
path(const char *name)
{
	static char buf[4096];

	snprintf(buf, sizeof buf, "%s/%s", dir, name);
	return buf;
}

static void
put(const char *name, const void *data, size_t len)
{
	FILE *f = fopen(path(name), "wb");

	if (f == NULL || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
		perror(name);
		exit(1);
	}
}

static void
be32(unsigned char *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

/* An IDX file: magic for uint8 with nd dims, dims, then count bytes. */
static void
idx(const char *name, int nd, const uint32_t *dims, size_t count, int fill)
{
	size_t len = 4 + 4 * nd + count, i;
	unsigned char *b = calloc(1, len);
	int k;

	be32(b, 0x0800 | nd);
	for (k = 0; k < nd; k++)
		be32(b + 4 + 4 * k, dims[k]);
	for (i = 0; i < count; i++)
		b[4 + 4 * nd + i] = (unsigned char)(fill >= 0 ? fill : i % 10);
	put(name, b, len);
	free(b);
}

static void
npy(const char *name, const char *header, const void *data, size_t len)
{
	size_t hl = strlen(header), total = 10 + hl + len;
	unsigned char *b = malloc(total);

	memcpy(b, "\x93NUMPY\x01\x00", 8);
	b[8] = hl & 0xff;
	b[9] = hl >> 8;
	memcpy(b + 10, header, hl);
	memcpy(b + 10 + hl, data, len);
	put(name, b, total);
	free(b);
}

struct model {
	Onnx__ModelProto m;
	Onnx__OperatorSetIdProto opset, *opsets[1];
	Onnx__GraphProto g;
	Onnx__NodeProto flat, gemm, *nodes[2];
	Onnx__AttributeProto tb, *attrs[1];
	Onnx__TensorProto w, b, *inits[2];
	Onnx__ValueInfoProto in, out, *ins[1], *outs[1];
	Onnx__TypeProto tin, tout;
	Onnx__TypeProto__Tensor ttin, ttout;
	Onnx__TensorShapeProto sin, sout;
	Onnx__TensorShapeProto__Dimension din[4], dout[2], *pdin[4], *pdout[2];
	char *flat_in[1], *flat_out[1], *gemm_in[3], *gemm_out[1];
	int64_t wdims[2], bdims[1];
	float *wdata, bdata[10];
};

static void
model_init(struct model *s)
{
	int i;

	memset(s, 0, sizeof *s);
	onnx__model_proto__init(&s->m);
	s->m.has_ir_version = 1;
	s->m.ir_version = 7;
	onnx__operator_set_id_proto__init(&s->opset);
	s->opset.domain = (char *)"";
	s->opset.has_version = 1;
	s->opset.version = 13;
	s->opsets[0] = &s->opset;
	s->m.n_opset_import = 1;
	s->m.opset_import = s->opsets;
	onnx__graph_proto__init(&s->g);
	s->g.name = (char *)"bad";
	s->m.graph = &s->g;

	onnx__node_proto__init(&s->flat);
	s->flat.op_type = (char *)"Flatten";
	s->flat.name = (char *)"flatten";
	s->flat_in[0] = (char *)"input";
	s->flat_out[0] = (char *)"x";
	s->flat.n_input = 1;
	s->flat.input = s->flat_in;
	s->flat.n_output = 1;
	s->flat.output = s->flat_out;
	onnx__node_proto__init(&s->gemm);
	s->gemm.op_type = (char *)"Gemm";
	s->gemm.name = (char *)"fc";
	s->gemm_in[0] = (char *)"x";
	s->gemm_in[1] = (char *)"fc.weight";
	s->gemm_in[2] = (char *)"fc.bias";
	s->gemm_out[0] = (char *)"logits";
	s->gemm.n_input = 3;
	s->gemm.input = s->gemm_in;
	s->gemm.n_output = 1;
	s->gemm.output = s->gemm_out;
	onnx__attribute_proto__init(&s->tb);
	s->tb.name = (char *)"transB";
	s->tb.has_type = 1;
	s->tb.type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT;
	s->tb.has_i = 1;
	s->tb.i = 1;
	s->attrs[0] = &s->tb;
	s->gemm.n_attribute = 1;
	s->gemm.attribute = s->attrs;
	s->nodes[0] = &s->flat;
	s->nodes[1] = &s->gemm;
	s->g.n_node = 2;
	s->g.node = s->nodes;

	s->wdata = calloc(7840, sizeof(float));
	for (i = 0; i < 7840; i++)
		s->wdata[i] = (float)((i * 37) % 11) / 100.0f - 0.05f;
	onnx__tensor_proto__init(&s->w);
	s->w.name = (char *)"fc.weight";
	s->w.has_data_type = 1;
	s->w.data_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
	s->wdims[0] = 10;
	s->wdims[1] = 784;
	s->w.n_dims = 2;
	s->w.dims = s->wdims;
	s->w.has_raw_data = 1;
	s->w.raw_data.len = 7840 * sizeof(float);
	s->w.raw_data.data = (uint8_t *)s->wdata;
	onnx__tensor_proto__init(&s->b);
	s->b.name = (char *)"fc.bias";
	s->b.has_data_type = 1;
	s->b.data_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
	s->bdims[0] = 10;
	s->b.n_dims = 1;
	s->b.dims = s->bdims;
	s->b.n_float_data = 10;
	s->b.float_data = s->bdata;
	s->inits[0] = &s->w;
	s->inits[1] = &s->b;
	s->g.n_initializer = 2;
	s->g.initializer = s->inits;

	onnx__value_info_proto__init(&s->in);
	s->in.name = (char *)"input";
	onnx__type_proto__init(&s->tin);
	onnx__type_proto__tensor__init(&s->ttin);
	onnx__tensor_shape_proto__init(&s->sin);
	for (i = 0; i < 4; i++) {
		onnx__tensor_shape_proto__dimension__init(&s->din[i]);
		s->din[i].value_case =
		    ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
		s->din[i].dim_value = i == 0 ? 1 : i == 1 ? 1 : 28;
		s->pdin[i] = &s->din[i];
	}
	s->din[0].value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
	s->din[0].dim_param = (char *)"batch";
	s->sin.n_dim = 4;
	s->sin.dim = s->pdin;
	s->ttin.has_elem_type = 1;
	s->ttin.elem_type = 1;
	s->ttin.shape = &s->sin;
	s->tin.value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
	s->tin.tensor_type = &s->ttin;
	s->in.type = &s->tin;
	s->ins[0] = &s->in;
	s->g.n_input = 1;
	s->g.input = s->ins;

	onnx__value_info_proto__init(&s->out);
	s->out.name = (char *)"logits";
	onnx__type_proto__init(&s->tout);
	onnx__type_proto__tensor__init(&s->ttout);
	onnx__tensor_shape_proto__init(&s->sout);
	for (i = 0; i < 2; i++) {
		onnx__tensor_shape_proto__dimension__init(&s->dout[i]);
		s->dout[i].value_case =
		    ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
		s->dout[i].dim_value = i == 0 ? 1 : 10;
		s->pdout[i] = &s->dout[i];
	}
	s->sout.n_dim = 2;
	s->sout.dim = s->pdout;
	s->ttout.has_elem_type = 1;
	s->ttout.elem_type = 1;
	s->ttout.shape = &s->sout;
	s->tout.value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
	s->tout.tensor_type = &s->ttout;
	s->out.type = &s->tout;
	s->outs[0] = &s->out;
	s->g.n_output = 1;
	s->g.output = s->outs;
}

static void
model_put(struct model *s, const char *name)
{
	size_t len = onnx__model_proto__get_packed_size(&s->m);
	uint8_t *b = malloc(len);

	onnx__model_proto__pack(&s->m, b);
	put(name, b, len);
	free(b);
}

static void
gz(const char *name, const void *data, size_t len, size_t keep)
{
	uLongf cap = compressBound(len) + 64;
	unsigned char *out = malloc(cap);
	z_stream z;

	memset(&z, 0, sizeof z);
	deflateInit2(&z, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY);
	z.next_in = (unsigned char *)data;
	z.avail_in = (uInt)len;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	deflate(&z, Z_FINISH);
	/* keep: the bytes to write; 0 for half the stream */
	put(name, out, keep ? keep : z.total_out / 2);
	deflateEnd(&z);
	free(out);
}

int
main(int argc, char **argv)
{
	struct model s;
	uint32_t dims[3] = { 10, 28, 28 }, ldims[1] = { 10 };
	size_t len;
	uint8_t *b;
	unsigned char raw[4 + 12 + 7840];

	if (argc != 2) {
		fprintf(stderr, "usage: mkbad DIR\n");
		return 2;
	}
	dir = argv[1];
	/* the good files */
	model_init(&s);
	model_put(&s, "good.onnx");
	idx("good-images.idx", 3, dims, 7840, -1);
	idx("good-labels.idx", 1, ldims, 10, -1);

	/* models */
	len = onnx__model_proto__get_packed_size(&s.m);
	b = malloc(len);
	onnx__model_proto__pack(&s.m, b);
	put("m-truncated.onnx", b, len / 2);
	put("m-cut-header.onnx", b, 7);
	put("m-empty.onnx", "", 0);
	free(b);
	put("m-garbage.onnx", "\xff\xff\xff\xff\x0f garbage that is no protobuf",
	    33);
	printf("model\tm-truncated.onnx\tm-truncated.onnx\n");
	printf("model\tm-cut-header.onnx\tm-cut-header.onnx\n");
	printf("model\tm-empty.onnx\tm-empty.onnx\n");
	printf("model\tm-garbage.onnx\tm-garbage.onnx\n");

	s.w.raw_data.len = 1200;
	model_put(&s, "m-short-init.onnx");
	printf("model\tm-short-init.onnx\t'fc.weight' holds 1200 bytes\n");
	s.w.raw_data.len = 7840 * sizeof(float);

	s.gemm_in[0] = (char *)"ghost";
	model_put(&s, "m-missing-tensor.onnx");
	printf("model\tm-missing-tensor.onnx\tghost\n");
	s.gemm_in[0] = (char *)"x";

	s.gemm.op_type = (char *)"NonMaxSuppression";
	model_put(&s, "m-unsupported-op.onnx");
	printf("model\tm-unsupported-op.onnx\tNonMaxSuppression\n");
	s.gemm.op_type = (char *)"Gemm";

	s.wdims[0] = -10;
	model_put(&s, "m-negative-dim.onnx");
	printf("model\tm-negative-dim.onnx\tm-negative-dim.onnx\n");
	s.wdims[0] = 10;

	s.m.graph = NULL;
	model_put(&s, "m-no-graph.onnx");
	printf("model\tm-no-graph.onnx\tm-no-graph.onnx\n");
	s.m.graph = &s.g;

	s.m.n_opset_import = 0;
	model_put(&s, "m-no-opset.onnx");
	printf("model\tm-no-opset.onnx\tm-no-opset.onnx\n");
	s.m.n_opset_import = 1;

	/* every operator once with no input (Dropout was accepted) */
	{
		static const char *const ops[] = { "Relu", "Sigmoid", "Tanh",
			"Gelu", "Clip", "LeakyRelu", "Softmax", "Transpose",
			"Flatten", "Reshape", "Squeeze", "Unsqueeze", "Shape",
			"Identity", "Dropout" };
		char name[64];
		size_t k;

		s.flat.n_input = 0;
		for (k = 0; k < sizeof ops / sizeof ops[0]; k++) {
			s.flat.op_type = (char *)ops[k];
			snprintf(name, sizeof name, "m-no-input-%s.onnx", ops[k]);
			model_put(&s, name);
			printf("model\t%s\thas 0 inputs; %s takes\n", name,
			    ops[k]);
		}
		s.flat.n_input = 1;
		s.flat.op_type = (char *)"Flatten";
	}

	s.flat.op_type = (char *)"FancyFlatten";
	s.gemm.op_type = (char *)"FancyGemm";
	model_put(&s, "m-unsupported-ops.onnx");
	printf("model\tm-unsupported-ops.onnx\t2 unsupported operators: "
	    "'FancyFlatten' at opset 13 (node 'flatten'), 'FancyGemm' at opset 13 "
	    "(node 'fc')\n");
	s.flat.op_type = (char *)"Flatten";
	s.gemm.op_type = (char *)"Gemm";

	/* an input of 2^40 x 2^40 (was "0 MACs per sample") */
	s.din[2].dim_value = s.din[3].dim_value = (int64_t)1 << 40;
	model_put(&s, "m-huge-input.onnx");
	printf("model\tm-huge-input.onnx\tinput 'input' would hold more "
	    "than\n");
	s.din[2].dim_value = s.din[3].dim_value = 28;

	s.wdims[1] = 100;
	s.w.raw_data.len = 1000 * sizeof(float);
	model_put(&s, "m-shape-mismatch.onnx");
	printf("model\tm-shape-mismatch.onnx\tfc\n");
	s.wdims[1] = 784;
	s.w.raw_data.len = 7840 * sizeof(float);

	/* names of 10 MiB: messages quote them cut short, with their length */
	{
		size_t n = (size_t)10 << 20;
		char *huge = malloc(n + 1);

		memset(huge, 'w', n);
		huge[n] = '\0';
		s.w.name = s.b.name = s.gemm_in[1] = huge;
		model_put(&s, "m-huge-init-name.onnx");
		printf("model\tm-huge-init-name.onnx\twww...' (%zu bytes) "
		    "appears twice\n", n);
		s.w.name = s.gemm_in[1] = (char *)"fc.weight";
		s.b.name = (char *)"fc.bias";

		s.gemm.name = huge;
		s.gemm_in[0] = (char *)"ghost";
		model_put(&s, "m-huge-node-name.onnx");
		printf("model\tm-huge-node-name.onnx\twww...' (%zu bytes) "
		    "reads tensor 'ghost'\n", n);
		s.gemm.name = (char *)"fc";
		s.gemm_in[0] = (char *)"x";
		free(huge);
	}

	/* images */
	dims[0] = 100;
	idx("i-promises-more.idx", 3, dims, 7840, -1);
	printf("images\ti-promises-more.idx\ti-promises-more.idx\n");
	dims[0] = 10;
	idx("i-trailing.idx", 3, dims, 7841, -1);
	printf("images\ti-trailing.idx\ti-trailing.idx\n");
	put("i-bad-magic.idx", "\x12\x34\x56\x78\0\0\0\1", 8);
	printf("images\ti-bad-magic.idx\ti-bad-magic.idx\n");
	be32(raw, 0x0803);
	be32(raw + 4, 10);
	be32(raw + 8, 28);
	be32(raw + 12, 28);
	for (len = 0; len < 7840; len++)	/* incompressible enough */
		raw[16 + len] = (unsigned char)((len * 2654435761u) >> 13);
	gz("i-truncated.gz", raw, sizeof raw, 0);
	printf("images\ti-truncated.gz\ti-truncated.gz\n");
	put("i-corrupt.gz", "\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03garbage!", 18);
	printf("images\ti-corrupt.gz\ti-corrupt.gz\n");
	dims[1] = dims[2] = 10;
	idx("i-wrong-shape.idx", 3, dims, 1000, -1);
	printf("images\ti-wrong-shape.idx\ti-wrong-shape.idx\n");
	{
		static const char h[] =
		    "{'descr': '|u1', 'fortran_order': True, 'shape': (10, 28, 28), }"
		    "          \n";
		static unsigned char px[7840];

		npy("i-fortran.npy", h, px, sizeof px);
		printf("images\ti-fortran.npy\tFortran\n");
		npy("i-bad-header.npy", "{'descr': '|u1', 'fortran_order': Fal", px, 100);
		printf("images\ti-bad-header.npy\ti-bad-header.npy\n");
		npy("i-big-endian.npy",
		    "{'descr': '>f4', 'fortran_order': False, 'shape': (10, 784), }\n",
		    px, 7840);
		printf("images\ti-big-endian.npy\ti-big-endian.npy\n");
		npy("i-npy-short.npy",
		    "{'descr': '|u1', 'fortran_order': False, 'shape': (10, 28, 28), }\n",
		    px, 5000);
		printf("images\ti-npy-short.npy\ti-npy-short.npy\n");
	}
	/* labels */
	{
		unsigned char l[4 + 4 + 10] = { 0, 0, 8, 1, 0, 0, 0, 10,
		    0, 1, 2, 3, 12, 5, 6, 7, 8, 9 };

		put("l-out-of-range.idx", l, sizeof l);
		printf("labels\tl-out-of-range.idx\tl-out-of-range.idx\n");
	}
	ldims[0] = 9;
	idx("l-count-mismatch.idx", 1, ldims, 9, -1);
	printf("labels\tl-count-mismatch.idx\tl-count-mismatch.idx\n");
	{
		int64_t neg[10] = { 0, 1, 2, -3, 4, 5, 6, 7, 8, 9 };

		npy("l-negative.npy",
		    "{'descr': '<i8', 'fortran_order': False, 'shape': (10,), }    \n",
		    neg, sizeof neg);
		printf("labels\tl-negative.npy\tl-negative.npy\n");
	}
	free(s.wdata);
	return 0;
}
