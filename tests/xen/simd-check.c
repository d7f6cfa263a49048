/*
 * simd-check: a check of the emulator, not of baltic.  For SECONDS,
 * compares the C library's memchr and memcpy (which pick their vector
 * versions by CPUID) against plain loops on random buffers, and checks
 * that the upper half of a YMM register survives sched_yield (the state
 * a context switch must save and restore).  Prints one line of counts;
 * exit 1 if any result was wrong.  Usage: simd-check SECONDS [SEED]
 */
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BUF_LEN	65536

/* Through volatile pointers, so that the compiler calls the library. */
static void *(*volatile lib_memchr)(const void *, int, size_t) =
    (void *(*)(const void *, int, size_t))memchr;
static void *(*volatile lib_memcpy)(void *, const void *, size_t) = memcpy;

static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/*
 * 1 if all 16 YMM registers kept their values across a spin of n turns
 * (long enough for timer interrupts, preemption and switches to other
 * domains), then n raw sched_yield calls: the state a context switch
 * saves and restores.  No C code runs while the registers hold them.
 */
__attribute__((target("avx")))
static int
ymm_kept(uint64_t v, long n)
{
	uint64_t	in[4] = { v, ~v, v ^ 0x5555555555555555ULL, v + 1 };
	uint64_t	out[16][4];
	long		spin = n, yields = n / 100000 + 1, r;
	int		i;

	memset(out, 0, sizeof out);
	__asm__ volatile(
	    "vmovdqu %[in], %%ymm0\n\t"
	    "vmovdqa %%ymm0, %%ymm1\n\t vmovdqa %%ymm0, %%ymm2\n\t"
	    "vmovdqa %%ymm0, %%ymm3\n\t vmovdqa %%ymm0, %%ymm4\n\t"
	    "vmovdqa %%ymm0, %%ymm5\n\t vmovdqa %%ymm0, %%ymm6\n\t"
	    "vmovdqa %%ymm0, %%ymm7\n\t vmovdqa %%ymm0, %%ymm8\n\t"
	    "vmovdqa %%ymm0, %%ymm9\n\t vmovdqa %%ymm0, %%ymm10\n\t"
	    "vmovdqa %%ymm0, %%ymm11\n\t vmovdqa %%ymm0, %%ymm12\n\t"
	    "vmovdqa %%ymm0, %%ymm13\n\t vmovdqa %%ymm0, %%ymm14\n\t"
	    "vmovdqa %%ymm0, %%ymm15\n\t"
	    "1: dec %[spin]\n\t jnz 1b\n\t"
	    "2: mov $24, %%eax\n\t syscall\n\t dec %[yields]\n\t jnz 2b\n\t"
	    "vmovdqu %%ymm0, 0(%[out])\n\t vmovdqu %%ymm1, 32(%[out])\n\t"
	    "vmovdqu %%ymm2, 64(%[out])\n\t vmovdqu %%ymm3, 96(%[out])\n\t"
	    "vmovdqu %%ymm4, 128(%[out])\n\t vmovdqu %%ymm5, 160(%[out])\n\t"
	    "vmovdqu %%ymm6, 192(%[out])\n\t vmovdqu %%ymm7, 224(%[out])\n\t"
	    "vmovdqu %%ymm8, 256(%[out])\n\t vmovdqu %%ymm9, 288(%[out])\n\t"
	    "vmovdqu %%ymm10, 320(%[out])\n\t vmovdqu %%ymm11, 352(%[out])\n\t"
	    "vmovdqu %%ymm12, 384(%[out])\n\t vmovdqu %%ymm13, 416(%[out])\n\t"
	    "vmovdqu %%ymm14, 448(%[out])\n\t vmovdqu %%ymm15, 480(%[out])\n\t"
	    "vzeroupper"
	    : [spin] "+r"(spin), [yields] "+r"(yields), "=&a"(r)
	    : [in] "m"(in), [out] "r"(out)
	    : "rcx", "r11", "memory", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4",
	      "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11",
	      "xmm12", "xmm13", "xmm14", "xmm15");
	(void)r;
	for (i = 0; i < 16; i++)
		if (memcmp(out[i], in, sizeof in) != 0)
			return 0;
	return 1;
}

int
main(int argc, char **argv)
{
	static uint8_t	 src[BUF_LEN + 64], dst[BUF_LEN + 64];
	uint64_t	 seed, iters = 0, chr_bad = 0, cpy_bad = 0;
	uint64_t	 ymm_bad = 0, ymm_runs = 0;
	time_t		 until;
	size_t		 len, off, pos, i;
	int		 avx;

	if (argc < 2) {
		fprintf(stderr, "usage: simd-check SECONDS [SEED]\n");
		return 2;
	}
	until = time(NULL) + atoi(argv[1]);
	seed = argc > 2 ? strtoull(argv[2], NULL, 10) : (uint64_t)time(NULL);
	seed |= 1;
	__builtin_cpu_init();
	avx = __builtin_cpu_supports("avx");
	while (time(NULL) < until) {
		for (i = 0; i < sizeof src; i++)
			src[i] = (uint8_t)(rnd(&seed) % 255 + 1);	/* no 0 */
		len = rnd(&seed) % BUF_LEN + 1;
		off = rnd(&seed) % 64;
		pos = rnd(&seed) % len;
		src[off + pos] = 0;
		for (i = 0; i < pos; i++)
			if (src[off + i] == 0)
				src[off + i] = 1;
		if (lib_memchr(src + off, 0, len) != src + off + pos)
			chr_bad++;
		memset(dst, 0, sizeof dst);
		lib_memcpy(dst + (off ^ 17) % 64, src + off, len);
		for (i = 0; i < len; i++)
			if (dst[(off ^ 17) % 64 + i] != src[off + i]) {
				cpy_bad++;
				break;
			}
		if (avx) {
			ymm_runs++;
			if (!ymm_kept(rnd(&seed), 2000000))
				ymm_bad++;
		}
		iters++;
	}
	printf("SIMD: %llu rounds, memchr wrong %llu, memcpy wrong %llu, "
	    "ymm registers lost %llu of %llu\n", (unsigned long long)iters,
	    (unsigned long long)chr_bad, (unsigned long long)cpy_bad,
	    (unsigned long long)ymm_bad, (unsigned long long)ymm_runs);
	return chr_bad + cpy_bad + ymm_bad > 0;
}
