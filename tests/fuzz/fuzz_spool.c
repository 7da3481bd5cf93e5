/*
 * libFuzzer target: the spool's page header parser and verifier, on an
 * arbitrary header blob beside an arbitrary data blob (a power cut or a
 * corrupted flash must give a clear error, never a crash).
 * Built by the Makefile (make fuzz; a short run in make test).
 * The first byte splits the input: header blob, then data blob.
 */
#include <stddef.h>
#include <stdint.h>

#include "fake_storage.h"
#include "spool.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fake_storage fs;
    struct hal_storage st;
    struct spool_page pg;
    uint8_t buf[256];
    size_t split;
    uint32_t len;

    if (size == 0)
        return 0;
    split = 1 + data[0] % 64;
    if (split > size)
        split = size;
    fake_storage_init(&fs);
    fake_storage_hal(&fs, &st);
    fake_storage_put(&fs, "p0001.hdr", data + 1, split - 1);
    fake_storage_put(&fs, "p0001.jpg", data + split, size - split);
    spool_page_verify(&st, "p0001.jpg", &len);
    if (spool_page_open(&pg, &st, "p0001.jpg") == 0) {
        for (uint32_t off = 0; spool_page_read(&pg, off, buf, sizeof(buf)) > 0; off += sizeof(buf))
            ;
        spool_page_close(&pg);
    }
    fake_storage_free(&fs);
    return 0;
}
