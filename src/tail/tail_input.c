/*
 * tail_input.c - the bytes of one log file at an offset: pread for a
 * plain file; for a rotated file compressed by logrotate (gzip, xz,
 * zstd, told by its magic bytes) the decompressed bytes, decoded in
 * order (a read behind the decoder restarts it from the file's start).
 * Must never trust the compressed data: corrupt input ends the file.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lzma.h>
#include <zlib.h>
#include <zstd.h>

#include "tail_int.h"
#include "util.h"

#define IN_CHUNK 65536

enum tail_codec { CODEC_GZIP = 1, CODEC_XZ, CODEC_ZSTD };

struct tail_input {
	int fd;
	enum tail_codec codec;
	uint64_t in_off;	/* compressed bytes consumed */
	uint64_t out_off;	/* decompressed offset of the next byte out */
	int done;		/* end of data (or corrupt) */
	int started;
	unsigned char in[IN_CHUNK];
	size_t in_pos, in_len;
	z_stream z;
	lzma_stream x;
	ZSTD_DCtx *zs;
};

int tail_input_codec(int fd)
{
	unsigned char m[6];
	ssize_t n = pread(fd, m, sizeof m, 0);

	if (n >= 2 && m[0] == 0x1f && m[1] == 0x8b)
		return CODEC_GZIP;
	if (n >= 6 && memcmp(m, "\xfd" "7zXZ\0", 6) == 0)
		return CODEC_XZ;
	if (n >= 4 && memcmp(m, "\x28\xb5\x2f\xfd", 4) == 0)
		return CODEC_ZSTD;
	return 0;
}

const char *tail_input_codec_name(int codec)
{
	return codec == CODEC_GZIP ? "gzip" : codec == CODEC_XZ ? "xz" :
	       codec == CODEC_ZSTD ? "zstd" : "plain";
}

static void codec_end(struct tail_input *in)
{
	if (!in->started)
		return;
	if (in->codec == CODEC_GZIP)
		inflateEnd(&in->z);
	else if (in->codec == CODEC_XZ)
		lzma_end(&in->x);
	else
		ZSTD_freeDCtx(in->zs);
	in->started = 0;
}

/* codec_begin - (re)start decoding at the file's first byte */
static void codec_begin(struct tail_input *in)
{
	static const lzma_stream x_init = LZMA_STREAM_INIT;

	codec_end(in);
	in->in_off = in->out_off = 0;
	in->in_pos = in->in_len = 0;
	in->done = 0;
	if (in->codec == CODEC_GZIP) {
		memset(&in->z, 0, sizeof in->z);
		in->done = inflateInit2(&in->z, 16 + MAX_WBITS) != Z_OK;
	} else if (in->codec == CODEC_XZ) {
		in->x = x_init;
		in->done = lzma_stream_decoder(&in->x, UINT64_MAX,
					       LZMA_CONCATENATED) != LZMA_OK;
	} else {
		in->zs = ZSTD_createDCtx();
		in->done = in->zs == NULL;
	}
	in->started = !in->done;
}

struct tail_input *tail_input_new(int fd, int codec)
{
	struct tail_input *in;

	if (codec == 0)
		return NULL;
	in = xcalloc(1, sizeof *in);
	in->fd = fd;
	in->codec = (enum tail_codec)codec;
	codec_begin(in);
	return in;
}

void tail_input_free(struct tail_input *in)
{
	if (in == NULL)
		return;
	codec_end(in);
	free(in);
}

/* fill - more compressed bytes; 0 at the end of the file */
static size_t fill(struct tail_input *in)
{
	ssize_t n;

	if (in->in_pos < in->in_len)
		return in->in_len - in->in_pos;
	do
		n = pread(in->fd, in->in, sizeof in->in, (off_t)in->in_off);
	while (n < 0 && errno == EINTR);
	in->in_pos = 0;
	in->in_len = n > 0 ? (size_t)n : 0;
	in->in_off += in->in_len;
	return in->in_len;
}

/* gzip: members one after another (gzip -c a b > c) are one stream */
static size_t step_gzip(struct tail_input *in, unsigned char *out, size_t n)
{
	int rc;

	in->z.next_in = in->in + in->in_pos;
	in->z.avail_in = (uInt)(in->in_len - in->in_pos);
	in->z.next_out = out;
	in->z.avail_out = (uInt)n;
	rc = inflate(&in->z, Z_NO_FLUSH);
	in->in_pos = in->in_len - in->z.avail_in;
	if (rc == Z_STREAM_END)
		in->done = inflateReset(&in->z) != Z_OK;
	else if (rc != Z_OK && rc != Z_BUF_ERROR)
		in->done = 1;
	return n - in->z.avail_out;
}

static size_t step_xz(struct tail_input *in, unsigned char *out, size_t n,
		      int at_end)
{
	lzma_ret rc;

	in->x.next_in = in->in + in->in_pos;
	in->x.avail_in = in->in_len - in->in_pos;
	in->x.next_out = out;
	in->x.avail_out = n;
	rc = lzma_code(&in->x, at_end ? LZMA_FINISH : LZMA_RUN);
	in->in_pos = in->in_len - in->x.avail_in;
	if (rc != LZMA_OK)
		in->done = 1;
	return n - in->x.avail_out;
}

static size_t step_zstd(struct tail_input *in, unsigned char *out, size_t n)
{
	ZSTD_inBuffer ib = { in->in, in->in_len, in->in_pos };
	ZSTD_outBuffer ob = { out, n, 0 };

	if (ZSTD_isError(ZSTD_decompressStream(in->zs, &ob, &ib)))
		in->done = 1;
	in->in_pos = ib.pos;
	return ob.pos;
}

/* decode - up to N decompressed bytes at out_off; 0 at the end */
static size_t decode(struct tail_input *in, unsigned char *out, size_t n)
{
	size_t got = 0;
	int stuck = 0;

	while (got == 0 && !in->done && stuck < 2) {
		int at_end = fill(in) == 0;
		size_t before = in->in_pos;

		if (in->codec == CODEC_GZIP)
			got = step_gzip(in, out, n);
		else if (in->codec == CODEC_XZ)
			got = step_xz(in, out, n, at_end);
		else
			got = step_zstd(in, out, n);
		if (got == 0 && at_end && in->in_pos == before)
			stuck++;	/* no input left, no output: the end */
	}
	in->out_off += got;
	return got;
}

ssize_t tail_input_pread(struct tail_input *in, void *buf, size_t n,
			 uint64_t off)
{
	unsigned char skip[4096];
	size_t got = 0;

	if (off < in->out_off)
		codec_begin(in);
	while (in->out_off < off && !in->done) {
		uint64_t gap = off - in->out_off;

		if (decode(in, skip, gap < sizeof skip ? (size_t)gap
						       : sizeof skip) == 0)
			break;
	}
	if (in->out_off != off)
		return 0;
	while (got < n) {
		size_t k = decode(in, (unsigned char *)buf + got, n - got);

		if (k == 0)
			break;
		got += k;
	}
	return (ssize_t)got;
}

ssize_t tail_pread(int fd, struct tail_input *in, void *buf, size_t n,
		   uint64_t off)
{
	ssize_t r;

	if (in != NULL)
		return tail_input_pread(in, buf, n, off);
	do
		r = pread(fd, buf, n, (off_t)off);
	while (r < 0 && errno == EINTR);
	return r;
}
