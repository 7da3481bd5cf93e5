#include "fw_loop.h"

/* Longest idle sleep: keeps the panel and the Stop key responsive. */
#define FW_LOOP_IDLE_MAX_MS 20

static void fw_loop_idle(fw_net_t *net)
{
    uint32_t ms = fw_net_idle_ms(net);
    hal_netif_wait(net->hal, ms < FW_LOOP_IDLE_MAX_MS ? ms : FW_LOOP_IDLE_MAX_MS);
}

static int fw_loop_run(fw_net_t *net, fw_job_t *job, fw_loop_tick_fn tick, void *arg,
                       int until_queued)
{
    while (!fw_job_finished(job)) {
        if (until_queued && fw_job_queued(job))
            return 1;
        fw_net_poll(net);
        int busy = fw_job_step(job);
        if (tick)
            tick(arg, job);
        if (!busy)
            fw_loop_idle(net);
    }
    return job->phase == FW_JOB_DONE ? 0 : -1;
}

int fw_loop_run_job(fw_net_t *net, fw_job_t *job, fw_loop_tick_fn tick, void *arg)
{
    return fw_loop_run(net, job, tick, arg, 0);
}

int fw_loop_run_job_until_queued(fw_net_t *net, fw_job_t *job, fw_loop_tick_fn tick, void *arg)
{
    return fw_loop_run(net, job, tick, arg, 1);
}

void fw_loop_run_for(fw_net_t *net, uint32_t ms)
{
    uint32_t start = hal_clock_now_ms(net->clock);
    while ((uint32_t)(hal_clock_now_ms(net->clock) - start) < ms) {
        fw_net_poll(net);
        fw_loop_idle(net);
    }
}
