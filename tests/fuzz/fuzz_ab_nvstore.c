/*
 * libFuzzer target: the record store's slot header parser and its load
 * (fallback between two arbitrary slot blobs). Needs firmware/fw_nvstore.c
 * in the Makefile's FUZZ_LIB.
 * The first byte splits the input: slot a, then slot b.
 */
#include <stddef.h>
#include <stdint.h>

#include "fake_storage.h"
#include "fw_nvstore.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t buf[512];
    struct fake_storage fs;
    struct hal_storage st;
    struct fw_nvstore s;
    struct fw_nvstore_header h;
    size_t split, len;

    if (size == 0)
        return 0;
    (void)fw_nvstore_header_parse(data + 1, size - 1, &h);
    split = 1 + data[0] % 128;
    if (split > size)
        split = size;
    fake_storage_init(&fs);
    fake_storage_hal(&fs, &st);
    fake_storage_put(&fs, "r.a", data + 1, split - 1);
    fake_storage_put(&fs, "r.b", data + split, size - split);
    if (fw_nvstore_init(&s, &st, "r", 400) == 0) {
        if (fw_nvstore_load(&s, buf, sizeof(buf), &len) == 0 && len > 400)
            __builtin_trap();
        if (fw_nvstore_save(&s, "x", 1) != 0 || fw_nvstore_load(&s, buf, sizeof(buf), &len) != 0 ||
            len != 1 || buf[0] != 'x')
            __builtin_trap(); /* a save always works and wins, whatever was there */
        if (fake_storage_open_handles(&fs) != 0)
            __builtin_trap();
    }
    fw_nvstore_free(&s);
    fake_storage_free(&fs);
    return 0;
}
