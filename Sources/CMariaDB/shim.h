#ifndef CMARIADB_SHIM_H
#define CMARIADB_SHIM_H
#include <mysql.h>
#include <errmsg.h>
#include <mysqld_error.h>

/* mysql_library_init is a function-like macro (an alias of mysql_server_init) that Swift cannot import;
   the wrapper calls it once from main before any thread starts, without embedded-server arguments. */
static inline int CMariaDBShim_library_init(void) { return mysql_library_init(0, (char **)0, (char **)0); }

/* mysql_library_end is a macro alias of mysql_server_end, for the same reason. */
static inline void CMariaDBShim_library_end(void) { mysql_library_end(); }

#endif
