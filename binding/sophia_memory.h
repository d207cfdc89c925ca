#ifndef SOPHIA_LEVEL_SOPHIA_MEMORY_H
#define SOPHIA_LEVEL_SOPHIA_MEMORY_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What Sophia calls for malloc, calloc, realloc and free (sophia_memory.c). */
void *sophia_level_malloc(size_t size);
void *sophia_level_calloc(size_t count, size_t size);
void *sophia_level_realloc(void *block, size_t size);
void sophia_level_free(void *block);

#ifdef __cplusplus
}
#endif

#endif
