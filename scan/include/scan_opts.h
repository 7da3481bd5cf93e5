/* Budgets of the scan pipeline (scan_jpeg, spool, scan_job). Each is a
 * default that a board may override before this header is included
 * (for instance with -D on the command line). */
#ifndef SCAN_OPTS_H
#define SCAN_OPTS_H

/* Bytes of compressed JPEG held in the encoder context before they are
 * handed to the sink (the spool, hence the storage HAL). Larger means fewer
 * storage writes; flash pages are typically 2-4 KiB. */
#ifndef SCAN_JPEG_OUTBUF_SIZE
#define SCAN_JPEG_OUTBUF_SIZE 4096
#endif

/* JPEG quality used when the job configuration leaves it at 0. */
#ifndef SCAN_JPEG_QUALITY_DEFAULT
#define SCAN_JPEG_QUALITY_DEFAULT 85
#endif

/* Lines per band when the job configuration leaves band_lines at 0. A
 * multiple of 16 matches libjpeg's MCU row for 4:2:0 colour. */
#ifndef SCAN_JOB_BAND_LINES_DEFAULT
#define SCAN_JOB_BAND_LINES_DEFAULT 16
#endif

/* Pages one job can spool; the list of committed pages is a fixed array of
 * this many entries inside struct scan_job. */
#ifndef SCAN_JOB_MAX_PAGES
#define SCAN_JOB_MAX_PAGES 100
#endif

/* Longest spool name prefix (without the NUL), e.g. "j0042-". */
#ifndef SPOOL_PREFIX_MAX
#define SPOOL_PREFIX_MAX 24
#endif

/* Bytes read per storage call when the spool checks a page's CRC (on the
 * stack of spool_page_open()). */
#ifndef SPOOL_VERIFY_CHUNK
#define SPOOL_VERIFY_CHUNK 512
#endif

/* Pages the packer can group (one job). The packer's result holds fixed
 * arrays of this many files and e-mails (every file and every e-mail holds
 * at least one page), so no allocation is needed. */
#ifndef PACKER_MAX_PAGES
#define PACKER_MAX_PAGES SCAN_JOB_MAX_PAGES
#endif

/* Re-encoding a JPEG page that alone exceeds the attachment limit: the
 * qualities tried go down from the page's own quality by this step (each try
 * starts again from the original page, never from an earlier try, so the
 * losses do not add up) until the floor, which is always tried last:
 * 85 -> 70 -> 55 -> 40 -> 25. Below about 25 text set in 8-10 pt at 300 dpi
 * gets blocky enough to misread, so a page that does not fit at the floor
 * fails the job with a message instead of arriving unreadable. */
#ifndef SCAN_REQUANT_QUALITY_STEP
#define SCAN_REQUANT_QUALITY_STEP 15
#endif
#ifndef SCAN_REQUANT_QUALITY_FLOOR
#define SCAN_REQUANT_QUALITY_FLOOR 25
#endif

/* Bytes of the source JPEG read per call of the read callback while
 * re-encoding (held in the scan_requant context). */
#ifndef SCAN_REQUANT_INBUF_SIZE
#define SCAN_REQUANT_INBUF_SIZE 4096
#endif

/* Heap budgets of a whole scan-to-e-mail job (scan, spool, PDF/TIFF
 * writers, MIME, SMTP), in bytes, beside the caller's band buffer: what
 * libjpeg (colour and grey) or libtiff's G4 encoder (black and white)
 * allocate, for an A4 page at 300 and 600 dpi. The peak does not grow with
 * pages: files are virtual, pages live in the spool. Asserted exactly by
 * `bench_job budget` (make test) with the counting allocator, 1 page and 50
 * pages. Measured on x86-64 with libjpeg-turbo 2.1 and libtiff 4.5 (colour:
 * 95,959 and 170,327 bytes; black and white: 43,680 and 83,927 bytes); each
 * budget is about 1.25 x that, rounded up to 8 KiB. Band buffers (16 lines,
 * A4): colour 119,040 / 238,128 bytes, black and white 49,604 / 99,238. */
#ifndef SCAN_HEAP_BUDGET_COLOR_300
#define SCAN_HEAP_BUDGET_COLOR_300 (120 * 1024)
#endif
#ifndef SCAN_HEAP_BUDGET_COLOR_600
#define SCAN_HEAP_BUDGET_COLOR_600 (208 * 1024)
#endif
#ifndef SCAN_HEAP_BUDGET_BW_300
#define SCAN_HEAP_BUDGET_BW_300 (56 * 1024)
#endif
#ifndef SCAN_HEAP_BUDGET_BW_600
#define SCAN_HEAP_BUDGET_BW_600 (104 * 1024)
#endif

#if PACKER_MAX_PAGES < 1 || PACKER_MAX_PAGES > 9999
#error "PACKER_MAX_PAGES must be 1..9999"
#endif
#if SCAN_REQUANT_QUALITY_STEP < 1 || SCAN_REQUANT_QUALITY_FLOOR < 1 || SCAN_REQUANT_QUALITY_FLOOR > 100
#error "SCAN_REQUANT_QUALITY_STEP must be >= 1 and SCAN_REQUANT_QUALITY_FLOOR 1..100"
#endif
#if SCAN_REQUANT_INBUF_SIZE < 512
#error "SCAN_REQUANT_INBUF_SIZE must be at least 512 bytes"
#endif

#if SCAN_JPEG_OUTBUF_SIZE < 256
#error "SCAN_JPEG_OUTBUF_SIZE must be at least 256 bytes"
#endif
#if SCAN_JOB_BAND_LINES_DEFAULT < 1
#error "SCAN_JOB_BAND_LINES_DEFAULT must be at least 1"
#endif
#if SCAN_JOB_MAX_PAGES < 1 || SCAN_JOB_MAX_PAGES > 9999
#error "SCAN_JOB_MAX_PAGES must be 1..9999 (spool names carry 4 digits)"
#endif
#if SPOOL_PREFIX_MAX + 10 > 64
#error "SPOOL_PREFIX_MAX + \"p0000.jpg\" must fit HAL_STORAGE_NAME_MAX (64)"
#endif

#endif
