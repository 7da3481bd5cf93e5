/* Simulated flash: blobs as files, commit by fsync + rename + fsync(dir). */
#include "sim_storage.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SIM_STORAGE_TMP ".tmp"
/* NAME + ".tmp" + NUL */
#define SIM_STORAGE_TMP_NAME_MAX (HAL_STORAGE_NAME_MAX + sizeof(SIM_STORAGE_TMP))

static int sim_storage_open(void *ctx, const char *name, enum hal_storage_mode mode);
static int sim_storage_write(void *ctx, int h, const void *buf, size_t len);
static long sim_storage_read(void *ctx, int h, uint32_t off, void *buf, size_t len);
static long sim_storage_size(void *ctx, int h);
static int sim_storage_commit(void *ctx, int h);
static void sim_storage_close(void *ctx, int h);
static int sim_storage_remove(void *ctx, const char *name);

static const struct hal_storage_api sim_storage_api = {
    .open = sim_storage_open,
    .write = sim_storage_write,
    .read = sim_storage_read,
    .size = sim_storage_size,
    .commit = sim_storage_commit,
    .close = sim_storage_close,
    .remove = sim_storage_remove,
};

static int sim_storage_ends_with_tmp(const char *name)
{
    size_t n = strlen(name), t = strlen(SIM_STORAGE_TMP);
    return n >= t && strcmp(name + n - t, SIM_STORAGE_TMP) == 0;
}

static void sim_storage_tmp_name(char *out, const char *name)
{
    snprintf(out, SIM_STORAGE_TMP_NAME_MAX, "%s%s", name, SIM_STORAGE_TMP);
}

static int sim_storage_errno(void)
{
    return errno == ENOSPC || errno == EDQUOT ? HAL_STORAGE_ERR_FULL : HAL_STORAGE_ERR_IO;
}

static struct sim_storage_handle *sim_storage_handle(struct sim_storage *s, int h)
{
    if (h < 0 || h >= SIM_STORAGE_HANDLES || !s->handles[h].used)
        return NULL;
    return &s->handles[h];
}

int sim_storage_name_valid(const char *name)
{
    size_t n;

    if (name == NULL)
        return 0;
    n = strlen(name);
    if (n == 0 || n > HAL_STORAGE_NAME_MAX || name[0] == '.' || strstr(name, "..") != NULL ||
        sim_storage_ends_with_tmp(name))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (name[i] == '/' || name[i] < 0x21 || name[i] > 0x7e)
            return 0;
    return 1;
}

int sim_storage_init(struct sim_storage *s, const char *dir)
{
    DIR *d = NULL;
    struct dirent *e;
    int fd, rc = 0;

    if (s == NULL)
        return HAL_STORAGE_ERR_BAD_ARG;
    memset(s, 0, sizeof(*s));
    s->dirfd = -1;
    s->cut_after_bytes = -1;
    if (dir == NULL || strlen(dir) >= sizeof(s->dir))
        return HAL_STORAGE_ERR_BAD_ARG;
    strcpy(s->dir, dir);
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return HAL_STORAGE_ERR_IO;
    s->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (s->dirfd < 0)
        return HAL_STORAGE_ERR_IO;

    /* The reboot after a cut: half-written blobs never become visible. */
    fd = dup(s->dirfd);
    d = fd >= 0 ? fdopendir(fd) : NULL;
    if (d == NULL) {
        if (fd >= 0)
            close(fd);
        rc = HAL_STORAGE_ERR_IO;
        goto exit;
    }
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] != '.' && sim_storage_ends_with_tmp(e->d_name) &&
            unlinkat(s->dirfd, e->d_name, 0) != 0)
            rc = HAL_STORAGE_ERR_IO;
    }
    closedir(d);
    if (rc == 0 && fsync(s->dirfd) != 0)
        rc = HAL_STORAGE_ERR_IO;
