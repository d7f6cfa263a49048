/*
 * replay-main.c: run a fuzz target as a plain program, without
 * libFuzzer: each file named on the command line is read and handed to
 * LLVMFuzzerTestOneInput once.  Built with the ordinary compiler for
 * `make check` (tests/fuzz/replay.sh), so the corpus and every saved
 * crash are replayed on machines without clang.  Exit 0 when every
 * input ran; a failed invariant or a crash ends the process abnormally.
 */
#include <errno.h>
#include <string.h>

#include "fuzz.h"

/* Optional in a target, as with libFuzzer. */
#pragma weak LLVMFuzzerInitialize

#define REPLAY_MAX	(16u * 1024 * 1024)

static int
replay(const char *path)
{
	FILE	*fp;
	uint8_t	*buf = NULL;
	size_t	 len = 0, cap = 0, r;

	if ((fp = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	for (;;) {
		if (len == cap) {
			cap = cap ? cap * 2 : 4096;
			if (cap > REPLAY_MAX || (buf = realloc(buf, cap)) == NULL) {
				fprintf(stderr, "replay: %s: too large\n", path);
				fclose(fp);
				free(buf);
				return -1;
			}
		}
		r = fread(buf + len, 1, cap - len, fp);
		if (r == 0)
			break;
		len += r;
	}
	if (ferror(fp)) {
		fprintf(stderr, "replay: %s: read error\n", path);
		fclose(fp);
		free(buf);
		return -1;
	}
	fclose(fp);
	/* A copy of exactly len bytes, so a read past the input shows. */
	buf = realloc(buf, len ? len : 1);
	LLVMFuzzerTestOneInput(buf, len);
	free(buf);
	return 0;
}

int
main(int argc, char **argv)
{
	int	i, rc = 0;

	if (LLVMFuzzerInitialize != NULL)
		LLVMFuzzerInitialize(&argc, &argv);
	for (i = 1; i < argc; i++)
		if (replay(argv[i]) == -1)
			rc = 1;
	return rc;
}
