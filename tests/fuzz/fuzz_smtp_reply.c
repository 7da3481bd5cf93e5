/*
 * libFuzzer target: the SMTP reply parser on arbitrary bytes.
 * Build and run (from the project root):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Ismtp/include \
 *     tests/fuzz/fuzz_smtp_reply.c smtp/smtp_reply.c -o build/fuzz_smtp_reply && \
 *   ./build/fuzz_smtp_reply -max_total_time=60
 *
 * The input is parsed as a stream of replies twice, whole and one byte at a
 * time; both runs must see the same replies and the same error.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smtp_reply.h"

static void fuzz_check(const smtp_reply_t *r)
{
    if (r->text_len >= SMTP_TEXT_MAX || r->text[r->text_len] != '\0' ||
        strlen(r->text) != r->text_len || strlen(r->enhanced) >= SMTP_ENHANCED_MAX) {
        abort();
    }
}

/* Parse data as consecutive replies; returns a digest of what was seen. */
static uint64_t fuzz_run(const uint8_t *data, size_t size, size_t step)
{
    smtp_reply_t r;
    uint64_t h = 1469598103934665603ull;
    size_t off = 0;

    memset(&r, 0, sizeof(r));
    smtp_reply_init(&r);
    while (off < size) {
        size_t n = (size - off < step) ? size - off : step;
        size_t used = 0;
        int rc = smtp_reply_parse(&r, data + off, n, &used);

        if (used > n) {
            abort();
        }
        off += used;
        if (rc == SMTP_REPLY_NEED_MORE) {
            if (used != n) {
                abort();
            }
            continue;
        }
        fuzz_check(&r);
        h = (h ^ (uint64_t)(rc + 1000)) * 1099511628211ull;
        h = (h ^ (uint64_t)r.code) * 1099511628211ull;
        h = (h ^ (uint64_t)r.text_len) * 1099511628211ull;
        h = (h ^ (uint64_t)off) * 1099511628211ull;
        if (rc != SMTP_REPLY_DONE) {
            break;
        }
        smtp_reply_init(&r);
    }
    return h;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (fuzz_run(data, size, size ? size : 1) != fuzz_run(data, size, 1)) {
        abort();
    }
    return 0;
}
