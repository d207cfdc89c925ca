/*
 * Native baseline: the same workloads as bench/workloads.js, straight
 * against Sophia's C API, without Node.js or the binding in between.
 *
 *   baseline <dir> <n> <scan-passes> <seed>
 *
 * <dir>'s parent must exist; Sophia creates <dir>/seq and <dir>/rand.
 * Keys are 16 bytes (zero-padded decimal), values 100 bytes from a
 * pseudo-random pool, orders from mulberry32 — the same data and the same
 * orders as bench/dataset.js. Prints one JSON object on stdout.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <sophia.h>

#define KEY_SIZE 16
#define VALUE_SIZE 100
#define POOL_SIZE (1 << 20)
#define VALUE_STRIDE 104729ULL

/* Keep in sync with bench/dataset.js. */
#define STREAM_POOL 1
#define STREAM_PUT_ORDER 2
#define STREAM_GET_ORDER 3

static unsigned char *pool;

static uint32_t mulberry32 (uint32_t *state) {
  uint32_t z = (*state += 0x6D2B79F5u);
  z = (z ^ (z >> 15)) * (z | 1u);
  z ^= z + (z ^ (z >> 7)) * (z | 61u);
  return z ^ (z >> 14);
}

static void die (const char *what, void *env) {
  fprintf(stderr, "baseline: %s failed", what);
  if (env != NULL) {
    int size = 0;
    char *error = sp_getstring(env, "sophia.error", &size);
    if (error != NULL) {
      fprintf(stderr, ": %.*s", size, error);
      free(error);
    }
  }
  fprintf(stderr, "\n");
  exit(1);
}

