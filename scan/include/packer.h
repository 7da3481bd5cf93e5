/* Packer: groups a job's pages into files and e-mails so that every e-mail
 * fits the administrator's maximum attachment size and the gateway's SIZE.
 *
 * Sans-IO and allocation-free: the packer never touches a page. It asks the
 * caller two questions through callbacks, both answered exactly by code that
 * already exists (the PDF/TIFF writers size a file before writing it, the
 * MIME writer sizes a message before its first byte):
 *   - file_size(first_page, count): bytes of the file holding those pages;
 *   - message_size(shape): bytes of the whole MIME message carrying those
 *     files (headers, text part, base64 bodies, boundaries).
 *
 * Rules:
 *   - JPEG and TIFF: one file per page; an e-mail carries consecutive page
 *     files while their sum stays within the attachment limit.
 *     PDF and MTIFF: one multi-page file per e-mail.
 *     So the attachment limit always bounds the attachment bytes of one
 *     e-mail, which for PDF/MTIFF is the one file.
 *   - Every message is at most the SIZE limit (0: no limit), every e-mail's
 *     attachment bytes at most the attachment limit (0: no limit).
 *   - Pages stay in order, each exactly once; files and e-mails are cut at
 *     page boundaries only.
 *   - Greedy: each e-mail takes as many of the next pages as fit. As long as
 *     a shorter run of pages never makes a bigger e-mail (true of every real
 *     file and MIME format), this gives the fewest e-mails.
 *   - The subject carries "(i/n)" when n > 1, so a message's size depends on
 *     n, which is known only once packed. The packer first packs assuming
 *     n = 1 (no numbering), then again with the count it got, until the count
 *     it assumed is the count it gets. Longer numbers can only add e-mails,
 *     so the counts climb to the smallest self-consistent n, usually on the
 *     second pass. message_size must therefore grow (or stay) with
 *     shape->mail_total; if it shrinks, PACKER_ERR_UNSTABLE.
 *
 * File names (packer_file_name()): the first file of the job is "<base>.<ext>",
 * the k-th (1-based) "<base>_k.<ext>": scan.pdf, scan_2.pdf, ...; for JPEG
 * scan.jpg, scan_2.jpg, ... so that k is the page number. This replaces the
 * foundation's "scan_1.jpg" for multi-page JPEG jobs: a name never depends
 * on how many files the job has, so sizes computed while packing stay true,
 * and a one-page job is plainly "scan.jpg". (Mail clients sort "scan_10"
 * before "scan_2"; the subject numbering and the page order inside each
 * e-mail are what the reader follows.)
 *
 * A page that does not fit an e-mail on its own stops the packing with
 * PACKER_ERR_PAGE_TOO_BIG and is described in the result (page, its size,
 * the limit in the same unit), so the caller can re-encode it (scan_requant)
 * and pack again, or fail the job before anything is sent. */
#ifndef PACKER_H
#define PACKER_H

#include <stddef.h>
#include <stdint.h>

#include "scan_opts.h"

#define PACKER_ERR_BAD_ARG (-1)      /* NULL pointer, no pages, too many pages, unknown type */
#define PACKER_ERR_PAGE_TOO_BIG (-2) /* one page alone exceeds a limit; see result.too_big */
#define PACKER_ERR_CALLBACK (-3)     /* a size callback returned PACKER_SIZE_ERROR */
#define PACKER_ERR_UNSTABLE (-4)     /* fewer e-mails for a larger mail_total (a callback bug) */
#define PACKER_ERR_TOO_SMALL (-5)    /* output buffer too small (names, subjects) */

/* What a size callback returns when it cannot compute a size. */
#define PACKER_SIZE_ERROR UINT64_MAX

/* Longest "(i/n)" suffix with its leading space, for subject buffers. */
#define PACKER_SUBJECT_SUFFIX_MAX (sizeof(" (9999/9999)") - 1)

enum packer_type {
    PACKER_JPEG = 0, /* one page per file, .jpg */
    PACKER_TIFF,     /* single-page TIFF: one page per file, .tif */
    PACKER_PDF,      /* several pages per file, .pdf */
    PACKER_MTIFF,    /* multi-page TIFF: several pages per file, .tif */
};

/* One e-mail as the packer is considering it, given to message_size. */
struct packer_mail_shape {
    unsigned mail_index;        /* 0-based position of this e-mail in the job */
    unsigned mail_total;        /* e-mails assumed in all (1: no "(i/n)") */
    unsigned first_file;        /* 0-based job-wide index of its first file (names) */
    unsigned nfiles;            /* files attached, >= 1 */
    const uint64_t *file_sizes; /* nfiles exact file sizes, in order */
};

/* Exact bytes of the file holding pages first_page .. first_page+count-1
 * (0-based), or PACKER_SIZE_ERROR. For JPEG/TIFF count is always 1. */
typedef uint64_t (*packer_file_size_fn)(void *arg, unsigned first_page, unsigned count);

