/* SPDX-License-Identifier: BSD-3-Clause */
/* xcore_rtt: round-trip time of one cache line between two CPUs.
 *
 *   xcore_rtt CPU_A CPU_B [ROUNDS]      -> {"bench":"xcore_rtt",...,"rtt_ns":N}
 *
 * Two threads, pinned to CPU_A and CPU_B, hand a counter back and forth in
 * one cache line; rtt_ns is the time per round trip (two line transfers).
 * Why it exists: in the zero-copy fast-path bench every packet crosses from
 * the generator's CPU to the gateway's and back, so the cost of a
 * cross-core transfer is part of every figure. On the shared VMs this
 * project is measured on, the host moves the two vCPUs between cores that
 * share a cache and cores that do not, and this round trip was seen to flip
 * between ~57 ns and ~350 ns within seconds (2026-12-01); the gateway rates
 * flipped with it by up to 2x. perf/fp_bench.sh runs this before and after
 * every gateway run and records both.
 */
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static struct {
	volatile uint64_t v;
	char pad[56];
} line __attribute__((aligned(64)));

static uint64_t rounds = 100000;
static int cpu_b;
static volatile int pin_err; /* the other thread could not be pinned */

static int pin(int cpu)
{
	cpu_set_t s;

	CPU_ZERO(&s);
	CPU_SET(cpu, &s);
	return pthread_setaffinity_np(pthread_self(), sizeof(s), &s);
}

static void *pong(void *arg)
{
	(void)arg;
	if (pin(cpu_b) != 0) {
		pin_err = 1;
		return NULL;
	}
	for (uint64_t i = 0; i < rounds; i++) {
		while (line.v != 2 * i + 1)
			;
		line.v = 2 * i + 2;
	}
	return NULL;
}

static int parse_cpu(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);

	return (*s == '\0' || *end != '\0' || v < 0 || v >= CPU_SETSIZE) ? -1 : (int)v;
}

int main(int argc, char **argv)
{
	struct timespec a, b;
	pthread_t t;
	int cpu_a;

	if (argc < 3 || argc > 4 || (cpu_a = parse_cpu(argv[1])) < 0 ||
	    (cpu_b = parse_cpu(argv[2])) < 0 || cpu_a == cpu_b) {
		fprintf(stderr, "usage: xcore_rtt CPU_A CPU_B [ROUNDS]  (two different CPUs)\n");
		return 2;
	}
	if (argc == 4) {
		char *end;

		rounds = strtoull(argv[3], &end, 10);
		if (*argv[3] == '\0' || *end != '\0' || rounds == 0 || rounds > 100000000) {
			fprintf(stderr, "xcore_rtt: ROUNDS must be 1..100000000\n");
			return 2;
		}
	}
	if (pin(cpu_a) != 0) {
		fprintf(stderr, "xcore_rtt: cannot run on CPU %d\n", cpu_a);
		return 1;
	}
	line.v = 0;
	if (pthread_create(&t, NULL, pong, NULL) != 0) {
		fprintf(stderr, "xcore_rtt: pthread_create failed\n");
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (uint64_t i = 0; i < rounds && !pin_err; i++) {
		line.v = 2 * i + 1;
		while (line.v != 2 * i + 2 && !pin_err)
			;
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	pthread_join(t, NULL);
	if (pin_err) {
		fprintf(stderr, "xcore_rtt: cannot run on CPU %d\n", cpu_b);
		return 1;
	}
	double ns = (double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec);
	printf("{\"bench\":\"xcore_rtt\",\"cpu_a\":%d,\"cpu_b\":%d,\"rounds\":%llu,\"rtt_ns\":%.1f}\n",
	       cpu_a, cpu_b, (unsigned long long)rounds, ns / (double)rounds);
	return 0;
}
