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
#include "fw_settings.h"
#include "hal/hal_clock.h"
#include "hal/hal_rng.h"
#include "hal/hal_scanner.h"
#include "hal/hal_storage.h"
#include "mime.h"
#include "packer.h"
#include "pdfw.h"
#include "tiffw.h"
#include "scan_job.h"
#include "scan_requant.h"
#include "smtp_session.h"
#include "smtp_tls.h"
#include "smtp_transport.h"
#include "spool.h"

#ifndef FW_JOB_RCPT_MAX
#define FW_JOB_RCPT_MAX 32          /* To + Cc + Bcc addresses of one job, together */
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

#ifndef FW_JOB_MAIL_MAX
#define FW_JOB_MAIL_MAX 32          /* e-mails one job may be split into */
#endif
#ifndef FW_JOB_GATEWAYS_MAX
#define FW_JOB_GATEWAYS_MAX 4       /* the gateway and its backups, in priority order */
#endif
#ifndef FW_JOB_RETRY_STEPS_MAX
#define FW_JOB_RETRY_STEPS_MAX 8    /* waits in a retry schedule */
#endif
/* The default schedule for recipients the gateway deferred (4xx, greylisting,
 * a dropped link): 1, 2, 5, 10 and 30 minutes, then the job gives up. Common
 * greylisting delays (Postfix postgrey: 5 minutes) pass within it. */
#ifndef FW_JOB_RETRY_SCHEDULE_MS
#define FW_JOB_RETRY_SCHEDULE_MS {60000, 120000, 300000, 600000, 1800000}
#endif
#ifndef FW_JOB_SAVED_MAX
#define FW_JOB_SAVED_MAX 12288      /* a resumed job's fields, read from its journal */
#endif
#ifndef FW_JOB_MESSAGE_MAX
#define FW_JOB_MESSAGE_MAX 2048     /* bytes of the message (body text) */
#endif
#ifndef FW_JOB_PRODUCER
#define FW_JOB_PRODUCER "MFP scan-to-email firmware"
#endif

#define FW_JOB_ERR_BAD_ARGS (-0x0501)
#define FW_JOB_ERR_FIELD    (-0x0502) /* a field is invalid: see fw_job.field */
#define FW_JOB_AGAIN 1                  /* internal: a bounded step of work remains */

/* A backup gateway (E-mail Setup lists each with its own settings). */
struct fw_job_gateway {
    const char *host;                      /* IPv4 address or FQDN */
    uint16_t port;
    /* 0: the primary gateway's TLS mode and sign-in; 1: the ones below. */
    int own_security;
    smtp_tls_mode_t tls;
    const char *auth_user;                 /* NULL: no sign-in */
    const char *auth_pass;
};

/* File types the user picks under More Options. */
enum fw_file_type { FW_FILE_JPEG = 0, FW_FILE_PDF, FW_FILE_TIFF, FW_FILE_MTIFF };
/* Colour modes: black and white is made from grey in scan/ (bilevel, G4). */
enum fw_color { FW_COLOR = 0, FW_GREY, FW_BW };

