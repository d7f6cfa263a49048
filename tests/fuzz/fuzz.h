/*
 * fuzz.h: what every fuzz target shares.  A target defines
 * LLVMFuzzerTestOneInput (and may define LLVMFuzzerInitialize); it is
 * linked either with libFuzzer (clang, tests/fuzz/build.sh) or with
 * replay-main.c (gcc, `make check`), which feeds it the corpus files.
 *
 * FUZZ_CHECK states an invariant of the code under test: a violation
 * aborts, which both drivers report as a crash.
 */
#ifndef BALTIC_FUZZ_H
#define BALTIC_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int	LLVMFuzzerInitialize(int *, char ***);

#define FUZZ_CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: invariant failed: %s\n",	\
		    __FILE__, __LINE__, #cond);				\
		abort();						\
	}								\
} while (0)

#endif /* BALTIC_FUZZ_H */
