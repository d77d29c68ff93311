/*
 * bench/reference/reference.c — the ceiling for bench/webhooks.
 *
 * A minimal threaded libfcgi responder with no gateway logic: every request has its body read in full,
 * then ONE durable INSERT (autocommit, InnoDB) into `bench_reference`, then 200 {"received":true}.
 * Same shape as payments-fcgi: a fixed pool of threads, each with its own FCGX_Request and its own
 * libmariadb connection, FCGX_Accept_r serialised by a mutex (as libfcgi's examples/threaded.c does).
 *
 * usage: reference <fcgi-socket-path> <mariadb-socket> <database> [threads=16]
 * Build: bench/reference/build.sh (gcc -O2 ... -lfcgi -lmariadb -lpthread).
 * Stops on SIGTERM/SIGINT: libfcgi catches SIGTERM itself and re-enters accept(), so both signals are blocked in
 * every thread and the main thread takes them with sigwait() and exits (a bench tool: requests in flight are dropped).
 */
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

static MYSQL *connect_db(void) {
    MYSQL *db = mysql_init(NULL);
    if (db == NULL) return NULL;
    if (mysql_real_connect(db, NULL, "root", NULL, db_name, 0, db_socket, 0) == NULL) {
        fprintf(stderr, "reference: connect failed: %s\n", mysql_error(db));
        mysql_close(db);
        return NULL;
    }
    return db;
}

static void *worker(void *arg) {
    (void)arg;
    mysql_thread_init();
    MYSQL *db = connect_db();
    FCGX_Request request;
    FCGX_InitRequest(&request, listen_fd, 0);
    char body[65536];
    char query[256];
    for (;;) {
        pthread_mutex_lock(&accept_mutex);
        int rc = FCGX_Accept_r(&request);
        pthread_mutex_unlock(&accept_mutex);
        if (rc < 0) break;

        /* Read the whole body, as a real responder must before answering. */
        long total = 0;
        int n;
        while ((n = FCGX_GetStr(body, sizeof body, request.in)) > 0) total += n;

        int ok = 0;
        if (db == NULL) db = connect_db();
        if (db != NULL) {
            snprintf(query, sizeof query,
                     "INSERT INTO bench_reference (body_len, created_at) VALUES (%ld, UTC_TIMESTAMP(6))", total);
            if (mysql_real_query(db, query, (unsigned long)strlen(query)) == 0) {
                ok = 1;
            } else {
                unsigned int err = mysql_errno(db);
                if (err == 2006 || err == 2013) {
                    mysql_close(db);
                    db = NULL;
                }
            }
        }
        if (ok) {
            FCGX_PutS("Status: 200 OK\r\nContent-Type: application/json\r\n\r\n{\"received\":true}", request.out);
        } else {
            FCGX_PutS("Status: 503 Service Unavailable\r\nContent-Type: application/json\r\n\r\n"
                      "{\"errorName\":\"ServiceUnavailableException\",\"errorMessage\":\"database\"}",
                      request.out);
        }
        FCGX_Finish_r(&request);
    }
    if (db != NULL) mysql_close(db);
    mysql_thread_end();
    return NULL;
}

int main(int argc, char **argv) {
    if (argc < 4 || argc > 5) {
        fprintf(stderr, "usage: %s <fcgi-socket> <mariadb-socket> <database> [threads]\n", argv[0]);
        return 64;
    }
    const char *fcgi_path = argv[1];
    db_socket = argv[2];
    db_name = argv[3];
    int threads = argc == 5 ? atoi(argv[4]) : 16;
    if (threads < 1 || threads > 256) {
        fprintf(stderr, "reference: threads must be 1..256\n");
        return 64;
    }

    if (mysql_library_init(0, NULL, NULL) != 0) {
        fprintf(stderr, "reference: mysql_library_init failed\n");
        return 1;
    }
    MYSQL *setup = connect_db();
    if (setup == NULL) return 1;
    const char *ddl = "CREATE TABLE IF NOT EXISTS bench_reference ("
                      " id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,"
                      " body_len INT NOT NULL,"
                      " created_at DATETIME(6) NOT NULL"
                      ") ENGINE=InnoDB";
    if (mysql_real_query(setup, ddl, (unsigned long)strlen(ddl)) != 0) {
        fprintf(stderr, "reference: create table failed: %s\n", mysql_error(setup));
        return 1;
    }
    mysql_close(setup);

    if (FCGX_Init() != 0) {
        fprintf(stderr, "reference: FCGX_Init failed\n");
        return 1;
    }
    unlink(fcgi_path);
    listen_fd = FCGX_OpenSocket(fcgi_path, 1024);
    if (listen_fd < 0) {
        fprintf(stderr, "reference: cannot listen on %s: %s\n", fcgi_path, strerror(errno));
        return 1;
    }
    chmod(fcgi_path, 0666);

    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);

    pthread_t *ids = calloc((size_t)threads, sizeof *ids);
    if (ids == NULL) return 1;
    for (int i = 0; i < threads; i++) {
        if (pthread_create(&ids[i], NULL, worker, NULL) != 0) {
            fprintf(stderr, "reference: pthread_create failed\n");
            return 1;
        }
    }
    fprintf(stderr, "reference: %d threads on %s\n", threads, fcgi_path);
    int received = 0;
    sigwait(&stop_signals, &received);
    fprintf(stderr, "reference: signal %d, exiting\n", received);
    unlink(fcgi_path);
    _exit(0);
}
