/* LAB ONLY -- NOT A SOURCE OF SECURE RANDOMNESS.
 *
 * The emulated mps2-an385 has no TRNG. This backend hashes timing noise:
 * SysTick's current value read after busy loops whose length depends on
 * the previous sample (under QEMU without -icount that is the host's
 * scheduling jitter), a counter, the millisecond count and the lab host's
 * time. An attacker who can run the same QEMU, or any run under -icount,
 * can predict every byte: keys and nonces made from it are not secret. It
 * exists so that the lab's TLS handshakes run; a real board replaces this
 * file's sampling with its TRNG (and health tests) behind the same two
 * entry points: the rng HAL and mbedtls_hardware_poll(). */
#include <string.h>

#include "board.h"
#include "mbedtls/entropy.h"
#include "mbedtls/entropy_poll.h"
#include "mbedtls/sha256.h"

#define SYST_CVR (*(volatile uint32_t *)0xE000E018)

/* Samples per 32-byte output block. */
#define BOARD_RNG_SAMPLES 64

/* Mbed TLS calls mbedtls_hardware_poll() as a free function with no
 * context: this is the one board source it reads. */
static struct board_rng *board_rng_source;

static void board_rng_block(struct board_rng *r, uint8_t out[32])
{
    mbedtls_sha256_context sha;
    uint32_t sample[BOARD_RNG_SAMPLES + 3];
    uint32_t spin = 0;

    for (unsigned i = 0; i < BOARD_RNG_SAMPLES; i++) {
        /* A data-dependent delay so each read lands at another moment. */
        for (volatile uint32_t k = 0; k < 16 + (spin & 63); k++)
            ;
        spin = SYST_CVR;
        sample[i] = spin;
    }
    sample[BOARD_RNG_SAMPLES] = ++r->counter;
    sample[BOARD_RNG_SAMPLES + 1] = board_millis();
    sample[BOARD_RNG_SAMPLES + 2] = (uint32_t)board_semihost_time();
    mbedtls_sha256_init(&sha);
    mbedtls_sha256_starts_ret(&sha, 0);
    mbedtls_sha256_update_ret(&sha, r->pool, sizeof(r->pool));
    mbedtls_sha256_update_ret(&sha, (const unsigned char *)sample, sizeof(sample));
    mbedtls_sha256_finish_ret(&sha, r->pool); /* the pool chains every block */
    mbedtls_sha256_free(&sha);
    memcpy(out, r->pool, 32);
}

static int board_rng_fill(void *ctx, uint8_t *buf, size_t len)
{
    struct board_rng *r = ctx;
    uint8_t block[32];

    while (len > 0) {
        size_t n = len < sizeof(block) ? len : sizeof(block);
        board_rng_block(r, block);
        memcpy(buf, block, n);
        buf += n;
        len -= n;
    }
    memset(block, 0, sizeof(block));
    return 0;
}

static const struct hal_rng_api board_rng_api = {board_rng_fill};

void board_rng_init(struct board_rng *r, struct hal_rng *out)
{
    memset(r, 0, sizeof(*r));
    board_rng_source = r;
    out->api = &board_rng_api;
    out->ctx = r;
}

/* MBEDTLS_ENTROPY_HARDWARE_ALT: Mbed TLS's entropy collector (and lwIP's
 * altcp_tls DRBG through it). LAB ONLY, see the top of this file. */
int mbedtls_hardware_poll(void *data, unsigned char *output, size_t len, size_t *olen)
{
    (void)data;
    if (!board_rng_source)
        return MBEDTLS_ERR_ENTROPY_SOURCE_FAILED;
    board_rng_fill(board_rng_source, output, len);
    *olen = len;
    return 0;
}
