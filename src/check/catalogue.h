/*
 * check/catalogue.h — the check catalogue as Markdown (docs/checks.md is generated from it),
 * built from the registry so the documentation cannot drift from the code.
 */
#ifndef VX_CHECK_CATALOGUE_H
#define VX_CHECK_CATALOGUE_H

/* A malloc'd Markdown document (caller frees); NULL when out of memory. */
char *vx__check_catalogue_markdown(void);

#endif
