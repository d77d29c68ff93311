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

#include "responder.h"


static void *worker(void *arg) {
    (void)arg;
    mysql_thread_init();
    MYSQL *db = responder_connect("reference");
    FCGX_Request request;
    FCGX_InitRequest(&request, listen_fd, 0);
    char body[65536];
    char query[256];
    for (;;) {
        if (responder_accept(&request) < 0) break;

        /* Read the whole body, as a real responder must before answering. */
        long total = 0;
        int n;
        while ((n = FCGX_GetStr(body, sizeof body, request.in)) > 0) total += n;

        int ok = 0;
        if (db == NULL) db = responder_connect("reference");
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
    const char *fcgi_path;
    int threads;
    int status = responder_start("reference", argc, argv, &fcgi_path, &threads);
    if (status != 0) return status;
    MYSQL *setup = responder_connect("reference");
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

    listen_fd = responder_listen("reference", fcgi_path);
    if (listen_fd < 0) return 1;
    sigset_t stop_signals;
    responder_block_stop_signals(&stop_signals);

    pthread_t *ids = calloc((size_t)threads, sizeof *ids);
    if (ids == NULL) return 1;
    for (int i = 0; i < threads; i++) {
        if (pthread_create(&ids[i], NULL, worker, NULL) != 0) {
            fprintf(stderr, "reference: pthread_create failed\n");
            return 1;
        }
    }
    fprintf(stderr, "reference: %d threads on %s\n", threads, fcgi_path);
    int received = responder_wait_stop(&stop_signals);
    fprintf(stderr, "reference: signal %d, exiting\n", received);
    unlink(fcgi_path);
    _exit(0);
}
