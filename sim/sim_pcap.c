/* Packet capture decorator; see sim_pcap.h. */
#include "sim_pcap.h"

#include <string.h>
#include <sys/time.h>

#define SIM_PCAP_MAGIC 0xa1b2c3d4u

/* Classic pcap headers, written in host byte order (readers tell the order
 * from the magic). */
struct sim_pcap_file_header {
    uint32_t magic;
    uint16_t version_major;
    uint16_t version_minor;
    int32_t thiszone;
    uint32_t sigfigs;
    uint32_t snaplen;
    uint32_t linktype;
};

struct sim_pcap_record_header {
    uint32_t ts_sec;
    uint32_t ts_usec;
    uint32_t incl_len;
    uint32_t orig_len;
};

static int pcap_send(void *ctx, const uint8_t *frame, size_t len);
static int pcap_recv(void *ctx, uint8_t *buf, size_t cap);
static void pcap_wait(void *ctx, uint32_t timeout_ms);
static void pcap_mac(void *ctx, uint8_t mac[6]);
static void pcap_record(sim_pcap_t *p, const uint8_t *frame, size_t len);

static const struct hal_netif_api sim_pcap_api = {
    .send = pcap_send,
    .recv = pcap_recv,
    .wait = pcap_wait,
    .mac = pcap_mac,
};

int sim_pcap_wrap(sim_pcap_t *p, const char *path, const struct hal_netif *inner,
                  struct hal_netif *out)
{
    const struct sim_pcap_file_header h = {
        .magic = SIM_PCAP_MAGIC,
        .version_major = 2,
        .version_minor = 4,
        .thiszone = 0,
        .sigfigs = 0,
        .snaplen = SIM_PCAP_SNAPLEN,
        .linktype = SIM_PCAP_LINKTYPE_ETHER,
    };
    int ret = 0;

    if (p == NULL || path == NULL || inner == NULL || inner->api == NULL || out == NULL) {
        return SIM_PCAP_ERR_ARG;
    }
    memset(p, 0, sizeof(*p));
    p->f = fopen(path, "wb");
    if (p->f == NULL) {
        ret = SIM_PCAP_ERR_OPEN;
        goto exit;
    }
    if (fwrite(&h, sizeof(h), 1, p->f) != 1 || fflush(p->f) != 0) {
        ret = SIM_PCAP_ERR_IO;
        goto exit;
    }
    p->inner = *inner;
    out->api = &sim_pcap_api;
    out->ctx = p;

exit:
    if (ret != 0 && p->f != NULL) {
        fclose(p->f);
        p->f = NULL;
    }
    return ret;
}

int sim_pcap_close(sim_pcap_t *p)
{
    int ret;

    if (p == NULL || p->f == NULL) {
        return 0;
    }
    ret = p->error;
    if (fclose(p->f) != 0) {
        ret = SIM_PCAP_ERR_IO;
    }
    p->f = NULL;
    return ret;
}

static int pcap_send(void *ctx, const uint8_t *frame, size_t len)
{
    sim_pcap_t *p = ctx;
    int ret = hal_netif_send(&p->inner, frame, len);

    /* Record what went on the wire, not what was refused. */
    if (ret == 0) {
        pcap_record(p, frame, len);
    }
    return ret;
}

static int pcap_recv(void *ctx, uint8_t *buf, size_t cap)
{
    sim_pcap_t *p = ctx;
    int n = hal_netif_recv(&p->inner, buf, cap);

    if (n > 0) {
        pcap_record(p, buf, (size_t)n);
    }
    return n;
}

static void pcap_wait(void *ctx, uint32_t timeout_ms)
{
    sim_pcap_t *p = ctx;

    hal_netif_wait(&p->inner, timeout_ms);
}

static void pcap_mac(void *ctx, uint8_t mac[6])
{
    sim_pcap_t *p = ctx;

    hal_netif_mac(&p->inner, mac);
}

static void pcap_record(sim_pcap_t *p, const uint8_t *frame, size_t len)
{
    struct timeval tv;
    struct sim_pcap_record_header r;
    size_t incl = len > SIM_PCAP_SNAPLEN ? SIM_PCAP_SNAPLEN : len;

    if (p->f == NULL || p->error != 0) {
        return;
    }
    gettimeofday(&tv, NULL);
    r.ts_sec = (uint32_t)tv.tv_sec;
    r.ts_usec = (uint32_t)tv.tv_usec;
    r.incl_len = (uint32_t)incl;
    r.orig_len = (uint32_t)len;
    if (fwrite(&r, sizeof(r), 1, p->f) != 1 || fwrite(frame, 1, incl, p->f) != incl ||
        fflush(p->f) != 0) {
        p->error = SIM_PCAP_ERR_IO;
        return;
    }
    p->frames++;
}
