/*
 * libdurable — clocks (DESIGN.md "Time", SPEC §8.7).
 *
 * Every timestamp the engine stores comes from a durable_clock. The real
 * clock reads CLOCK_REALTIME. The virtual clock is what time skipping moves:
 *  - OFFSET mode: now = real now + skip offset (the service's model);
 *  - FIXED mode: now = a fixed start + skip offset; time moves only when it
 *    is advanced, so two runs produce identical timestamps (golden files).
 *
 * Thread-safety: now() and advance may be called from any thread.
 */
#ifndef DURABLE_CLOCK_H
#define DURABLE_CLOCK_H

#include <stdint.h>

#include "durable/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct durable_clock {
    /* Current time in epoch milliseconds. */
    int64_t (*now_ms)(void *user);
    void *user;
} durable_clock;

/* Current time of a clock (NULL means the real clock). */
int64_t durable_clock_now(const durable_clock *clock);

/* The process-wide real clock; static, never freed. */
const durable_clock *durable_clock_real(void);

typedef enum durable_vclock_mode {
    DURABLE_VCLOCK_OFFSET = 0,
    DURABLE_VCLOCK_FIXED
} durable_vclock_mode;

typedef struct durable_vclock durable_vclock;

/* New virtual clock. In FIXED mode start_ms is the initial time (0 = the
 * real time at creation); in OFFSET mode start_ms is ignored. */
int durable_vclock_new(durable_vclock **out, durable_vclock_mode mode, int64_t start_ms);
void durable_vclock_free(durable_vclock *vc);

/* The clock interface of a virtual clock; borrowed, lives as long as vc. */
const durable_clock *durable_vclock_clock(durable_vclock *vc);

/* Move time forward by delta_ms (>= 0). */
void durable_vclock_advance(durable_vclock *vc, int64_t delta_ms);

/* Move time forward to at least when_ms (no-op if already past). */
void durable_vclock_advance_to(durable_vclock *vc, int64_t when_ms);

/* Total skipped so far, in ms. */
int64_t durable_vclock_offset(const durable_vclock *vc);

#ifdef __cplusplus
}
#endif

#endif /* DURABLE_CLOCK_H */
