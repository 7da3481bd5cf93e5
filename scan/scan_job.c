/* Scan job: one bounded slice of scanner -> JPEG -> spool per step. */
#include "scan_job.h"

#include <string.h>

static int scan_job_start(struct scan_job *job);
static int scan_job_next_page(struct scan_job *job);
static int scan_job_band(struct scan_job *job);
static int scan_job_finish_page(struct scan_job *job);
static int scan_job_fail(struct scan_job *job, int err, int detail);
static int scan_job_from_scanner(int rc);
static int scan_job_from_spool(int rc);
static int scan_job_from_jpeg(struct scan_job *job, int rc);
static int scan_job_sink(void *arg, const uint8_t *buf, size_t len);
static int scan_job_open_blob(struct scan_job *job, const char *ext);
static int scan_job_start_jpeg(struct scan_job *job);
static int scan_job_start_g4(struct scan_job *job);
static int scan_job_from_g4(struct scan_job *job, int rc);
static unsigned scan_job_band_lines(unsigned band_lines);
static size_t scan_job_band_bytes(unsigned width, unsigned components, unsigned lines,
                                  int bilevel);

unsigned scan_job_pixels(unsigned mm10, unsigned dpi)
{
    /* 254 tenths of a millimetre per inch; + 127 rounds to nearest. */
    return (unsigned)(((uint64_t)mm10 * dpi + 127) / 254);
}

size_t scan_job_band_buffer_size(const struct hal_scan_params *params, unsigned band_lines,
                                 int bilevel)
{
    if (params == NULL)
        return 0;
    return scan_job_band_bytes(scan_job_pixels(params->width_mm10, params->dpi),
                               params->color == HAL_SCAN_GREY ? 1 : 3,
                               scan_job_band_lines(band_lines), bilevel);
}

static size_t scan_job_band_bytes(unsigned width, unsigned components, unsigned lines, int bilevel)
{
    if (!bilevel)
        return (size_t)width * components * lines;
    /* Error line first (int16 alignment), then the grey band, then packed rows. */
    return scan_bilevel_err_buffer_size(width) + (size_t)width * lines +
           scan_bilevel_row_bytes(width) * lines;
}

int scan_job_init(struct scan_job *job, const struct scan_job_cfg *cfg)
{
    size_t need;

    if (job == NULL)
        return SCAN_JOB_ERR_BAD_ARG;
    memset(job, 0, sizeof(*job));
    if (cfg == NULL || cfg->scanner == NULL || cfg->storage == NULL || cfg->band_buf == NULL ||
        cfg->quality > 100)
        return SCAN_JOB_ERR_BAD_ARG;
    if (cfg->prefix != NULL && strlen(cfg->prefix) > SPOOL_PREFIX_MAX)
        return SCAN_JOB_ERR_BAD_ARG;
    need = scan_job_band_buffer_size(&cfg->params, cfg->band_lines, cfg->bilevel);
    if (need == 0 || cfg->band_buf_size < need)
        return SCAN_JOB_ERR_BAD_ARG;
    if (cfg->bilevel && (cfg->params.color != HAL_SCAN_GREY ||
                         cfg->darkness < SCAN_BILEVEL_DARKNESS_MIN ||
                         cfg->darkness > SCAN_BILEVEL_DARKNESS_MAX))
        return SCAN_JOB_ERR_BAD_ARG;

    job->cfg = *cfg;
    if (cfg->prefix != NULL)
        strcpy(job->prefix, cfg->prefix);
    job->cfg.prefix = job->prefix;
    job->cfg.band_lines = scan_job_band_lines(cfg->band_lines);
    if (job->cfg.quality == 0)
        job->cfg.quality = SCAN_JPEG_QUALITY_DEFAULT;
    job->state = SCAN_JOB_S_START;
    return 0;
}

