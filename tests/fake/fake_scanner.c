/* A tiny scanner for unit tests (see fake_scanner.h). */
#include "fake_scanner.h"

#include <string.h>

#include "scan_job.h"

static int fake_scanner_start(void *ctx, const struct hal_scan_params *p);
static int fake_scanner_next_page(void *ctx, struct hal_scan_page *page);
static int fake_scanner_read_band(void *ctx, uint8_t *buf, unsigned max_lines);
static void fake_scanner_stop(void *ctx);

static const struct hal_scanner_api fake_scanner_api = {
    .start = fake_scanner_start,
    .next_page = fake_scanner_next_page,
    .read_band = fake_scanner_read_band,
    .stop = fake_scanner_stop,
};

void fake_scanner_init(struct fake_scanner *s, const struct fake_scanner_cfg *cfg)
{
    memset(s, 0, sizeof(*s));
    if (cfg != NULL)
        s->cfg = *cfg;
}

void fake_scanner_hal(struct fake_scanner *s, struct hal_scanner *out)
{
    out->api = &fake_scanner_api;
    out->ctx = s;
}

uint8_t fake_scanner_pixel(unsigned index, unsigned x, unsigned y, unsigned c)
{
    return (uint8_t)(((x / 16) * 50 + (y / 16) * 30 + c * 70 + index * 20) % 256);
}

static int fake_scanner_start(void *ctx, const struct hal_scan_params *p)
{
    struct fake_scanner *s = ctx;

    s->starts++;
    if (p == NULL)
        return HAL_SCAN_ERR_BAD_ARG;
    if (s->cfg.start_error != 0)
        return s->cfg.start_error;
    s->params = *p;
    s->armed = 1;
    s->fed = 0;
    s->page_open = 0;
    return 0;
}

static int fake_scanner_next_page(void *ctx, struct hal_scan_page *page)
{
    struct fake_scanner *s = ctx;

    if (!s->armed || page == NULL)
        return HAL_SCAN_ERR_BAD_ARG;
    s->page_open = 0;
    if (s->fed >= s->params.pages)
        return HAL_SCAN_NO_MORE_PAGES;
    if (s->cfg.jam_at_page == s->fed + 1)
        return HAL_SCAN_ERR_JAM;
    s->page.width = s->cfg.width != 0 ? s->cfg.width
                                      : scan_job_pixels(s->params.width_mm10, s->params.dpi);
    s->page.height = s->cfg.height != 0 ? s->cfg.height
                                        : scan_job_pixels(s->params.height_mm10, s->params.dpi);
    s->page.components = s->params.color == HAL_SCAN_GREY ? 1 : 3;
    s->page.index = s->fed++;
    s->line = 0;
    s->page_open = 1;
    *page = s->page;
    return 0;
}

static int fake_scanner_read_band(void *ctx, uint8_t *buf, unsigned max_lines)
{
    struct fake_scanner *s = ctx;
    unsigned n;

    s->bands++;
    if (!s->armed || !s->page_open || buf == NULL)
        return HAL_SCAN_ERR_BAD_ARG;
    if (s->cfg.fail_at_page == s->page.index + 1 && s->line >= s->cfg.fail_at_line)
        return s->cfg.fail_code;
    n = s->page.height - s->line;
    if (n > max_lines)
        n = max_lines;
    if (s->cfg.max_lines != 0 && n > s->cfg.max_lines)
        n = s->cfg.max_lines;
    if (s->cfg.fail_at_page == s->page.index + 1 && n > s->cfg.fail_at_line - s->line)
        n = s->cfg.fail_at_line - s->line;
    for (unsigned i = 0; i < n; i++)
        for (unsigned x = 0; x < s->page.width; x++)
            for (unsigned c = 0; c < s->page.components; c++)
                buf[((size_t)i * s->page.width + x) * s->page.components + c] =
                    fake_scanner_pixel(s->page.index, x, s->line + i, c);
    s->line += n;
    return (int)(n + (n > 0 ? s->cfg.extra_lines : 0));
}

static void fake_scanner_stop(void *ctx)
{
    struct fake_scanner *s = ctx;

    s->stops++;
    s->armed = 0;
    s->page_open = 0;
}
