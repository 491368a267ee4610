/* Real and virtual clocks (include/durable/clock.h). */
#include <stdatomic.h>
#include <time.h>

#include "durable/clock.h"
#include "model/internal.h"

static int64_t real_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t real_now(void *user)
{
    (void)user;
    return real_now_ms();
}

static const durable_clock real_clock = {real_now, NULL};

const durable_clock *durable_clock_real(void)
{
    return &real_clock;
}

int64_t durable_clock_now(const durable_clock *clock)
{
    if (!clock)
        clock = &real_clock;
    return clock->now_ms(clock->user);
}

struct durable_vclock {
    durable_clock iface;
    durable_vclock_mode mode;
    int64_t base_ms;          /* FIXED: the start time */
    _Atomic int64_t offset;   /* skipped so far */
};

static int64_t vclock_now(void *user)
{
    durable_vclock *vc = user;
    int64_t off = atomic_load(&vc->offset);
    return (vc->mode == DURABLE_VCLOCK_FIXED ? vc->base_ms : real_now_ms()) + off;
}

int durable_vclock_new(durable_vclock **out, durable_vclock_mode mode, int64_t start_ms)
{
    durable_vclock *vc = durable__calloc(1, sizeof *vc);
    if (!vc)
        return durable__error_oom();
    vc->iface.now_ms = vclock_now;
    vc->iface.user = vc;
    vc->mode = mode;
    vc->base_ms = start_ms ? start_ms : real_now_ms();
    atomic_init(&vc->offset, 0);
    *out = vc;
    return 0;
}

void durable_vclock_free(durable_vclock *vc)
{
    durable_free(vc);
}

const durable_clock *durable_vclock_clock(durable_vclock *vc)
{
    return &vc->iface;
}

void durable_vclock_advance(durable_vclock *vc, int64_t delta_ms)
{
    if (delta_ms > 0)
        atomic_fetch_add(&vc->offset, delta_ms);
}

void durable_vclock_advance_to(durable_vclock *vc, int64_t when_ms)
{
    /* Retry on contention so concurrent advances never move time backwards. */
    for (;;) {
        int64_t off = atomic_load(&vc->offset);
        int64_t now = (vc->mode == DURABLE_VCLOCK_FIXED ? vc->base_ms : real_now_ms()) + off;
        if (now >= when_ms)
            return;
        if (atomic_compare_exchange_weak(&vc->offset, &off, off + (when_ms - now)))
            return;
    }
}

int64_t durable_vclock_offset(const durable_vclock *vc)
{
    return atomic_load(&((durable_vclock *)vc)->offset);
}