struct fw_job_request {
    const char *from_addr;                 /* the user's From (envelope and header) */
    const char *from_name;                 /* may be NULL or "" */
    /* "Prevent the user from changing From": the administrator's fixed From
     * becomes the envelope sender and header From, the user's address goes
     * to Reply-To (for gateways that refuse a From the signed-in account
     * does not own). NULL: the user's From is used. */
    const char *fixed_from;
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
    enum fw_color color;
    enum scan_bilevel_mode bw_mode;        /* black and white: threshold or diffusion */
    int darkness;                          /* black and white: -3 .. +3 */
    struct hal_scan_params scan;           /* .color is set from color */
    unsigned quality;                      /* JPEG quality 1..100, 0: default */
    uint64_t max_attachment;               /* bytes of attachments per e-mail, 0: no limit */
    const char *gateway;                   /* IPv4 address or FQDN */
    uint16_t port;
    /* Backups, tried in order when the one before cannot be reached (DNS,
     * connection) or answers 421 at the greeting. Same TLS and sign-in. */
    struct fw_job_gateway backup[FW_JOB_GATEWAYS_MAX - 1];
    size_t backup_count;
    const char *ehlo_domain;               /* NULL: the device's address literal */
    const char *spool_prefix;              /* spool blob name prefix, e.g. "j1-" */
    smtp_timeouts_t timeouts;              /* zero: RFC 5321 defaults */
    /* Security (Administration > E-mail Setup). */
    smtp_tls_mode_t tls;                   /* none, STARTTLS (required), implicit */
    const uint8_t *ca;                     /* trusted CA certificates, PEM with its NUL */
    size_t ca_len;
    int insecure_skip_verify;              /* explicit, marked insecure on the panel */
    const char *auth_user;                 /* NULL: no sign-in */
    const char *auth_pass;
    unsigned auth_mech;                    /* 0: the strongest both offer; else SMTP_AUTH_* */
    int allow_cleartext_auth;              /* explicit: credentials without TLS */
    size_t rcpt_max;                       /* recipients per transaction, 0: the gateway's */
    int keep_spool;                        /* keep the spooled pages after the job (service) */
    /* Gateway Test (E-mail Setup): no scan, no e-mail; connect, greeting,
     * EHLO, STARTTLS or TLS with verification, AUTH when configured, QUIT. */
    int test_gateway;
    /* Waits before each new session for deferred recipients; the job gives
     * up after the last. retry_steps 0: FW_JOB_RETRY_SCHEDULE_MS; no_retry:
     * deferred recipients fail at once. */
    uint32_t retry_ms[FW_JOB_RETRY_STEPS_MAX];
    unsigned retry_steps;
    int no_retry;
    int retry_now;                         /* fw_job_resume: now, not at the schedule's time */
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
    FW_JOB_PACKING,
    FW_JOB_WAIT_NETWORK,
    FW_JOB_CONNECTING,
    FW_JOB_SENDING,
    FW_JOB_RETRY_WAIT,                     /* the gateway deferred some recipients (greylisting) */
    FW_JOB_DONE,
    FW_JOB_FAILED
} fw_job_phase_t;

/* Reads one spooled page for the file writers; opens it on first use. */
struct fw_job;

struct fw_job_page_reader {
    struct fw_job *job;
    const struct hal_storage *st;
    char name[HAL_STORAGE_NAME_MAX + 1];
    struct spool_page page;
    int open;
};

/* One attached file: a page as it is (JPEG) or a virtual PDF/TIFF file
 * assembled from page blobs while it is read. */
struct fw_job_file {
    char name[MIME_FILENAME_MAX + 1];
    unsigned first_page, page_count;
    uint32_t size;
    struct pdfw_doc doc;
    union {
        struct pdfw pdf;
        struct tiffw tiff;
    } w;
};

/* One e-mail of the job. */
struct fw_job_mail {
    struct fw_job *job;
    char subject[FW_SETTINGS_STR_MAX + PACKER_SUBJECT_SUFFIX_MAX + 1];
    char message_id[MIME_MSGID_MAX + 1];
    mime_message_t mime;
    uint64_t size;                         /* exact bytes of the message */
    smtp_message_result_t result;
    smtp_rcpt_result_t rcpt_results[FW_JOB_RCPT_MAX]; /* by job recipient, over all sessions */
    uint8_t pending[FW_JOB_RCPT_MAX];      /* by job recipient: still to be sent */
    /* The recipients of the current session (all at first, then the deferred). */
    const char *attempt_rcpts[FW_JOB_RCPT_MAX];
    unsigned attempt_map[FW_JOB_RCPT_MAX];  /* session index -> job recipient index */
    size_t attempt_count;
    smtp_rcpt_result_t attempt[FW_JOB_RCPT_MAX];
};

