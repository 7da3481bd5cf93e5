/* The cooperative super-loop: poll the network, step the job by one slice,
 * sleep on the netif only when nothing is runnable. */
#ifndef FW_LOOP_H
#define FW_LOOP_H

#include "fw_job.h"
#include "fw_net.h"

/* Called once per loop turn (progress display, Stop key). */
typedef void (*fw_loop_tick_fn)(void *arg, fw_job_t *job);

/* Runs job to its end. Returns 0 when it is DONE, -1 when it FAILED. */
int fw_loop_run_job(fw_net_t *net, fw_job_t *job, fw_loop_tick_fn tick, void *arg);

/* Runs job until it is queued (its journal written: it survives a restart)
 * or ends. Returns 1 when queued, else as fw_loop_run_job(). */
int fw_loop_run_job_until_queued(fw_net_t *net, fw_job_t *job, fw_loop_tick_fn tick, void *arg);

/* Polls the network for ms milliseconds (DHCP, a closing connection). */
void fw_loop_run_for(fw_net_t *net, uint32_t ms);

#endif