int scan_job_step(struct scan_job *job)
{
    if (job == NULL)
        return SCAN_JOB_ERR_BAD_ARG;
    switch (job->state) {
    case SCAN_JOB_S_START:
        return scan_job_start(job);
    case SCAN_JOB_S_NEXT_PAGE:
        return scan_job_next_page(job);
    case SCAN_JOB_S_BAND:
        return scan_job_band(job);
    case SCAN_JOB_S_FINISH:
        return scan_job_finish_page(job);
    case SCAN_JOB_S_DONE:
        return SCAN_JOB_DONE;
    case SCAN_JOB_S_FAILED:
    default:
        return job->error != 0 ? job->error : SCAN_JOB_ERR_BAD_ARG;
    }
}

void scan_job_free(struct scan_job *job)
{
    if (job == NULL)
        return;
    scan_jpeg_abort(&job->jpeg);
    scan_g4_abort(&job->g4);
    spool_writer_abort(&job->spool);
    if (job->scanner_armed) {
        hal_scanner_stop(job->cfg.scanner);
        job->scanner_armed = 0;
    }
}

unsigned scan_job_page_index(const struct scan_job *job) { return job->page.index; }
unsigned scan_job_lines_done(const struct scan_job *job) { return job->lines_done; }
unsigned scan_job_page_height(const struct scan_job *job) { return job->page.height; }
unsigned scan_job_page_count(const struct scan_job *job) { return job->n_pages; }

const struct scan_job_page *scan_job_page(const struct scan_job *job, unsigned i)
{
    return i < job->n_pages ? &job->pages[i] : NULL;
}

int scan_job_error(const struct scan_job *job) { return job->error; }
int scan_job_error_detail(const struct scan_job *job) { return job->error_detail; }
unsigned scan_job_error_page_index(const struct scan_job *job) { return job->error_page; }

static int scan_job_start(struct scan_job *job)
{
    int rc = hal_scanner_start(job->cfg.scanner, &job->cfg.params);

    if (rc != 0)
        return scan_job_fail(job, scan_job_from_scanner(rc), rc);
    job->scanner_armed = 1;
    job->state = SCAN_JOB_S_NEXT_PAGE;
    return SCAN_JOB_AGAIN;
}

static int scan_job_next_page(struct scan_job *job)
{
    struct hal_scan_page page;
    unsigned expect_components = job->cfg.params.color == HAL_SCAN_GREY ? 1 : 3;
    unsigned index = job->n_pages;
    int rc;

    /* job->page keeps the last page until a new one is fed, so progress
     * still reads "page N, all lines" once the job is done. */
    memset(&page, 0, sizeof(page));
    rc = hal_scanner_next_page(job->cfg.scanner, &page);
    if (rc == HAL_SCAN_NO_MORE_PAGES) {
        hal_scanner_stop(job->cfg.scanner);
        job->scanner_armed = 0;
        job->state = SCAN_JOB_S_DONE;
        return SCAN_JOB_DONE;
    }
    job->page = page;
    job->page.index = index; /* our count, whatever the driver wrote there */
    job->lines_done = 0;
    if (rc != 0)
        return scan_job_fail(job, scan_job_from_scanner(rc), rc);
    if (index >= SCAN_JOB_MAX_PAGES)
        return scan_job_fail(job, SCAN_JOB_ERR_TOO_MANY_PAGES, 0);
    if (page.width == 0 || page.height == 0 || page.components != expect_components ||
        scan_job_band_bytes(page.width, page.components, job->cfg.band_lines, job->cfg.bilevel) >
            job->cfg.band_buf_size)
        return scan_job_fail(job, SCAN_JOB_ERR_PAGE_SIZE, 0);

    rc = job->cfg.bilevel ? scan_job_start_g4(job) : scan_job_start_jpeg(job);
    if (rc != 0)
        return rc;
    job->state = SCAN_JOB_S_BAND;
    return SCAN_JOB_AGAIN;
}