typedef struct fw_job {
    struct fw_job_request req;
    struct fw_job_env env;
    fw_job_phase_t phase;
    uint32_t phase_since_ms;

    /* Failure evidence, for the panel and mfp-sim. */
    const char *stage;                     /* "scan", "pack", "network", "dns", "connect", ... */
    char error[320];                       /* one sentence: what happened and what to do */
    const char *field;                     /* the invalid field, for FW_JOB_ERR_FIELD */

    struct scan_job scan;
    unsigned requantized;                  /* pages re-encoded smaller to fit the limit */
    unsigned page_quality[SCAN_JOB_MAX_PAGES];
    struct scan_requant requant;
    struct scan_requant_job shrink;        /* the page being re-encoded, when shrinking */
    int shrinking;
    struct packer_too_big shrink_page;
    uint64_t shrink_wrapper;               /* file bytes around that page's data */
    char shrink_dst[HAL_STORAGE_NAME_MAX + 1];

    /* Scratch for sizing files and e-mails while packing. */
    struct pdfw size_pdf;
    mime_writer_t size_writer;
    mime_attachment_t size_att[SCAN_JOB_MAX_PAGES];
    char size_names[SCAN_JOB_MAX_PAGES][MIME_FILENAME_MAX + 1];

    /* Pages, files and e-mails (packer.h decides the grouping). */
    struct fw_job_page_reader readers[SCAN_JOB_MAX_PAGES];
    struct pdfw_page pdf_pages[SCAN_JOB_MAX_PAGES];
    struct tiffw_page tiff_pages[SCAN_JOB_MAX_PAGES];
    struct fw_job_file files[SCAN_JOB_MAX_PAGES];
    mime_attachment_t attachments[SCAN_JOB_MAX_PAGES];
    struct packer_result pack;
    uint64_t size_max;                     /* the gateway's SIZE the job was packed for */
    struct fw_job_mail mails[FW_JOB_MAIL_MAX];
    unsigned mail_count;
    mime_str_t to[FW_JOB_RCPT_MAX], cc[FW_JOB_RCPT_MAX];
    mime_writer_t writer;
    int writer_mail;                       /* the e-mail the writer is on, -1: none */
    char ehlo[256];                        /* EHLO name: settings, host.DHCP domain or [address] */

    const char *rcpts[FW_JOB_RCPT_MAX];
    size_t rcpt_count;
    smtp_message_t msgs[FW_JOB_MAIL_MAX];
    smtp_config_t smtp_cfg;
    unsigned attempts;                     /* sessions started */
    unsigned gateway_index;                /* 0: req.gateway, then the backups */
    const char *gw_host;                   /* the gateway of the current session */
    uint16_t gw_port;
    struct fw_job_gateway gw;              /* its address, TLS mode and sign-in */
    uint32_t retry_at_ms;
    unsigned retry_step;                   /* waits of the schedule used so far */
    int64_t retry_at_wall;                 /* the same moment on the wall clock (journal) */
    unsigned deferred;                     /* recipients deferred in the last session */
    int journaled;                         /* the journal holds this job: it survives a restart */
    unsigned resumed_mails;                /* e-mails the journal had (resumed jobs) */
    char saved[FW_JOB_SAVED_MAX];          /* a resumed job's strings */
    smtp_tls_config_t tls_cfg;
    int tls_cfg_ready;
    smtp_session_t session;
    smtp_transport_t transport;
    uint8_t outbuf[FW_JOB_OUTBUF];
} fw_job_t;

/* Bytes of band buffer a job with this request needs. */
size_t fw_job_band_buffer_size(const struct fw_job_request *req);

/* Validates req (every field; the reason goes to job->error and the field
 * name to job->field) and prepares the job. 0, FW_JOB_ERR_BAD_ARGS or
 * FW_JOB_ERR_FIELD. The request's strings must outlive the job. */
int fw_job_init(fw_job_t *job, const struct fw_job_request *req, const struct fw_job_env *env);

/* Goes on with a job that a restart interrupted, from its journal (see
 * fw_journal.h) in settings->storage under settings->spool_prefix: the
 * user's fields, the pages and what the gateway already accepted come from
 * the journal; the gateway, security and retry settings from `settings`
 * (today's settings). E-mails the gateway accepted are never sent again;
 * the others go with the Message-ID they had. 0, or a failure with the
 * reason in job->error (the journal is then removed by fw_job_free). */
int fw_job_resume(fw_job_t *job, const struct fw_job_request *settings,
                  const struct fw_job_env *env);

/* 1 while the job waits for the retry schedule or the network with its
 * journal written: it may be left (fw_job_free keeps its files) and resumed
 * after a restart. */
int fw_job_queued(const fw_job_t *job);

/* One slice of work. Returns 1 when it did CPU work and wants to be called
 * again at once, 0 when it waits for the network or the clock. */
int fw_job_step(fw_job_t *job);

/* 1 once the job is DONE or FAILED. */
int fw_job_finished(const fw_job_t *job);

/* Stops the job (Stop key): aborts the connection, discards the spool. */
void fw_job_cancel(fw_job_t *job);

/* Releases everything. A finished job's result goes to the job log
 * (fw_joblog.h) and its spooled pages and journal are removed; a queued
 * one's are kept for fw_job_resume(). Safe on a zeroed job. */
void fw_job_free(fw_job_t *job);

/* The e-mail being sent (0-based), for progress. */
unsigned fw_job_sending_mail(const fw_job_t *job);

/* Recipients of the job (To, Cc, Bcc in that order) and which list each is in. */
const char *fw_job_rcpt_kind(const fw_job_t *job, size_t i);

const char *fw_job_phase_name(fw_job_phase_t phase);

#endif
