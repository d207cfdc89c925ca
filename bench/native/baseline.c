/*
 * Native baseline: the same workloads as bench/workloads.js, straight
 * against Sophia's C API, without Node.js or the binding in between.
 *
 *   baseline <dir> <n> <scan-passes> <seed>
 *
 * <dir>'s parent must exist; Sophia creates <dir>/seq, <dir>/rand,
 * <dir>/batch-seq and <dir>/batch-rand. Keys are 16 bytes (zero-padded
 * decimal), values 100 bytes from a pseudo-random pool, orders and random
 * keys from mulberry32 — the same data, the same orders and the same random
 * keys as bench/dataset.js and bench/workloads.js. The workloads run in the
 * same order as there: the loaded environment ("rand") stays open while the
 * two batch environments are filled, as the loaded database does in
 * bench/workloads.js. Prints one JSON object on stdout.
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

/* Keep in sync with bench/workloads.js. */
#define BATCH_SIZE 1000
#define GET_MANY_SIZE 100
#define RANGE_SIZE 100
/* Keep in sync with binding/environment.cc. */
#define PREFETCH_GROUP 64

/* Keep in sync with bench/dataset.js. */
#define STREAM_POOL 1
#define STREAM_PUT_ORDER 2
#define STREAM_GET_ORDER 3
#define STREAM_GET_MANY 4
#define STREAM_RANGE 5
#define STREAM_REVERSE_RANGE 6

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

/* `count` indices drawn with replacement, as Dataset#randomIndices. */
static uint32_t *random_indices (uint32_t count, uint32_t n, uint32_t seed) {
  uint32_t *out = malloc(sizeof(uint32_t) * (count > 0 ? count : 1));
  uint32_t state = seed;
  if (out == NULL) die("malloc", NULL);
  for (uint32_t i = 0; i < count; i++) out[i] = mulberry32(&state) % n;
  return out;
}

