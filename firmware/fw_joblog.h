/* Job log: the last FW_JOBLOG_MAX jobs' results, kept in the storage HAL
 * across power cuts, for the panel's job log and the service menu.
 *
 * Each entry is its own power-safe record (fw_nvstore "jlogN", two slots),
 * so adding one rewrites only the oldest entry and needs no buffer of the
 * whole log. An entry keeps the evidence of a failure: the stage, the
 * gateway's reply (code, enhanced code, text) and the panel's sentence;
 * never a password, and no message content. */
#ifndef FW_JOBLOG_H
#define FW_JOBLOG_H

#include <stddef.h>
#include <stdint.h>

#include "fw_job.h"

#ifndef FW_JOBLOG_MAX
#define FW_JOBLOG_MAX 8
#endif
#ifndef FW_JOBLOG_TEXT_MAX
#define FW_JOBLOG_TEXT_MAX 160 /* the gateway's reply text, and the panel's sentence */
#endif

#define FW_JOBLOG_ERR_IO (-0x0A01)

enum fw_joblog_result { FW_JOBLOG_SENT = 0, FW_JOBLOG_PARTLY_SENT, FW_JOBLOG_FAILED };

struct fw_joblog_entry {
    uint32_t seq;                          /* 1, 2, ...: newer is larger */
    int64_t time;                          /* wall clock, seconds (0: unknown) */
    enum fw_joblog_result result;
    unsigned pages, mails, rcpts;
    unsigned delivered;                    /* recipients that got every e-mail */
    unsigned sessions;
    char stage[16];                        /* "" when sent */
    int code;                              /* the gateway's reply, 0 if none */
    char enhanced[12];
    char reply[FW_JOBLOG_TEXT_MAX];
    char message[FW_JOBLOG_TEXT_MAX];      /* the panel's sentence, cut */
};

/* Adds the finished job's result, replacing the oldest entry when the log
 * is full. 0 or FW_JOBLOG_ERR_IO. */
int fw_joblog_add(const struct hal_storage *st, const fw_job_t *job);

/* Reads the log, newest first, into out (FW_JOBLOG_MAX entries); *count
 * entries were found (damaged ones are skipped). 0 or FW_JOBLOG_ERR_IO. */
int fw_joblog_read(const struct hal_storage *st, struct fw_joblog_entry *out, unsigned *count);

const char *fw_joblog_result_name(enum fw_joblog_result r);

#endif