static int scan_job_start_jpeg(struct scan_job *job)
{
    struct scan_jpeg_params jp;
    int rc;

    rc = scan_job_open_blob(job, "jpg");
    if (rc != 0)
        return rc;
    jp.width = job->page.width;
    jp.height = job->page.height;
    jp.components = job->page.components;
    jp.dpi = job->cfg.params.dpi;
    jp.quality = job->cfg.quality;
    rc = scan_jpeg_init(&job->jpeg, &jp, scan_job_sink, &job->spool);
    if (rc != 0)
        return scan_job_fail(job, scan_job_from_jpeg(job, rc), rc);
    return 0;
}

/* Opens the spool writer on this page's data blob. */
static int scan_job_open_blob(struct scan_job *job, const char *ext)
{
    char name[HAL_STORAGE_NAME_MAX + 1];
    int rc = spool_page_name(name, sizeof(name), job->prefix, job->page.index + 1, ext);

    if (rc == 0)
        rc = spool_writer_open(&job->spool, job->cfg.storage, name);
    if (rc != 0)
        return scan_job_fail(job, scan_job_from_spool(rc), rc);
    return 0;
}

/* G4 pages go to a temporary blob while scanning (libtiff patches its
 * header at the end); the spool writer opens only at the end of the page. */
static int scan_job_start_g4(struct scan_job *job)
{
    char tmp[HAL_STORAGE_NAME_MAX + 1];
    unsigned w = job->page.width;
    size_t err_size = scan_bilevel_err_buffer_size(w);
    struct scan_bilevel_cfg bc = {w, job->cfg.bw_mode, job->cfg.darkness, 0,
                                  (int16_t *)(void *)job->cfg.band_buf, err_size};
    struct scan_g4_params gp = {w, job->page.height, job->cfg.params.dpi};
    int rc;

    job->grey_band = job->cfg.band_buf + err_size;
    job->bw_band = job->grey_band + (size_t)w * job->cfg.band_lines;
    if (scan_bilevel_init(&job->bilevel, &bc) != 0)
        return scan_job_fail(job, SCAN_JOB_ERR_PAGE_SIZE, 0);
    rc = spool_page_name(tmp, sizeof(tmp), job->prefix, job->page.index + 1, "g4t");
    if (rc != 0)
        return scan_job_fail(job, scan_job_from_spool(rc), rc);
    rc = scan_g4_init(&job->g4, &gp, job->cfg.storage, tmp);
    if (rc != 0)
        return scan_job_fail(job, scan_job_from_g4(job, rc), rc);
    return 0;
}

static int scan_job_band(struct scan_job *job)
{
    unsigned want = job->page.height - job->lines_done;
    uint8_t *band = job->cfg.bilevel ? job->grey_band : job->cfg.band_buf;
    int n, rc;

    if (want > job->cfg.band_lines)
        want = job->cfg.band_lines;
    n = hal_scanner_read_band(job->cfg.scanner, band, want);
    if (n < 0)
        return scan_job_fail(job, scan_job_from_scanner(n), n);
    if (n == 0)
        return scan_job_fail(job, SCAN_JOB_ERR_SHORT_PAGE, 0);
    if ((unsigned)n > want) /* the driver wrote past what we asked for */
        return scan_job_fail(job, SCAN_JOB_ERR_SCANNER, n);
    if (job->cfg.bilevel) {
        scan_bilevel_convert(&job->bilevel, band, (unsigned)n, job->bw_band);
        rc = scan_g4_write_lines(&job->g4, job->bw_band, (unsigned)n);
        if (rc != 0)
            return scan_job_fail(job, scan_job_from_g4(job, rc), rc);
    } else {
        rc = scan_jpeg_write_lines(&job->jpeg, band, (unsigned)n);
        if (rc != 0)
            return scan_job_fail(job, scan_job_from_jpeg(job, rc), rc);
    }
    job->lines_done += (unsigned)n;
    if (job->lines_done == job->page.height)
        job->state = SCAN_JOB_S_FINISH;
    return SCAN_JOB_AGAIN;
}