/* rangeCount() of bench/workloads.js. */
static uint32_t range_count (uint32_t n) {
  return n / 20 > 100 ? n / 20 : 100;
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

/* Writes key #i into `target`: the database (autocommit) or a transaction. */
static void put (void *env, void *db, void *target, uint32_t i) {
  char key[KEY_SIZE];
  make_key(key, i);
  void *o = sp_document(db);
  if (o == NULL) die("sp_document", env);
  if (sp_setstring(o, "key", key, KEY_SIZE) != 0) die("set key", env);
  if (sp_setstring(o, "value", value_of(i), VALUE_SIZE) != 0) die("set value", env);
  if (sp_set(target, o) != 0) die("sp_set", env);
}

static double put_all (void *env, void *db, const uint32_t *order, uint32_t n) {
  double start = now();
  for (uint32_t i = 0; i < n; i++) put(env, db, db, order != NULL ? order[i] : i);
  return now() - start;
}

static int compare_indices (const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a;
  uint32_t y = *(const uint32_t *)b;
  return x < y ? -1 : x > y;
}

/*
 * N puts as ceil(N / BATCH_SIZE) transactions of BATCH_SIZE puts. Each
 * batch's puts go to Sophia in key order, as the binding's batches do (see
 * Environment::Batch): key #i is the zero-padded decimal of i, so index order
 * is key order, and the sort is timed like the binding's.
 */
static double batch_all (void *env, void *db, const uint32_t *order, uint32_t n) {
  uint32_t keys[BATCH_SIZE];
  double start = now();
  for (uint32_t first = 0; first < n; first += BATCH_SIZE) {
    uint32_t end = n - first > BATCH_SIZE ? first + BATCH_SIZE : n;
    for (uint32_t i = first; i < end; i++) keys[i - first] = order != NULL ? order[i] : i;
    qsort(keys, end - first, sizeof keys[0], compare_indices);
    void *tx = sp_begin(env);
    if (tx == NULL) die("sp_begin", env);
    for (uint32_t i = 0; i < end - first; i++) put(env, db, tx, keys[i]);
    if (sp_commit(tx) != 0) die("sp_commit", env);
  }
  return now() - start;
}

static void get_one (void *env, void *db, uint32_t i);

/* Fills a fresh environment at <dir>/<name> with a batch workload. */
static double batch_fresh (const char *dir, const char *name, const uint32_t *order, uint32_t n) {
  char path[4096];
  void *db;
  snprintf(path, sizeof path, "%s/%s", dir, name);
  void *env = open_env(path, &db);
  double seconds = batch_all(env, db, order, n);
  /* Not timed: the first and last keys are there. */
  if (n > 0) {
    get_one(env, db, 0);
    get_one(env, db, n - 1);
  }
  sp_destroy(env);
  return seconds;
}

/* A document for key #i, whose bytes go to `key` (which it points at). */
static void *key_document (void *env, void *db, char *key, uint32_t i) {
  make_key(key, i);
  void *o = sp_document(db);
  if (o == NULL) die("sp_document", env);
  if (sp_setstring(o, "key", key, KEY_SIZE) != 0) die("set key", env);
  return o;
}

/* Reads the key document `o` (which it consumes) and checks its value. */
static void read_document (void *env, void *db, void *o) {
  void *r = sp_get(db, o);
  if (r == NULL) die("sp_get (key not found)", env);
  int size = 0;
  const char *value = sp_getstring(r, "value", &size);
  if (value == NULL || size != VALUE_SIZE) die("get value", env);
  sp_destroy(r);
}

static void get_one (void *env, void *db, uint32_t i) {
  char key[KEY_SIZE];
  read_document(env, db, key_document(env, db, key, i));
}

static double get_all (void *env, void *db, const uint32_t *order, uint32_t n) {
  double start = now();
  for (uint32_t i = 0; i < n; i++) get_one(env, db, order[i]);
  return now() - start;
}

/*
 * The getMany workload: `calls` × GET_MANY_SIZE point reads of the random
 * keys `indices`. As the binding's getMany does, each call makes every
 * key's document first, then, PREFETCH_GROUP keys at a time, has Sophia
 * descend to the keys at once (sp_prefetch, our patch 0007) and reads them
 * one by one.
 */
static double get_many (void *env, void *db, const uint32_t *indices, uint32_t calls) {
  char keys[GET_MANY_SIZE][KEY_SIZE];
  void *documents[GET_MANY_SIZE];
  double start = now();
  for (uint32_t c = 0; c < calls; c++) {
    const uint32_t *batch = indices + (size_t)c * GET_MANY_SIZE;
    for (uint32_t j = 0; j < GET_MANY_SIZE; j++) documents[j] = key_document(env, db, keys[j], batch[j]);
    for (uint32_t first = 0; first < GET_MANY_SIZE; first += PREFETCH_GROUP) {
      uint32_t end = first + PREFETCH_GROUP < GET_MANY_SIZE ? first + PREFETCH_GROUP : GET_MANY_SIZE;
      if (sp_prefetch(db, documents + first, (int)(end - first)) != 0) die("sp_prefetch", env);
      for (uint32_t j = first; j < end; j++) read_document(env, db, documents[j]);
    }
  }
  return now() - start;
}

/*
 * Reads go through sp_getbatch (our patch 0006), as the binding's iterators
 * do: one call hands over up to `want` records to take(), which checks each
 * and keeps the first key and the last, to go on from in the next call.
 */
typedef struct {
  uint32_t want;
  uint32_t got;
  char first[KEY_SIZE];
  char last[KEY_SIZE];
} batch;

static int take (void *arg, const void **fields, const int *sizes) {
  batch *b = arg;
  if (sizes[0] != KEY_SIZE || sizes[1] != VALUE_SIZE) die("read entry", NULL);
  if (b->got == 0) memcpy(b->first, fields[0], KEY_SIZE);
  memcpy(b->last, fields[0], KEY_SIZE);
  return ++b->got == b->want;
}

/* Reads the next batch from the positioned document `o`. */
static uint32_t read_batch (void *env, void *cursor, void *o, batch *b) {
  b->got = 0;
  int rc = sp_getbatch(cursor, o, take, b);
  if (rc < 0) die("sp_getbatch", env);
  return (uint32_t)rc;
}

static void *positioned (void *env, void *db, const char *order, const char *key) {
  void *o = sp_document(db);
  if (o == NULL) die("sp_document", env);
  if (sp_setstring(o, "order", order, 0) != 0) die("set order", env);
  if (key != NULL && sp_setstring(o, "key", key, KEY_SIZE) != 0) die("set key", env);
  return o;
}

/*
 * The range workloads: for each start key, a cursor from that key (">=", or
 * "<=" for reverse) reading up to RANGE_SIZE entries. Adds the number of
 * entries read to *entries.
 */
static double ranges (void *env, void *db, const uint32_t *starts, uint32_t count, int reverse, uint64_t *entries) {
  char start_key[KEY_SIZE];
  uint64_t total = 0;
  double start = now();
  for (uint32_t r = 0; r < count; r++) {
    make_key(start_key, starts[r]);
    void *c = sp_cursor(env);
    if (c == NULL) die("sp_cursor", env);
    batch b = { RANGE_SIZE, 0, "", "" };
    uint32_t got = read_batch(env, c, positioned(env, db, reverse ? "<=" : ">=", start_key), &b);
    sp_destroy(c);
    if (got == 0) die("range read (nothing returned)", env);
    /* Every key exists, so each range starts at its start key. */
    if (memcmp(b.first, start_key, KEY_SIZE) != 0) die("range start", env);
    total += got;
  }
  double seconds = now() - start;
  *entries += total;
  return seconds;
}

/* A full scan, in batches of 1000 (nextv(1000) in bench/workloads.js). */
static double scan_all (void *env, void *db, uint32_t n, uint32_t passes) {
  double start = now();
  for (uint32_t p = 0; p < passes; p++) {
    uint32_t count = 0;
    void *c = sp_cursor(env);
    if (c == NULL) die("sp_cursor", env);
    batch b = { 1000, 0, "", "" };
    uint32_t got = read_batch(env, c, positioned(env, db, ">=", NULL), &b);
    for (;;) {
      count += got;
      if (got < b.want) break;
      got = read_batch(env, c, positioned(env, db, ">", b.last), &b);
    }
    sp_destroy(c);
    if (count != n) {
      fprintf(stderr, "baseline: scan saw %" PRIu32 " entries, expected %" PRIu32 "\n", count, n);
      exit(1);
    }
  }
  return now() - start;
}

/* One result; `extra` (a count, such as "entries") is printed when not NULL. */
static void print_result (const char *name, double ops, double seconds, const char *extra, double extra_value, int last) {
  printf("    \"%s\": { \"ops\": %.0f, ", name, ops);
  if (extra != NULL) printf("\"%s\": %.0f, ", extra, extra_value);
  printf("\"ms\": %.3f, \"rate\": %.1f }%s\n",
         seconds * 1000, seconds > 0 ? ops / seconds : 0, last ? "" : ",");
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

  if (n == 0) {
    fprintf(stderr, "baseline: <n> must be a positive integer\n");
    return 2;
  }
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
  uint32_t get_many_calls = (n + GET_MANY_SIZE - 1) / GET_MANY_SIZE;
  uint32_t *get_many_keys = random_indices(get_many_calls * GET_MANY_SIZE, n, seed + STREAM_GET_MANY);
  uint32_t ranges_count = range_count(n);
  uint32_t *range_starts = random_indices(ranges_count, n, seed + STREAM_RANGE);
  uint32_t *reverse_starts = random_indices(ranges_count, n, seed + STREAM_REVERSE_RANGE);
  uint64_t range_entries = 0;
  uint64_t reverse_entries = 0;
  void *db;

  /* The order of WORKLOADS in bench/workloads.js. */
  snprintf(path, sizeof path, "%s/seq", dir);
  void *env = open_env(path, &db);
  double put_seq = put_all(env, db, NULL, n);
  sp_destroy(env);

  snprintf(path, sizeof path, "%s/rand", dir);
  env = open_env(path, &db);
  double put_rand = put_all(env, db, put_order, n);
  double get_rand = get_all(env, db, get_order, n);
  double batch_seq = batch_fresh(dir, "batch-seq", NULL, n);
  double batch_rand = batch_fresh(dir, "batch-rand", put_order, n);
  double many = get_many(env, db, get_many_keys, get_many_calls);
  double scan = scan_all(env, db, n, passes);
  double range = ranges(env, db, range_starts, ranges_count, 0, &range_entries);
  double reverse = ranges(env, db, reverse_starts, ranges_count, 1, &reverse_entries);
  sp_destroy(env);

  printf("{\n  \"n\": %" PRIu32 ",\n  \"workloads\": {\n", n);
  print_result("putSeq", n, put_seq, NULL, 0, 0);
  print_result("putRandom", n, put_rand, NULL, 0, 0);
  print_result("getRandom", n, get_rand, NULL, 0, 0);
  print_result("batchSeq", n, batch_seq, "batches", (n + BATCH_SIZE - 1) / BATCH_SIZE, 0);
  print_result("batchRandom", n, batch_rand, "batches", (n + BATCH_SIZE - 1) / BATCH_SIZE, 0);
  print_result("getMany", (double)get_many_calls * GET_MANY_SIZE, many, "calls", get_many_calls, 0);
  print_result("scan", (double)n * passes, scan, NULL, 0, 0);
  print_result("range", ranges_count, range, "entries", (double)range_entries, 0);
  print_result("reverseRange", ranges_count, reverse, "entries", (double)reverse_entries, 1);
  printf("  }\n}\n");

  free(put_order);
  free(get_order);
  free(get_many_keys);
  free(range_starts);
  free(reverse_starts);
  free(pool);
  return 0;
}