static double now (void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void make_key (char *out, uint32_t i) {
  char tmp[KEY_SIZE + 1];
  snprintf(tmp, sizeof tmp, "%016" PRIu32, i);
  memcpy(out, tmp, KEY_SIZE);
}

static const unsigned char *value_of (uint32_t i) {
  return pool + ((uint64_t)i * VALUE_STRIDE) % (POOL_SIZE - VALUE_SIZE);
}

static uint32_t *shuffled (uint32_t n, uint32_t seed) {
  uint32_t *order = malloc(sizeof(uint32_t) * (n > 0 ? n : 1));
  uint32_t state = seed;
  if (order == NULL) die("malloc", NULL);
  for (uint32_t i = 0; i < n; i++) order[i] = i;
  for (uint32_t i = n; i > 1; i--) {
    uint32_t j = mulberry32(&state) % i;
    uint32_t t = order[i - 1];
    order[i - 1] = order[j];
    order[j] = t;
  }
  return order;
}

static void *open_env (const char *path, void **db) {
  void *env = sp_env();
  if (env == NULL) die("sp_env", NULL);
  if (sp_setstring(env, "sophia.path", path, 0) != 0) die("sophia.path", env);
  if (sp_setint(env, "scheduler.threads", 1) != 0) die("scheduler.threads", env);
  if (sp_setstring(env, "db", "main", 0) != 0) die("db", env);
  if (sp_open(env) != 0) die("sp_open", env);
  *db = sp_getobject(env, "db.main");
  if (*db == NULL) die("db.main", env);
  return env;
}

static void put (void *env, void *db, uint32_t i) {
  char key[KEY_SIZE];
  make_key(key, i);
  void *o = sp_document(db);
  if (o == NULL) die("sp_document", env);
  if (sp_setstring(o, "key", key, KEY_SIZE) != 0) die("set key", env);
  if (sp_setstring(o, "value", value_of(i), VALUE_SIZE) != 0) die("set value", env);
  if (sp_set(db, o) != 0) die("sp_set", env);
}

static double put_all (void *env, void *db, const uint32_t *order, uint32_t n) {
  double start = now();
  for (uint32_t i = 0; i < n; i++) put(env, db, order != NULL ? order[i] : i);
  return now() - start;
}

static double get_all (void *env, void *db, const uint32_t *order, uint32_t n) {
  char key[KEY_SIZE];
  double start = now();
  for (uint32_t i = 0; i < n; i++) {
    make_key(key, order[i]);
    void *o = sp_document(db);
    if (o == NULL) die("sp_document", env);
    if (sp_setstring(o, "key", key, KEY_SIZE) != 0) die("set key", env);
    void *r = sp_get(db, o);
    if (r == NULL) die("sp_get (key not found)", env);
    int size = 0;
    const char *value = sp_getstring(r, "value", &size);
    if (value == NULL || size != VALUE_SIZE) die("get value", env);
    sp_destroy(r);
  }
  return now() - start;
}

static double scan_all (void *env, void *db, uint32_t n, uint32_t passes) {
  double start = now();
  for (uint32_t p = 0; p < passes; p++) {
    uint32_t count = 0;
    void *c = sp_cursor(env);
    if (c == NULL) die("sp_cursor", env);
    void *o = sp_document(db);
    if (o == NULL) die("sp_document", env);
    if (sp_setstring(o, "order", ">=", 2) != 0) die("set order", env);
    while ((o = sp_get(c, o)) != NULL) {
      int ksize = 0;
      int vsize = 0;
      const char *key = sp_getstring(o, "key", &ksize);
      const char *value = sp_getstring(o, "value", &vsize);
      if (key == NULL || value == NULL || ksize != KEY_SIZE || vsize != VALUE_SIZE) die("scan entry", env);
      count++;
    }
    sp_destroy(c);
    if (count != n) {
      fprintf(stderr, "baseline: scan saw %" PRIu32 " entries, expected %" PRIu32 "\n", count, n);
      exit(1);
    }
  }
  return now() - start;
}

static void print_result (const char *name, double ops, double seconds, int last) {
  printf("    \"%s\": { \"ops\": %.0f, \"ms\": %.3f, \"rate\": %.1f }%s\n",
         name, ops, seconds * 1000, seconds > 0 ? ops / seconds : 0, last ? "" : ",");
}

int main (int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: %s <dir> <n> <scan-passes> <seed>\n", argv[0]);
    return 2;
  }
  const char *dir = argv[1];
  uint32_t n = (uint32_t)strtoul(argv[2], NULL, 10);
  uint32_t passes = (uint32_t)strtoul(argv[3], NULL, 10);
  uint32_t seed = (uint32_t)strtoul(argv[4], NULL, 10);
  char path[4096];

  if (mkdir(dir, 0755) != 0 && errno != EEXIST) die("mkdir", NULL);

  pool = malloc(POOL_SIZE);
  if (pool == NULL) die("malloc", NULL);
  uint32_t state = seed + STREAM_POOL;
  for (size_t i = 0; i < POOL_SIZE; i += 4) {
    uint32_t r = mulberry32(&state);
    pool[i] = r & 0xff;
    pool[i + 1] = (r >> 8) & 0xff;
    pool[i + 2] = (r >> 16) & 0xff;
    pool[i + 3] = (r >> 24) & 0xff;
  }
  uint32_t *put_order = shuffled(n, seed + STREAM_PUT_ORDER);
  uint32_t *get_order = shuffled(n, seed + STREAM_GET_ORDER);
  void *db;

  snprintf(path, sizeof path, "%s/seq", dir);
  void *env = open_env(path, &db);
  double put_seq = put_all(env, db, NULL, n);
  sp_destroy(env);

  snprintf(path, sizeof path, "%s/rand", dir);
  env = open_env(path, &db);
  double put_rand = put_all(env, db, put_order, n);
  double get_rand = get_all(env, db, get_order, n);
  double scan = scan_all(env, db, n, passes);
  sp_destroy(env);

  printf("{\n  \"n\": %" PRIu32 ",\n  \"workloads\": {\n", n);
  print_result("putSeq", n, put_seq, 0);
  print_result("putRandom", n, put_rand, 0);
  print_result("getRandom", n, get_rand, 0);
  print_result("scan", (double)n * passes, scan, 1);
  printf("  }\n}\n");

  free(put_order);
  free(get_order);
  free(pool);
  return 0;
}
