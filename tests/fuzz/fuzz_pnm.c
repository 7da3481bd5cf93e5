/*
 * libFuzzer target: the PNM header parser (sim/sim_pnm.c) on arbitrary bytes.
 * Built by `make fuzz` (sim/sim_pnm.c is in FUZZ_LIB), or by hand:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Isim \
 *     tests/fuzz/fuzz_pnm.c sim/sim_pnm.c -o build/fuzz_pnm && ./build/fuzz_pnm
 *
 * The input is parsed whole and one byte at a time; both runs must agree on
 * the result, the bytes consumed and the header. An accepted header must be
 * inside the limits, and its first raster row is expanded from the bytes
 * that follow (when there are enough) to exercise the row helper.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sim_pnm.h"

struct fuzz_result {
    int rc;
    size_t used;
    struct sim_pnm_header hdr;
};

static struct fuzz_result fuzz_run(const uint8_t *data, size_t size, size_t step)
{
    struct sim_pnm_parser p;
    struct fuzz_result r;
    size_t off = 0;

    memset(&r, 0, sizeof(r));
    sim_pnm_init(&p);
    r.rc = SIM_PNM_NEED_MORE;
    while (off < size && r.rc == SIM_PNM_NEED_MORE) {
        size_t n = size - off < step ? size - off : step, used = 0;
        r.rc = sim_pnm_parse(&p, data + off, n, &used);
        if (used > n || (r.rc == SIM_PNM_NEED_MORE && used != n))
            abort();
        off += used;
    }
    r.used = off;
    if (r.rc == SIM_PNM_DONE)
        r.hdr = p.hdr;
    return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_result a = fuzz_run(data, size, size ? size : 1);
    struct fuzz_result b = fuzz_run(data, size, 1);

    if (a.rc != b.rc || a.used != b.used || memcmp(&a.hdr, &b.hdr, sizeof(a.hdr)) != 0)
        abort();
    if (a.rc == SIM_PNM_DONE) {
        const struct sim_pnm_header *h = &a.hdr;
        size_t row = sim_pnm_row_bytes(h);
        if (h->width < 1 || h->width > SIM_PNM_MAX_DIM || h->height < 1 ||
            h->height > SIM_PNM_MAX_DIM || h->maxval < 1 || h->maxval > 255 ||
            a.used > SIM_PNM_HEADER_MAX)
            abort();
        if (size - a.used >= row) {
            uint8_t *out = malloc((size_t)h->width * h->components);
            if (out == NULL)
                abort();
            sim_pnm_row_to_8bit(h, data + a.used, out);
            free(out);
        }
    }
    return 0;
}