exit:
    if (rc != 0) {
        close(s->dirfd);
        s->dirfd = -1;
    }
    return rc;
}

void sim_storage_free(struct sim_storage *s)
{
    if (s == NULL)
        return;
    for (int h = 0; h < SIM_STORAGE_HANDLES; h++)
        sim_storage_close(s, h);
    /* A zeroed context has dirfd 0 but no directory name: not ours to close. */
    if (s->dirfd >= 0 && s->dir[0] != '\0')
        close(s->dirfd);
    s->dirfd = -1;
}

void sim_storage_hal(struct sim_storage *s, struct hal_storage *out)
{
    out->api = &sim_storage_api;
    out->ctx = s;
}

void sim_storage_cut_after(struct sim_storage *s, long bytes)
{
    s->cut_after_bytes = bytes < 0 ? -1 : s->bytes_written + bytes;
}

void sim_storage_cut_write(struct sim_storage *s, unsigned nth)
{
    s->cut_at_write = nth;
    s->writes = 0;
}

int sim_storage_powered_off(const struct sim_storage *s) { return s->powered_off; }

static int sim_storage_open(void *ctx, const char *name, enum hal_storage_mode mode)
{
    struct sim_storage *s = ctx;
    char tmp[SIM_STORAGE_TMP_NAME_MAX];

    if (s->powered_off || s->dirfd < 0)
        return HAL_STORAGE_ERR_IO;
    if (!sim_storage_name_valid(name) || (mode != HAL_STORAGE_READ && mode != HAL_STORAGE_WRITE))
        return HAL_STORAGE_ERR_BAD_ARG;
    for (int h = 0; h < SIM_STORAGE_HANDLES; h++) {
        struct sim_storage_handle *hd = &s->handles[h];
        /* Two writers of one name would share NAME.tmp. */
        if (hd->used && mode == HAL_STORAGE_WRITE && hd->mode == HAL_STORAGE_WRITE &&
            strcmp(hd->name, name) == 0)
            return HAL_STORAGE_ERR_BAD_ARG;
    }
    for (int h = 0; h < SIM_STORAGE_HANDLES; h++) {
        struct sim_storage_handle *hd = &s->handles[h];
        int fd;

        if (hd->used)
            continue;
        if (mode == HAL_STORAGE_READ) {
            fd = openat(s->dirfd, name, O_RDONLY | O_CLOEXEC);
        } else {
            sim_storage_tmp_name(tmp, name);
            fd = openat(s->dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        }
        if (fd < 0)
            return errno == ENOENT ? HAL_STORAGE_ERR_NOT_FOUND : sim_storage_errno();
        hd->used = 1;
        hd->fd = fd;
        hd->mode = mode;
        strcpy(hd->name, name);
        return h;
    }
    return HAL_STORAGE_ERR_IO; /* handle table full */
}

static int sim_storage_write(void *ctx, int h, const void *buf, size_t len)
{
    struct sim_storage *s = ctx;
    struct sim_storage_handle *hd = sim_storage_handle(s, h);
    const uint8_t *p = buf;
    size_t take = len;
    int cut = 0;

    if (s->powered_off)
        return HAL_STORAGE_ERR_IO;
    if (hd == NULL || hd->mode != HAL_STORAGE_WRITE || (buf == NULL && len > 0))
        return HAL_STORAGE_ERR_BAD_ARG;
    s->writes++;
    if (s->cut_at_write != 0 && s->writes == s->cut_at_write) {
        take = len / 2;
        cut = 1;
    }
    if (s->cut_after_bytes >= 0 && s->bytes_written + (long)len > s->cut_after_bytes) {
        size_t room = (size_t)(s->cut_after_bytes - s->bytes_written);
        take = room < take ? room : take;
        cut = 1;
    }
    while (take > 0) {
        ssize_t n = write(hd->fd, p, take);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n < 0 ? sim_storage_errno() : HAL_STORAGE_ERR_IO;
        p += n;
        take -= (size_t)n;
        s->bytes_written += n;
    }
    if (cut) {
        s->powered_off = 1;
        return HAL_STORAGE_ERR_IO;
    }
    return 0;
}

static long sim_storage_read(void *ctx, int h, uint32_t off, void *buf, size_t len)
{
    struct sim_storage *s = ctx;
    struct sim_storage_handle *hd = sim_storage_handle(s, h);
    ssize_t n;

    if (s->powered_off)
        return HAL_STORAGE_ERR_IO;
    if (hd == NULL || hd->mode != HAL_STORAGE_READ || (buf == NULL && len > 0))
        return HAL_STORAGE_ERR_BAD_ARG;
    if (len > 0x7fffffff)
        len = 0x7fffffff;
    do {
        n = pread(hd->fd, buf, len, (off_t)off);
    } while (n < 0 && errno == EINTR);
    return n < 0 ? HAL_STORAGE_ERR_IO : (long)n;
}

static long sim_storage_size(void *ctx, int h)
{
    struct sim_storage *s = ctx;
    struct sim_storage_handle *hd = sim_storage_handle(s, h);
    struct stat st;

    if (s->powered_off)
        return HAL_STORAGE_ERR_IO;
    if (hd == NULL)
        return HAL_STORAGE_ERR_BAD_ARG;
    if (fstat(hd->fd, &st) != 0)
        return HAL_STORAGE_ERR_IO;
    return (long)st.st_size;
}

static int sim_storage_commit(void *ctx, int h)
{
    struct sim_storage *s = ctx;
    struct sim_storage_handle *hd = sim_storage_handle(s, h);
    char tmp[SIM_STORAGE_TMP_NAME_MAX];
    int rc = 0;

    if (hd == NULL || hd->mode != HAL_STORAGE_WRITE)
        return HAL_STORAGE_ERR_BAD_ARG;
    if (s->powered_off) {
        rc = HAL_STORAGE_ERR_IO;
        goto exit;
    }
    sim_storage_tmp_name(tmp, hd->name);
    /* Data durable before the name points at it; the rename durable
     * before we say "committed". */
    if (fsync(hd->fd) != 0 || close(hd->fd) != 0) {
        hd->fd = -1;
        rc = sim_storage_errno();
        goto exit;
    }
    hd->fd = -1;
    if (renameat(s->dirfd, tmp, s->dirfd, hd->name) != 0 || fsync(s->dirfd) != 0)
        rc = HAL_STORAGE_ERR_IO;
exit:
    sim_storage_close(s, h);
    return rc;
}

static void sim_storage_close(void *ctx, int h)
{
    struct sim_storage *s = ctx;
    struct sim_storage_handle *hd = sim_storage_handle(s, h);
    char tmp[SIM_STORAGE_TMP_NAME_MAX];

    if (hd == NULL)
        return;
    if (hd->fd >= 0)
        close(hd->fd);
    /* A discarded write leaves nothing, except after a cut: a device
     * without power cleans nothing up. */
    if (hd->mode == HAL_STORAGE_WRITE && !s->powered_off) {
        sim_storage_tmp_name(tmp, hd->name);
        (void)unlinkat(s->dirfd, tmp, 0);
    }
    memset(hd, 0, sizeof(*hd));
}

static int sim_storage_remove(void *ctx, const char *name)
{
    struct sim_storage *s = ctx;

    if (s->powered_off || s->dirfd < 0)
        return HAL_STORAGE_ERR_IO;
    if (!sim_storage_name_valid(name))
        return HAL_STORAGE_ERR_BAD_ARG;
    if (unlinkat(s->dirfd, name, 0) != 0)
        return errno == ENOENT ? HAL_STORAGE_ERR_NOT_FOUND : HAL_STORAGE_ERR_IO;
    return fsync(s->dirfd) == 0 ? 0 : HAL_STORAGE_ERR_IO;
}