/* Exact bytes of the MIME message described by m (subject numbered with
 * packer_subject(), files named with packer_file_name()), or
 * PACKER_SIZE_ERROR. Must not shrink when a file grows or mail_total grows. */
typedef uint64_t (*packer_message_size_fn)(void *arg, const struct packer_mail_shape *m);

struct packer_cfg {
    enum packer_type type;
    unsigned pages;                /* pages in the job, 1..PACKER_MAX_PAGES */
    uint64_t attach_max;           /* administrator's maximum attachment size in bytes, 0: none */
    uint64_t size_max;             /* gateway's SIZE in bytes, 0: none advertised */
    packer_file_size_fn file_size; /* required */
    packer_message_size_fn message_size; /* required when size_max != 0, else may be NULL */
    void *arg;                           /* given to both callbacks */
};

struct packer_file {
    unsigned first_page; /* 0-based */
    unsigned page_count; /* >= 1 */
};

struct packer_mail {
    unsigned first_file;   /* 0-based index into files[] */
    unsigned file_count;   /* >= 1 */
    uint64_t attach_bytes; /* sum of its files' sizes */
    uint64_t message_size; /* message_size() of it, 0 when no callback was given */
};

/* Which limit a page broke. */
enum packer_limit {
    PACKER_LIMIT_NONE = 0,
    PACKER_LIMIT_ATTACHMENT, /* the administrator's maximum attachment size */
    PACKER_LIMIT_MESSAGE,    /* the gateway's SIZE (limit given as the largest file that fits) */
};

/* The first page that does not fit an e-mail alone. Sizes are file bytes:
 * page_size is the size of the file holding that page alone, limit the
 * largest such file that fits an e-mail alone (the attachment limit, or less
 * when the message would break SIZE; then sized with the longest subject
 * numbering the job could get, so it holds whatever the final count). To
 * fit, the page's data must shrink by at least page_size - limit bytes. */
struct packer_too_big {
    unsigned page; /* 0-based */
    uint64_t page_size;
    uint64_t limit;
    enum packer_limit which;
};

/* Caller-owned result; files[] and mails[] are filled in order, file_size[]
 * parallel to files[]. */
struct packer_result {
    unsigned file_count;
    unsigned mail_count;
    struct packer_file files[PACKER_MAX_PAGES];
    uint64_t file_size[PACKER_MAX_PAGES];
    struct packer_mail mails[PACKER_MAX_PAGES];
    struct packer_too_big too_big; /* valid after PACKER_ERR_PAGE_TOO_BIG */
};

/* Packs cfg->pages pages as described at the top of this file. On success
 * res holds mail_count >= 1 e-mails and file_count files. On
 * PACKER_ERR_PAGE_TOO_BIG res->too_big names the first page in order that
 * does not fit; files and mails are then incomplete and must not be used.
 * Returns 0 or PACKER_ERR_*. */
int packer_pack(const struct packer_cfg *cfg, struct packer_result *res);

/* "jpg", "tif" or "pdf" for a type, NULL for an unknown one. */
const char *packer_ext(enum packer_type type);

/* MIME content type of a type's files ("image/jpeg", "image/tiff",
 * "application/pdf"), NULL for an unknown one. */
const char *packer_content_type(enum packer_type type);

/* Writes the name of the job's file_index-th file (0-based): "<base>.<ext>"
 * for 0, "<base>_<file_index+1>.<ext>" after. NUL terminated.
 * Returns 0, PACKER_ERR_BAD_ARG (NULL), or PACKER_ERR_TOO_SMALL when the
 * name and its NUL do not fit cap (out is then the empty string). */
int packer_file_name(char *out, size_t cap, const char *base, unsigned file_index, const char *ext);

/* Writes the subject of e-mail mail_index (0-based) of mail_total: the
 * subject as is when mail_total <= 1, else "<subject> (i/n)" with i 1-based
 * ("(i/n)" alone when the subject is empty). NUL terminated.
 * Returns 0, PACKER_ERR_BAD_ARG (NULL, or mail_index >= mail_total > 1), or
 * PACKER_ERR_TOO_SMALL when it does not fit cap (out is then the empty
 * string). A buffer of strlen(subject) + PACKER_SUBJECT_SUFFIX_MAX + 1 bytes
 * always fits up to 9999 e-mails. */
int packer_subject(char *out, size_t cap, const char *subject, unsigned mail_index,
                   unsigned mail_total);

/* Bytes of n bytes in base64 as the MIME writer writes an attachment body:
 * 4 characters per 3 bytes (the last group padded), in lines of 76
 * characters joined by CRLF (0 for n = 0). */
uint64_t packer_base64_size(uint64_t n);

/* A conservative stand-in for message_size when the exact MIME writer is not
 * at hand: arg points to a struct packer_overhead; the result is
 * header + sum over files of (per_file + packer_base64_size(size)). */
struct packer_overhead {
    uint64_t header;   /* message headers, text part, closing boundary */
    uint64_t per_file; /* one part's boundary and headers (name included) */
};
uint64_t packer_estimate_message_size(void *arg, const struct packer_mail_shape *m);

#endif
