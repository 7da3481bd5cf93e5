#include "count_alloc.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

/* glibc's own allocator, which this file wraps. glibc lets a program replace
 * malloc and friends: libjpeg's and libtiff's calls (and libc's own, such as
 * strdup's) bind to these definitions, so nothing escapes the count. Single
 * threaded, like the firmware. */
extern void *__libc_malloc(size_t n);
extern void __libc_free(void *p);

/* Every block carries its size and the address __libc_malloc returned.
 * A block allocated while counting is set apart carries COUNT_ALLOC_APART in
 * its size and is never counted, neither when allocated nor when freed. */
struct count_alloc_hdr {
    size_t size;
    void *base;
};
#define COUNT_ALLOC_HDR 16
#define COUNT_ALLOC_APART ((size_t)1 << (sizeof(size_t) * 8 - 1))

static size_t count_current, count_peak, count_calls;
static int count_apart;

static void *count_alloc(size_t n, size_t align)
{
    size_t extra = COUNT_ALLOC_HDR + (align > COUNT_ALLOC_HDR ? align : 0);
    uint8_t *base, *p;
    struct count_alloc_hdr *h;

    if (n > SIZE_MAX - extra || n >= COUNT_ALLOC_APART)
        return NULL;
    base = __libc_malloc(n + extra);
    if (!base)
        return NULL;
    p = base + COUNT_ALLOC_HDR;
    if (align > COUNT_ALLOC_HDR)
        p = (uint8_t *)(((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1));
    h = (struct count_alloc_hdr *)(p - sizeof(*h));
    h->size = n | (count_apart ? COUNT_ALLOC_APART : 0);
    h->base = base;
    if (count_apart)
        return p;
    count_current += n;
    count_calls++;
    if (count_current > count_peak)
        count_peak = count_current;
    return p;
}

static struct count_alloc_hdr *count_hdr(void *p)
{
    return (struct count_alloc_hdr *)((uint8_t *)p - sizeof(struct count_alloc_hdr));
}

static size_t count_size(void *p) { return count_hdr(p)->size & ~COUNT_ALLOC_APART; }

void *malloc(size_t n) { return count_alloc(n, 0); }

void free(void *p)
{
    if (!p)
        return;
    if (!(count_hdr(p)->size & COUNT_ALLOC_APART))
        count_current -= count_hdr(p)->size;
    __libc_free(count_hdr(p)->base);
}

void *calloc(size_t a, size_t b)
{
    void *p;
    if (b && a > SIZE_MAX / b)
        return NULL;
    p = count_alloc(a * b, 0);
    if (p)
        memset(p, 0, a * b);
    return p;
}

void *realloc(void *p, size_t n)
{
    void *q;
    if (!p)
        return malloc(n);
    if (n == 0) {
        free(p);
        return NULL;
    }
    q = malloc(n);
    if (!q)
        return NULL;
    memcpy(q, p, count_size(p) < n ? count_size(p) : n);
    free(p);
    return q;
}

int posix_memalign(void **out, size_t align, size_t n)
{
    void *p = count_alloc(n, align);
    if (!p)
        return ENOMEM;
    *out = p;
    return 0;
}

void *aligned_alloc(size_t align, size_t n) { return count_alloc(n, align); }
void *memalign(size_t align, size_t n) { return count_alloc(n, align); }
size_t malloc_usable_size(void *p) { return p ? count_size(p) : 0; }

/* Obsolete, but glibc's manual asks a replacement allocator for them too. */
void *valloc(size_t n) { return count_alloc(n, (size_t)sysconf(_SC_PAGESIZE)); }

void *pvalloc(size_t n)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    return count_alloc((n + page - 1) & ~(page - 1), page);
}

size_t count_alloc_current(void) { return count_current; }
size_t count_alloc_peak(void) { return count_peak; }
size_t count_alloc_calls(void) { return count_calls; }

void count_alloc_reset_peak(void)
{
    count_peak = count_current;
    count_calls = 0;
}

void count_alloc_set_apart(int on) { count_apart = on; }
