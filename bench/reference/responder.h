/*
 * bench/reference/responder.h — what the bench's C responders (reference.c, contract.c) share: the FastCGI listening
 * socket, the serialised accept (as libfcgi's examples/threaded.c), the MariaDB connection and the stop signals. libfcgi catches SIGTERM itself and re-enters accept(), so SIGTERM and SIGINT are
 * blocked in every thread (block them before creating any) and the main thread takes them with sigwait().
 */
#ifndef BENCH_RESPONDER_H
#define BENCH_RESPONDER_H

#include <errno.h>
#include <fcgiapp.h>
#include <mysql.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int listen_fd = -1;
static const char *db_socket;
static const char *db_name;
static pthread_mutex_t accept_mutex = PTHREAD_MUTEX_INITIALIZER;

/* Reads <fcgi-socket> <mariadb-socket> <database> [threads=16] into *fcgi_path, db_socket, db_name, *threads and
 * initialises libmariadb; 0, or the exit status (64 usage, 1 failure, reported). */
static int responder_start(const char *who, int argc, char **argv, const char **fcgi_path, int *threads) {
    if (argc < 4 || argc > 5) {
        fprintf(stderr, "usage: %s <fcgi-socket> <mariadb-socket> <database> [threads]\n", argv[0]);
        return 64;
    }
    *fcgi_path = argv[1];
    db_socket = argv[2];
    db_name = argv[3];
    *threads = argc == 5 ? atoi(argv[4]) : 16;
    if (*threads < 1 || *threads > 256) {
        fprintf(stderr, "%s: threads must be 1..256\n", who);
        return 64;
    }
    if (mysql_library_init(0, NULL, NULL) != 0) {
        fprintf(stderr, "%s: mysql_library_init failed\n", who);
        return 1;
    }
    return 0;
}

/* A new connection as root over db_socket to db_name, or NULL (reported). */
static MYSQL *responder_connect(const char *who) {
    MYSQL *db = mysql_init(NULL);
    if (db == NULL) return NULL;
    if (mysql_real_connect(db, NULL, "root", NULL, db_name, 0, db_socket, 0) == NULL) {
        fprintf(stderr, "%s: connect failed: %s\n", who, mysql_error(db));
        mysql_close(db);
        return NULL;
    }
    return db;
}

/* The next request, accepts serialised by one mutex; < 0 when accepting failed. */
static int responder_accept(FCGX_Request *request) {
    pthread_mutex_lock(&accept_mutex);
    int rc = FCGX_Accept_r(request);
    pthread_mutex_unlock(&accept_mutex);
    return rc;
}

/* FCGX_Init, then a fresh socket at `path` (mode 0666, backlog 1024); the listening fd or -1 (reported). */
static int responder_listen(const char *who, const char *path) {
    if (FCGX_Init() != 0) {
        fprintf(stderr, "%s: FCGX_Init failed\n", who);
        return -1;
    }
    unlink(path);
    int fd = FCGX_OpenSocket(path, 1024);
    if (fd < 0) {
        fprintf(stderr, "%s: cannot listen on %s: %s\n", who, path, strerror(errno));
        return -1;
    }
    chmod(path, 0666);
    return fd;
}

/* Blocks SIGTERM and SIGINT in the calling thread (and the threads it creates afterwards). */
static void responder_block_stop_signals(sigset_t *stop) {
    sigemptyset(stop);
    sigaddset(stop, SIGTERM);
    sigaddset(stop, SIGINT);
    pthread_sigmask(SIG_BLOCK, stop, NULL);
}

/* Waits for SIGTERM or SIGINT and returns it. */
static int responder_wait_stop(const sigset_t *stop) {
    int received = 0;
    sigwait(stop, &received);
    return received;
}

#endif
