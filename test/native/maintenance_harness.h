/*
 * What the C programs that test our patches (checkpoint.c, gc_snapshot.c,
 * batch_read.c for patch 0006, prefetch.c for 0007, compaction_routing.c
 * for 0008, string_compare.c for 0009, ordered_walk.c for 0010) share:
 * checks, timing, failing on Sophia errors, running Sophia's configuration
 * functions and reading its statistics, the keys and values they write, and
 * seeded random numbers.
 */
#ifndef MAINTENANCE_HARNESS_H
#define MAINTENANCE_HARNESS_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sophia.h"

#define VALUE_SIZE 100

static int failed = 0;

static void check(int ok, const char *what) {
  printf("%s: %s\n", ok ? "ok" : "FAILED", what);
  if (!ok) failed = 1;
}

/* A linear congruential generator: the same numbers from the same seed. */
static uint32_t random_state = 1;

static void seed_random(uint32_t seed) { random_state = seed; }

static uint32_t next_random(void) {
  random_state = random_state * 1103515245u + 12345u;
  return random_state >> 8;
}

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms) {
  struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };
  nanosleep(&ts, NULL);
}

/* Exits 1 on a Sophia error once the environment exists, 2 before. */
static void die(void *env, const char *what) {
  char *error = env ? sp_getstring(env, "sophia.error", NULL) : NULL;
  printf("FAILED: %s: %s\n", what, error ? error : "(no error)");
  free(error);
  exit(env ? 1 : 2);
}

/* Runs a configuration function such as "log.gc". */
static void call(void *env, const char *path) {
  if (sp_setint(env, path, 0) != 0) die(env, path);
}

/* A database's configuration or statistics key, e.g. "index.count". */
static long long stat_of(void *env, const char *db, const char *name) {
  char path[128];
  snprintf(path, sizeof path, "db.%s.%s", db, name);
  return sp_getint(env, path);
}

/* Declares database `name` with keys of two parts, a u32 "a" and then a
 * string "b", and a string value. */
static void declare_two_part_db(void *env, const char *name) {
  static const char *fields[][2] = { { "a", "u32,key(0)" }, { "b", "string,key(1)" }, { "value", "string" } };
  char scheme[128], field[160];
  sp_setstring(env, "db", name, 0);
  snprintf(scheme, sizeof scheme, "db.%s.scheme", name);
  for (int i = 0; i < 3; i++) {
    sp_setstring(env, scheme, fields[i][0], 0);
    snprintf(field, sizeof field, "%s.%s", scheme, fields[i][0]);
    sp_setstring(env, field, fields[i][1], 0);
  }
}

static void key_of(char *key, int i) { snprintf(key, 16, "key%06d", i); }

/* Value of key #i as written by write number `generation`. */
static void value_of(char *value, int i, int generation) {
  int n = snprintf(value, VALUE_SIZE + 1, "%06d/%d/", i, generation);
  for (int j = n; j < VALUE_SIZE; j++) value[j] = (char)('a' + (i + j * generation) % 26);
  value[VALUE_SIZE] = '\0';
}

/* Runs one step of Sophia's scheduler in this thread (scheduler.threads = 0). */
static void run_step(void *env) {
  if (sp_setint(env, "scheduler.run", 0) == -1) die(env, "scheduler.run");
}

/* Waits up to ms for db.<db>.scheduler.<flag> to read 0 and returns the time
 * taken, or -1 if it still reads 1. Fails the run if Sophia stops working
 * (its workers then stop and the flag would never clear). With run set,
 * drives the scheduler itself. */
static long long wait_flag(void *env, const char *db, const char *flag, int ms, int run) {
  char path[128];
  snprintf(path, sizeof path, "db.%s.scheduler.%s", db, flag);
  long long start = now_ms();
  for (;;) {
    if (sp_getint(env, path) == 0) return now_ms() - start;
    char *status = sp_getstring(env, "sophia.status", NULL);
    int online = status != NULL && strcmp(status, "online") == 0;
    free(status);
    if (!online) die(env, "sophia.status is no longer online");
    if (now_ms() - start > ms) return -1;
    if (run) run_step(env);
    else sleep_ms(5);
  }
}

/* Writes key #i of db, as written by write number `generation`, through
 * `target`: the database itself or a transaction. */
static void put(void *db, void *target, int i, int generation) {
  char key[16], value[VALUE_SIZE + 1];
  key_of(key, i);
  value_of(value, i, generation);
  void *o = sp_document(db);
  sp_setstring(o, "key", key, 0);
  sp_setstring(o, "value", value, VALUE_SIZE);
  if (sp_set(target, o) != 0) die(NULL, "set");
}

/* Deletes key #i of db through `target`. */
static void del(void *db, void *target, int i) {
  char key[16];
  key_of(key, i);
  void *o = sp_document(db);
  sp_setstring(o, "key", key, 0);
  if (sp_delete(target, o) != 0) die(NULL, "delete");
}

#endif
