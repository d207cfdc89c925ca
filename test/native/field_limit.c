/*
 * Sophia 2.2 and the number of fields in a row: declares a database of
 * `fields` fields (a string key part, u32 key parts, a string value), writes
 * rows and reads them back through a cursor. Prints the rows read.
 *
 * usage: field_limit <fields> <directory>
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sophia.h"

static int fail(void *env, const char *what) {
	char *error = env ? sp_getstring(env, "sophia.error", NULL) : NULL;
	printf("%s failed: %s\n", what, error ? error : "(no error)");
	return 2;
}

int main(int argc, char **argv) {
	if (argc != 3)
		return 2;
	int fields = atoi(argv[1]);
	void *env = sp_env();
	sp_setstring(env, "sophia.path", argv[2], 0);
	sp_setint(env, "scheduler.threads", 0);
	sp_setstring(env, "db", "t", 0);
	char name[32], path[64], options[32];
	for (int i = 0; i < fields - 1; i++) {
		snprintf(name, sizeof name, "k%d", i);
		snprintf(path, sizeof path, "db.t.scheme.k%d", i);
		snprintf(options, sizeof options, "%s,key(%d)", i == 0 ? "string" : "u32", i);
		if (sp_setstring(env, "db.t.scheme", name, 0) || sp_setstring(env, path, options, 0))
			return fail(env, "declaring a key part");
	}
	if (sp_setstring(env, "db.t.scheme", "value", 0) || sp_setstring(env, "db.t.scheme.value", "string", 0))
		return fail(env, "declaring the value");
	if (sp_open(env))
		return fail(env, "sp_open");
	void *db = sp_getobject(env, "db.t");
	for (int row = 0; row < 10; row++) {
		void *o = sp_document(db);
		sp_setstring(o, "k0", "key", 3);
		for (int i = 1; i < fields - 1; i++) {
			snprintf(name, sizeof name, "k%d", i);
			sp_setint(o, name, row);
		}
		sp_setstring(o, "value", "value", 5);
		if (sp_set(db, o))
			return fail(env, "sp_set");
	}
	void *cursor = sp_cursor(env);
	void *o = sp_document(db);
	int rows = 0;
	while ((o = sp_get(cursor, o)))
		rows++;
	sp_destroy(cursor);
	printf("fields=%d rows=%d\n", fields, rows);
	sp_destroy(env);
	return 0;
}
