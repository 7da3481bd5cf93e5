/* Job manager: one scan-to-email job from Start to the result.
 *
 * scanner -> scan_job (JPEG pages into the spool) -> MIME writer -> SMTP
 * session -> transport -> gateway. fw_job_step() does one bounded slice of
 * work and never blocks; the super-loop calls it with the network polled in
 * between (see fw_loop.h). The job keeps the evidence of a failure: the stage,
 * the gateway's reply (code, enhanced code, text) and a sentence for the panel. */
#ifndef FW_JOB_H
#define FW_JOB_H

#include <stddef.h>
#include <stdint.h>

#include "fw_net.h"
#include "hal/hal_clock.h"
#include "hal/hal_rng.h"
#include "hal/hal_scanner.h"
#include "hal/hal_storage.h"
#include "mime.h"
#include "scan_job.h"
#include "smtp_session.h"
#include "smtp_transport.h"
#include "spool.h"

#ifndef FW_JOB_RCPT_MAX
#define FW_JOB_RCPT_MAX 32          /* To + Cc + Bcc addresses of one job */
#endif
#ifndef FW_JOB_NET_TIMEOUT_MS
#define FW_JOB_NET_TIMEOUT_MS 15000 /* waiting for a DHCP lease */
#endif
#ifndef FW_JOB_OUTBUF
#define FW_JOB_OUTBUF 4096          /* SMTP engine output buffer */
#endif
#ifndef FW_JOB_FILE_NAME_MAX
#define FW_JOB_FILE_NAME_MAX 64     /* the user's base name, before "_2" and ".pdf" */
#endif
#ifndef FW_JOB_BAND_LINES
#define FW_JOB_BAND_LINES 16
#endif

#define FW_JOB_ERR_BAD_ARGS (-0x0501)
#define FW_JOB_ERR_FIELD    (-0x0502) /* a field is invalid: see fw_job.field */

enum fw_file_type { FW_FILE_JPEG = 0 };

struct fw_job_request {
    const char *from_addr;
    const char *from_name;                 /* may be NULL or "" */
    const char *to[FW_JOB_RCPT_MAX];
    size_t to_count;
    const char *cc[FW_JOB_RCPT_MAX];
    size_t cc_count;
    const char *bcc[FW_JOB_RCPT_MAX];
    size_t bcc_count;
    const char *subject;
    const char *message;                   /* body text, may be NULL */
    const char *file_name;                 /* attachment base name, "scan" if NULL */
    enum fw_file_type type;
    struct hal_scan_params scan;
    unsigned quality;                      /* JPEG quality 1..100, 0: default */
    const char *gateway;                   /* IPv4 address or FQDN */
    uint16_t port;
    const char *ehlo_domain;               /* NULL: the device's address literal */
    const char *spool_prefix;              /* spool blob name prefix, e.g. "j1-" */
    smtp_timeouts_t timeouts;              /* zero: RFC 5321 defaults */
    int keep_spool;                        /* keep the spooled pages after the job (service) */
};

/* What the job needs from the board. */
struct fw_job_env {
    const struct hal_scanner *scanner;
    const struct hal_storage *storage;
    const struct hal_clock *clock;
    const struct hal_rng *rng;
    fw_net_t *net;
    uint8_t *band_buf;                     /* fw_job_band_buffer_size() bytes */
    size_t band_buf_size;
};

typedef enum fw_job_phase {
    FW_JOB_SCANNING = 0,
    FW_JOB_WAIT_NETWORK,
    FW_JOB_CONNECTING,
    FW_JOB_SENDING,
    FW_JOB_DONE,
    FW_JOB_FAILED
} fw_job_phase_t;

/* Reads one spooled page for the MIME writer; opens it on first use. */
struct fw_job_page_reader {
    const struct hal_storage *st;
    char name[HAL_STORAGE_NAME_MAX + 1];
    struct spool_page page;
    int open;
};

typedef struct fw_job {
    struct fw_job_request req;
    struct fw_job_env env;
    fw_job_phase_t phase;
    uint32_t phase_since_ms;

    /* Failure evidence, for the panel and mfp-sim. */
    const char *stage;                     /* "scan", "network", "dns", "connect", "greeting", ... */
    char error[256];                       /* one sentence: what happened and what to do */
    const char *field;                     /* the invalid field, for FW_JOB_ERR_FIELD */

    struct scan_job scan;

    /* The message: all pages as attachments of one e-mail. */
    char file_names[SCAN_JOB_MAX_PAGES][MIME_FILENAME_MAX + 1];
    struct fw_job_page_reader readers[SCAN_JOB_MAX_PAGES];
    mime_attachment_t attachments[SCAN_JOB_MAX_PAGES];
    mime_str_t to[FW_JOB_RCPT_MAX], cc[FW_JOB_RCPT_MAX];
    char message_id[MIME_MSGID_MAX + 1];
    char ehlo[32];
    mime_message_t mime;
    mime_writer_t writer;

    const char *rcpts[3 * FW_JOB_RCPT_MAX];
    smtp_rcpt_result_t rcpt_results[3 * FW_JOB_RCPT_MAX];
    smtp_message_result_t msg_result;
    smtp_message_t msg;
    smtp_config_t smtp_cfg;
    smtp_session_t session;
    smtp_transport_t transport;
    uint8_t outbuf[FW_JOB_OUTBUF];
} fw_job_t;

/* Bytes of band buffer a job with these scan parameters needs. */
size_t fw_job_band_buffer_size(const struct hal_scan_params *scan);

/* Validates req (every field; the reason goes to job->error and the field
 * name to job->field) and prepares the job. 0, FW_JOB_ERR_BAD_ARGS or
 * FW_JOB_ERR_FIELD. The request's strings must outlive the job. */
int fw_job_init(fw_job_t *job, const struct fw_job_request *req, const struct fw_job_env *env);

/* One slice of work. Returns 1 when it did CPU work and wants to be called
 * again at once, 0 when it waits for the network or the clock. */
int fw_job_step(fw_job_t *job);

/* 1 once the job is DONE or FAILED. */
int fw_job_finished(const fw_job_t *job);

/* Stops the job (Stop key): aborts the connection, discards the spool. */
void fw_job_cancel(fw_job_t *job);

/* Releases everything; removes the spooled pages. Safe on a zeroed job. */
void fw_job_free(fw_job_t *job);

const char *fw_job_phase_name(fw_job_phase_t phase);

#endif