static int scan_job_finish_page(struct scan_job *job)
{
    struct scan_job_page *pg = &job->pages[job->n_pages];
    int rc;

    memset(pg, 0, sizeof(*pg));
    if (job->cfg.bilevel) {
        struct scan_g4_info info;

        rc = scan_job_open_blob(job, "tif");
        if (rc != 0)
            return rc;
        rc = scan_g4_finish(&job->g4, scan_job_sink, &job->spool);
        if (rc != 0)
            return scan_job_fail(job, scan_job_from_g4(job, rc), rc);
        scan_g4_strip(&job->g4, &info);
        pg->kind = SCAN_PAGE_G4;
        pg->strip_off = info.strip_off;
        pg->strip_len = info.strip_len;
    } else {
        rc = scan_jpeg_finish(&job->jpeg);
        if (rc != 0)
            return scan_job_fail(job, scan_job_from_jpeg(job, rc), rc);
        pg->kind = SCAN_PAGE_JPEG;
    }
    rc = spool_writer_commit(&job->spool);
    if (rc != 0)
        return scan_job_fail(job, scan_job_from_spool(rc), rc);
    strcpy(pg->name, job->spool.name);
    pg->size = spool_writer_length(&job->spool);
    pg->width = job->page.width;
    pg->height = job->page.height;
    pg->components = job->page.components;
    pg->dpi = job->cfg.params.dpi;
    job->n_pages++;
    job->state = SCAN_JOB_S_NEXT_PAGE;
    return SCAN_JOB_AGAIN;
}

static int scan_job_fail(struct scan_job *job, int err, int detail)
{
    scan_job_free(job);
    job->error = err;
    job->error_detail = detail;
    job->error_page = job->page.index;
    job->state = SCAN_JOB_S_FAILED;
    return err;
}

static int scan_job_from_scanner(int rc)
{
    switch (rc) {
    case HAL_SCAN_ERR_JAM:
        return SCAN_JOB_ERR_JAM;
    case HAL_SCAN_ERR_COVER_OPEN:
        return SCAN_JOB_ERR_COVER_OPEN;
    case HAL_SCAN_ERR_STALLED:
        return SCAN_JOB_ERR_STALLED;
    default:
        return SCAN_JOB_ERR_SCANNER;
    }
}

static int scan_job_from_spool(int rc)
{
    return rc == SPOOL_ERR_FULL ? SCAN_JOB_ERR_STORAGE_FULL : SCAN_JOB_ERR_STORAGE;
}

/* A sink failure is the spool's; anything else is the encoder's. */
static int scan_job_from_jpeg(struct scan_job *job, int rc)
{
    if (rc == SCAN_JPEG_ERR_SINK)
        return scan_job_from_spool(scan_jpeg_sink_error(&job->jpeg));
    return SCAN_JOB_ERR_ENCODE;
}

/* A storage or sink failure is the spool's; anything else is the encoder's. */
static int scan_job_from_g4(struct scan_job *job, int rc)
{
    if (rc == SCAN_G4_ERR_FULL)
        return SCAN_JOB_ERR_STORAGE_FULL;
    if (rc == SCAN_G4_ERR_IO)
        return SCAN_JOB_ERR_STORAGE;
    if (rc == SCAN_G4_ERR_SINK)
        return scan_job_from_spool(scan_g4_sink_error(&job->g4));
    return SCAN_JOB_ERR_ENCODE;
}

static int scan_job_sink(void *arg, const uint8_t *buf, size_t len)
{
    return spool_writer_write(arg, buf, len);
}

static unsigned scan_job_band_lines(unsigned band_lines)
{
    return band_lines != 0 ? band_lines : SCAN_JOB_BAND_LINES_DEFAULT;
}
