/* Job journal: what a queued job needs to go on after a power cut.
 *
 * One blob "<spool prefix>job" in the storage HAL, rewritten whole (the
 * HAL's commit replaces the old blob atomically, so a power cut leaves the
 * old journal or the new one). It holds the user's fields, the spooled
 * pages, the packing limit, each e-mail's Message-ID and each recipient's
 * state and last reply, and the retry schedule's progress. Settings (the
 * gateway, TLS, credentials) are never written to it: a resumed job takes
 * today's settings, and no secret is kept in a journal.
 *
 * Layout (little-endian): "MFPJ", u16 version, the fields in the order of
 * fw_journal_save(), then the CRC32 (zlib) of every byte before it.
 * Strings are u16 length + bytes. */
#ifndef FW_JOURNAL_H
#define FW_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include "fw_job.h"

#define FW_JOURNAL_VERSION 1
#define FW_JOURNAL_EXT "job"
#ifndef FW_JOURNAL_TEXT_MAX
#define FW_JOURNAL_TEXT_MAX 160 /* bytes of a reply's text kept as evidence */
#endif

#define FW_JOURNAL_ERR_IO      (-0x0601) /* the storage failed or is full */
#define FW_JOURNAL_ERR_NONE    (-0x0602) /* no journal under that prefix */
#define FW_JOURNAL_ERR_CRC     (-0x0603) /* torn or altered: the CRC does not match */
#define FW_JOURNAL_ERR_VERSION (-0x0604) /* another format version */
#define FW_JOURNAL_ERR_FORMAT  (-0x0605) /* a length, count or value out of range */
#define FW_JOURNAL_ERR_SPACE   (-0x0606) /* the fields do not fit FW_JOB_SAVED_MAX */

/* "<prefix>job" into out (HAL_STORAGE_NAME_MAX + 1 bytes). 0 or FW_JOURNAL_ERR_FORMAT. */
int fw_journal_name(char *out, size_t cap, const char *prefix);

/* Writes the job's journal (job->env.storage, job->req.spool_prefix).
 * 0 or FW_JOURNAL_ERR_IO; the previous journal stays on failure. */
int fw_journal_save(const fw_job_t *job);

/* Reads the journal under prefix into job: req's user fields (strings in
 * job->saved), the scan pages (job->scan.pages, n_pages), page_quality,
 * size_max, resumed_mails, each e-mail's message_id, rcpt_results (delivered,
 * reply) and pending flags, attempts, retry_step and retry_at_wall. Every
 * length and count is checked; nothing else of job is touched.
 * 0 or FW_JOURNAL_ERR_*. */
int fw_journal_load(fw_job_t *job, const struct hal_storage *st, const char *prefix);

/* Removes the journal under prefix; 0 or FW_JOURNAL_ERR_NONE. */
int fw_journal_remove(const struct hal_storage *st, const char *prefix);

const char *fw_journal_strerror(int err);

#endif
