/*
 * libFuzzer target: the job journal's reader (fw_journal_load), on a journal
 * blob whose CRC is made right, so that every field's bounds checks are
 * reached (a damaged or hostile flash must give a clear error, never a crash
 * or a read past a buffer). Odd first byte: the input as it is, CRC and all.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "fake_storage.h"
#include "fw_journal.h"

static fw_job_t job;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fake_storage fs;
    struct hal_storage st;
    uint8_t *blob;
    size_t len = 0;

    if (size == 0 || size > 1 << 20)
        return 0;
    blob = malloc(size + 10);
    if (data[0] & 1) {
        memcpy(blob, data + 1, size - 1);
        len = size - 1;
    } else {
        uLong crc;
        memcpy(blob, "MFPJ\x01\x00", 6);
        memcpy(blob + 6, data + 1, size - 1);
        len = size + 5;
        crc = crc32(0L, blob, (uInt)len);
        for (int i = 0; i < 4; i++)
            blob[len++] = (uint8_t)(crc >> (8 * i));
    }
    fake_storage_init(&fs);
    fake_storage_hal(&fs, &st);
    fake_storage_put(&fs, "q1-job", blob, len);
    memset(&job, 0, sizeof(job));
    if (fw_journal_load(&job, &st, "q1-") == 0) {
        /* What the job then reads: every string ends within its buffer. */
        size_t n = strlen(job.req.from_addr) + strlen(job.req.subject) + strlen(job.req.message);
        for (unsigned i = 0; i < job.scan.n_pages; i++)
            n += strlen(job.scan.pages[i].name);
        for (unsigned m = 0; m < job.resumed_mails; m++)
            n += strlen(job.mails[m].message_id);
        (void)n;
    }
    fake_storage_free(&fs);
    free(blob);
    return 0;
}
